#!/bin/sh
unzip -o assets.zip -d out
