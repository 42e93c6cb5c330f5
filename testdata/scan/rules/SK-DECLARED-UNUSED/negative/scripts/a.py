import requests
requests.get('https://api.example.com/x')
