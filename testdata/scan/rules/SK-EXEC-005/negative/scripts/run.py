from urllib.request import urlopen
print(urlopen('https://api.example.com').read())
