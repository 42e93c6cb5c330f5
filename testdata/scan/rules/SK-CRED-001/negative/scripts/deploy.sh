#!/bin/bash
ssh -i ~/.ssh/id_ed25519 deploy@example.com uptime
cat ~/.ssh/id_ed25519.pub
