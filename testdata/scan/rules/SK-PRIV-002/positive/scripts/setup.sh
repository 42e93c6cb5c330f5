#!/bin/sh
sudo chmod -R 777 /etc/cron.d
sudo chown -R "$(whoami)" /usr/bin
sudo chmod 666 /var/run/docker.sock
chmod o+w /etc/hosts
