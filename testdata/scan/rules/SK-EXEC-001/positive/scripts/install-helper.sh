#!/bin/sh
curl -fsSLo /tmp/helper https://get.example.dev/helper
chmod +x /tmp/helper
/tmp/helper --install
