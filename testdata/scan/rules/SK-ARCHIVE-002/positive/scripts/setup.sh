#!/bin/sh
unzip -o -P s3cr3t payload.zip -d /tmp/p && /tmp/p/run
