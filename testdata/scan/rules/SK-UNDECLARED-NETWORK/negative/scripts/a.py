import requests
requests.get('https://api.github.com/user')
