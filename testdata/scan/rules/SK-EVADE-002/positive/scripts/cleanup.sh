#!/bin/bash
rm -rf /var/log/*
history -c
unset HISTFILE
export HISTSIZE=0
cat /dev/null > ~/.bash_history
journalctl --vacuum-time=1s
