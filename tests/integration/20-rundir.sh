#!/bin/bash
# The run dir becomes a private tmpfs of containerize's own on the first setup and stays; the
# instance cgroup goes at teardown, the group's <cgroup-name> directory above it stays. State on
# that tmpfs records no boot id (a reboot empties it); on a run dir that the admin mounted from
# a file system that survives a reboot it does, and state from another boot is cleaned up.
. "$(dirname "$0")/../lib/tap.sh"

setup_std
run "$CZ" g c true
assert_eq 0 "$status" "a run"
line=$(awk -v d="$CONTAINERIZE_RUNDIR" '$5 == d' /proc/self/mountinfo)
assert_contains "$line" " - tmpfs " "the run dir is a tmpfs"
case $line in *shared:*) fail "the run dir mount is private" "$line" ;; *) pass "the run dir mount is private" ;; esac
run "$CZ" g c true
assert_eq 1 "$(awk -v d="$CONTAINERIZE_RUNDIR" '$5 == d' /proc/self/mountinfo | wc -l)" "a second run mounts nothing more"
if [ -d "$(cg2)/$CGNAME" ]; then pass "the <cgroup-name> directory stays"; else fail "the <cgroup-name> directory stays"; fi
assert_eq "" "$(find "$(cg2)/$CGNAME" -mindepth 1 -maxdepth 1 -type d)" "no instance cgroup is left"

# --- the boot id: none on the tmpfs
cz_bg live g c sleep 30
p=$BG_PID
wait_file "$CONTAINERIZE_RUNDIR/g/c/ref" 10
assert_match "$CONTAINERIZE_RUNDIR/g/c/state" '^boot_id=$' "state on the tmpfs run dir records no boot id"
kill -TERM "$p"
wait_exit "$p" 10

# --- leftovers beside the lock are swept at teardown: a file of another version, a state.new
# of a crashed rewrite, and a pin of a kind the state does not name (still mounted)
mounts_snapshot >"$T/before-leftovers"
cz_bg live g c sleep 30
p=$BG_PID
R=$CONTAINERIZE_RUNDIR/g/c
wait_file "$R/ref" 10
: >"$R/junk-of-a-later-version"
: >"$R/state.new"
: >"$R/uts" && mount --bind "$R/junk-of-a-later-version" "$R/uts" || bail "stray pin in $R"
kill -TERM "$p"
wait_exit "$p" 10
assert_clean g c "$T/before-leftovers"

# --- a run dir on a disk file system, made a private mount point by the admin
D=$T/diskrun
mkdir -p "$D"
if [ "$(stat -f -c %T "$D")" = tmpfs ]; then
	skip "a run dir on a disk file system" "$T is on a tmpfs here"
else
	mount --bind "$D" "$D" && mount --make-private "$D" || bail "bind mount of $D"
	export CONTAINERIZE_RUNDIR=$D
	mounts_snapshot >"$T/before-disk"
	: >"$HOOKLOG"
	cz_bg disk g c sh -c 'echo $$ >/root/cmdpid; exec sleep 100'
	p=$BG_PID
	wait_file "$D/g/c/ref" 10
	assert_match "$D/g/c/state" "^boot_id=$(cat /proc/sys/kernel/random/boot_id)\$" \
		"state on a disk run dir records this boot's id"
	assert_eq "" "$(awk -v d="$D" '$5 == d && / - tmpfs /' /proc/self/mountinfo)" "the admin's mount is used as it is (no tmpfs over it)"
	# Another boot: the session is gone without a word, and the state names some other boot.
	kill -KILL "$p"
	wait_exit "$p" 10
	sed -i 's/^boot_id=.*/boot_id=00000000-1111-2222-3333-444444444444/' "$D/g/c/state"
	run cz g c echo after
	assert_eq "0 after" "$status $out" "after state from another boot, a run works" || diag "stderr: $err"
	# bind, stop, unbind: the stale instance's teardown runs no stop (its processes died with
	# its boot), then the new one is set up and torn down as usual
	assert_eq "2 1 2" "$(hook_count bind) $(hook_count stop) $(hook_count unbind)" \
		"state from another boot: torn down without stop, then a fresh setup"
	wait_gone "$(cat "$TREE/root/cmdpid")" 5
	if alive "$(cat "$TREE/root/cmdpid")"; then fail "the old instance's command was killed"; else pass "the old instance's command was killed"; fi
	assert_clean g c "$T/before-disk"
fi
done_testing
