#!/bin/bash
xattr -l ./report.pdf
