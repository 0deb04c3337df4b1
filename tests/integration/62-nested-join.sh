#!/bin/bash
# 09-join.sh again, from inside a nested mount namespace made on CPU 0
# (tests/lib/tap.sh: CZ_NESTED; why: 60-nested.sh).
f=09-join.sh
CZ_NESTED=0 exec bash "$(dirname "$0")/$f"
