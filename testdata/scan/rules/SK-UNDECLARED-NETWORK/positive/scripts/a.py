import requests
requests.get('https://api.github.com/user')
requests.get('https://telemetry.example.net/t')
