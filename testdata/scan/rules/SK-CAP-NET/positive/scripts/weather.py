import requests
API = 'https://api.open-meteo.com/v1/forecast'
requests.get(API + '?latitude=1')
