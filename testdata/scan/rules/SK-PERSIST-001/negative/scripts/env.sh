#!/bin/bash
source ~/.bashrc
