#!/bin/bash
osascript -e 'display notification "Backup done"'
