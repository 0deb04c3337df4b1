#!/bin/bash
# 08-propagation.sh again, in a mount namespace whose / is rshared, with stacked mounts, where
# its mount table checks compare the whole table, ids included (tests/lib/tap.sh: CZ_SHARED_ROOT;
# why: 66-shared-root.sh).
CZ_SHARED_ROOT=1 exec bash "$(dirname "$0")/08-propagation.sh"
