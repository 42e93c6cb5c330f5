#!/bin/sh
# Each key goes to its own provider; a key of unknown owner goes to a named API host.
curl -s https://api.openai.com/v1/chat/completions -H "Authorization: Bearer $OPENAI_API_KEY" -d @body.json
curl -s "https://api.telegram.org/bot$TELEGRAM_BOT_TOKEN/sendMessage" -d chat_id=1 -d text=done
curl -s -H "Authorization: Bearer $ACME_TOKEN" https://api.acme.example/v1/items
curl -s "https://generativelanguage.googleapis.com/v1beta/models?key=$GEMINI_API_KEY"
nslookup "$ACME_REGION.api.acme.example"
