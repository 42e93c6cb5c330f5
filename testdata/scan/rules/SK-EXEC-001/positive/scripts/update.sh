#!/bin/bash
wget -q https://dl.toolsmith.dev/update.sh -O update.sh
bash update.sh
