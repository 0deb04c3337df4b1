#!/bin/bash
# A setuid containerize ignores CONTAINERIZE_TREES/RUNDIR/CONF from a non-root caller: a user
# cannot grant themselves a container through a conf file of their own. Here the build's own
# map file has no rule for the user, so the caller is refused; the trees, run dir and map file
# that the environment names are never used.
. "$(dirname "$0")/../lib/tap.sh"
. "$TAP_LIB/setuid-build.sh"

setuid_fixture busybox
mounts_snapshot >"$T/before"

# the caller's own trees (a copy of g, with its logging hooks) and a rule granting "nobody" g/c,
# in a conf file the caller names through the environment
mkdir -p "$T/trees"
cp -a "$CONTAINERIZE_TREES/g" "$T/trees/"
echo "nobody g c" >"$T/conf"
chmod 644 "$T/conf"

run setpriv --reuid=nobody --regid=nogroup --clear-groups env \
	CONTAINERIZE_TREES="$T/trees" CONTAINERIZE_RUNDIR="$T/run" \
	CONTAINERIZE_CONF="$T/conf" "$CZU" g c touch /setuid-marker
assert_eq 125 "$status" "setuid, non-root caller with CONTAINERIZE_* overrides: refused with 125"
assert_eq "containerize: permission denied: no rule in $CZMAP gives nobody the container g/c" "$err" \
	"the refusal names the build's own map file, not the caller's"
assert_no_file "$T/trees/g/c/setuid-marker" "the command did not run in the caller's trees"
assert_no_file "$TREE/setuid-marker" "... nor in the build's"
assert_eq 0 "$(hook_count bind)" "no hook ran"
assert_no_file "$T/run" "the run dir named in the environment was not used"
assert_mounts_as "$T/before" "host mount table unchanged"
done_testing
