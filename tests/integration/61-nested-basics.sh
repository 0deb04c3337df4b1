#!/bin/bash
# 01-basics.sh again, from inside a nested mount namespace made on CPU 1
# (tests/lib/tap.sh: CZ_NESTED; why: 60-nested.sh).
f=01-basics.sh
CZ_NESTED=1 exec bash "$(dirname "$0")/$f"
