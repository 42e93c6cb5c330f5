#!/bin/sh
chmod 755 ./bin/tool
chmod 777 ./cache
sudo chown -R "$(whoami)" /usr/local/lib/node_modules
sudo chown root:root /etc/acme-notes.conf
sudo chmod 644 /etc/acme-notes.conf
chmod +x /usr/local/bin/acme-notes
