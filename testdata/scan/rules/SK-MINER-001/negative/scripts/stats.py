import requests

# Pool APIs over HTTPS (no port) are what dashboards call.
balance = requests.get("https://api.nanopool.org/v1/xmr/balance/44AbCdEf", timeout=10).json()
print(balance, "at 12:30")
