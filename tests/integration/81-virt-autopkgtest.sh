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

if [ -n "${CZ_SKIP_SLOW:-}" ]; then
	skip "autopkgtest through the server" "CZ_SKIP_SLOW is set"
	done_testing
fi
if ! command -v autopkgtest >/dev/null || ! command -v dpkg-source >/dev/null; then
	make -C "$REPO" -s deps DEPS="autopkgtest dpkg-dev" >"$T/deps.log" 2>&1
fi
if ! command -v autopkgtest >/dev/null || ! command -v dpkg-source >/dev/null; then
	skip "autopkgtest through the server" "autopkgtest or dpkg-dev missing and cannot be installed"
	done_testing
fi
if ! base=$(buildd_tree); then
	skip "autopkgtest through the server" "no buildd tree (debootstrap failed; see $BUILDD_CACHE_ROOT)"
	done_testing
fi

make_group g
B="$CONTAINERIZE_TREES/g/bookworm"
mkdir "$B"
on_cleanup "umount '$B' 2>/dev/null"
check "the cached buildd tree is bound read-only as the base g/bookworm" mount --bind -r "$base" "$B"
stamp=$(stat -c %Y "$base/var/lib/dpkg/status")

# the source package, built on the host
cp -a "$REPO/tests/data/cz-apt-test" "$T/cz-apt-test-1.0"
(cd "$T" && dpkg-source -b cz-apt-test-1.0 >"$T/dpkg-source.log" 2>&1)
check "dpkg-source builds the test package's .dsc" test -f "$T/cz-apt-test_1.0.dsc"

# `-- containerize g bookworm`: the server and containerize found on PATH
mkdir "$T/bin"
ln -s "$REPO/virt/autopkgtest-virt-containerize" "$T/bin/autopkgtest-virt-containerize"
ln -s "$CZ" "$T/bin/containerize"
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

assert_eq "" "$("$CZ" --list 2>/dev/null | awk 'NR > 1 && $1 == "g"')" "no instance of g is left"
assert_eq "bookworm" "$(ls "$CONTAINERIZE_TREES/g")" "nothing but the base is left in the group"
assert_eq "$stamp" "$(stat -c %Y "$base/var/lib/dpkg/status")" "the cached base tree is not written"
done_testing
