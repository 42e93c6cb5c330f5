#!/bin/bash
# The Skill's own logs, appending to a log, and reading system logs are fine.
echo "sync done" >> /var/log/acme-notes.log
rm -rf ./logs/*.log
tail -n 50 /var/log/syslog
history | tail -5
