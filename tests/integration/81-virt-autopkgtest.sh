#!/bin/bash
# timeout: 1800
# (a first debootstrap of the cached tree takes minutes, a run one or two)
# autopkgtest end to end through autopkgtest-virt-containerize, as `autopkgtest PKG.dsc --
# containerize GROUP BASE`, on a real `debootstrap --variant=buildd bookworm` tree (cached under
# /var/cache/containerize-test, bound read-only as the group's base: a throwaway instance never
# writes it). The package tests/data/cz-apt-test has three tests: `break` (needs-root,
# breaks-testbed) leaves a file and a process behind, `reverted` checks both are gone (so
# autopkgtest's revert gave a fresh testbed), `as-user` checks that a test without needs-root
# runs as a normal user (the one autopkgtest makes on a revert-full-system testbed).
. "$(dirname "$0")/../lib/tap.sh"
. "$TAP_LIB/debtree.sh"
. "$TAP_LIB/builddtree.sh"
. "$TAP_LIB/virt.sh"

virt_e2e_setup "autopkgtest through the server" autopkgtest

# `-- containerize g bookworm`: the server and containerize found on PATH ($T/bin)
t0=$(date +%s)
# The token names this run's leftover process (the testbed sees the host's /proc).
token=$$$RANDOM
PATH="$T/bin:$PATH" timeout -k 10 900 autopkgtest -o "$T/out" --env=CZ_APT_TEST_TOKEN=$token \
	"$T/cz-apt-test_1.0.dsc" -- containerize g bookworm >"$T/autopkgtest.log" 2>&1
rc=$?
diag "autopkgtest took $(($(date +%s) - t0)) s"
if [ "$rc" = 0 ]; then pass "autopkgtest PKG.dsc -- containerize g bookworm exits 0"
else fail "autopkgtest PKG.dsc -- containerize g bookworm exits 0" "exit $rc" "$(tail -n 40 "$T/autopkgtest.log")"; fi
for t in break reverted as-user; do
	assert_match "$T/out/summary" "^$t +PASS" "test $t passed"
done
assert_match "$T/autopkgtest.log" 'reverted: clean testbed' "after the breaks-testbed test the testbed was reverted"
assert_eq "" "$(grep -lsa "60[0]\.$token" /proc/[0-9]*/cmdline)" "no leftover process of this run on the host"
assert_match "$T/autopkgtest.log" 'as-user: runs as [a-z]' "a test without needs-root ran as a normal user"
assert_eq "" "$(grep -E '^Get:[0-9]+ https?:' "$T/autopkgtest.log")" "nothing was downloaded (the cached tree has what the build needs)"

virt_e2e_clean
done_testing
