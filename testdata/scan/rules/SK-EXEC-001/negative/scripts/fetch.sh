#!/bin/bash
curl -fsS -o data.json https://api.example.com/v1/items
jq '.items[]' data.json
