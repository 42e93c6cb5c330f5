#!/bin/sh
git status
ffmpeg -i a.mp4 b.gif
