#!/bin/bash
# A setuid containerize ignores CONTAINERIZE_TREES/RUNDIR/CONF from a non-root caller: a user
# cannot grant themselves a container through a conf file of their own. Here the built-in
# paths have no rule for the user (no /etc/containerize.conf), so the caller is refused.
. "$(dirname "$0")/../lib/tap.sh"

setup_std
mounts_snapshot >"$T/before"
if [ -e /etc/containerize.conf ] || [ -e /trees ]; then
	skip "setuid environment override test" "/etc/containerize.conf or /trees exists on this host"
	done_testing
fi

mkdir -p "$T/bin"
cp "$(readlink -f "$CZ")" "$T/bin/containerize-shell"
chmod 4755 "$T/bin/containerize-shell"
ln -s containerize-shell "$T/bin/containerize"
# a rule granting "nobody" g/c, in a conf file the caller names through the environment
echo "nobody g c" >"$T/conf"
chmod 644 "$T/conf"

run setpriv --reuid=nobody --regid=nogroup --clear-groups env \
	CONTAINERIZE_TREES="$CONTAINERIZE_TREES" CONTAINERIZE_RUNDIR="$CONTAINERIZE_RUNDIR" \
	CONTAINERIZE_CONF="$T/conf" "$T/bin/containerize" g c touch /root/setuid-marker
assert_eq 125 "$status" "setuid, non-root caller with CONTAINERIZE_* overrides: refused with 125"
assert_match "$err" '^containerize: ' "the refusal says why"
assert_no_file "$TREE/root/setuid-marker" "the command did not run"
assert_eq 0 "$(hook_count bind)" "no hook ran"
assert_no_file "$CONTAINERIZE_RUNDIR/g" "the run dir named in the environment was not used"
assert_mounts_as "$T/before" "host mount table unchanged"
done_testing
