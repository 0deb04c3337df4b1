#!/bin/bash
# Shared roots with stacked mounts: from a mount namespace whose / is rshared (as on systemd
# hosts) and where mounts are stacked (/dev/shm three tmpfs deep, /proc twice), no mode of
# `propagation` touches a mount of that "host": after every session, the setup, join, --stop
# and the cleanup of a SIGKILLed session, its whole mount table is as before, mount ids and
# covered mounts included. Before the fix, `shared` took the host's top /dev/shm, /dev/pts and
# /proc with the detach of the old root. 67-shared-root-propagation.sh runs 08-propagation.sh
# there too.
CZ_SHARED_ROOT=1
. "$(dirname "$0")/../lib/tap.sh"

setup_std
P="$CONTAINERIZE_TREES/g/.container/propagation"
mkdir -p "$TREE/srv/a"
# the bind hook stacks mounts under the tree as well
write_hook g bind "echo \"bind \$* $HOOKENV\" >>'$HOOKLOG'
mount -t tmpfs cz-in1 \"\$1/srv\" && mount -t tmpfs cz-in2 \"\$1/srv\" && mkdir \"\$1/srv/a\""
run cz g c true # the run dir's own mount, made once
mounts_snapshot >"$T/before"

for mode in slave private shared; do
	set_conf g propagation "$mode"
	rm -f "$TREE/root/up" "$TREE/root/go"
	cz_bg "a-$mode" g c sh -c 'mount -t tmpfs cz-in3 /mnt && mount -t tmpfs cz-in4 /srv/a || exit 9
		touch /root/up; while [ ! -e /root/go ]; do sleep 0.05; done'
	a=$BG_PID
	wait_file "$TREE/root/up" || fail "$mode: the session started" "$(cat "$T/a-$mode.err")"
	in_host=no
	mounted_at "$TREE/mnt" && in_host=yes
	assert_eq "$([ "$mode" = shared ] && echo yes || echo no)" "$in_host" \
		"$mode: a mount made inside under the tree appears on the host only when shared"
	run cz g c sh -c 'umount /proc; umount /dev/shm 2>/dev/null; umount /srv/a; echo joined'
	assert_eq "joined" "$out" "$mode: a join that unmounts inside works"
	touch "$TREE/root/go"
	wait_exit "$a"
	assert_eq 0 "$status" "$mode: the session exits 0"
	assert_mounts_as "$T/before" "$mode: the host's mount table, ids and covered mounts included, is as before"

	# --stop, and a SIGKILLed setup session cleaned up by the next run
	cz_bg b-$mode g c sleep 30
	b=$BG_PID
	wait_file "$CONTAINERIZE_RUNDIR/g/c/state"
	sleep 0.3
	run cz --stop g c
	wait_exit "$b"
	cz_bg k-$mode g c sleep 30
	k=$BG_PID
	wait_file "$CONTAINERIZE_RUNDIR/g/c/state"
	sleep 0.3
	kill -KILL "$k"
	wait_exit "$k"
	assert_status 0 cz g c true
	assert_eq "$(hook_count bind)" "$(hook_count unbind)" "$mode: bind and unbind balanced after --stop and SIGKILL"
	assert_mounts_as "$T/before" "$mode: after --stop and the cleanup of a SIGKILLed session, the host's mount table is as before"
done
assert_clean g c "$T/before"

# The tree a mount point of the host's own (a file system of its own, say): the bind that shared
# propagation puts over it comes off, and nothing else does, even when a setup died between
# writing its state and making that bind (its state then names no bind to remove).
set_conf g propagation shared
mount --bind "$TREE" "$TREE"
mounts_snapshot >"$T/before-mp"
rm -f "$TREE/root/up" "$TREE/root/go"
cz_bg mp g c sh -c 'touch /root/up; while [ ! -e /root/go ]; do sleep 0.05; done'
mp=$BG_PID
wait_file "$TREE/root/up" || fail "shared, the tree a mount point: the session started" "$(cat "$T/mp.err")"
cp "$CONTAINERIZE_RUNDIR/g/c/state" "$T/state.live"
assert_match "$T/state.live" '^treemnt=[1-9]' "the state names the bind of the tree"
touch "$TREE/root/go"
wait_exit "$mp"
assert_eq 0 "$status" "shared, the tree a mount point: the session exits 0"
assert_mounts_as "$T/before-mp" "shared, the tree a mount point: the host's own mount of the tree stays"
mkdir -p "$CONTAINERIZE_RUNDIR/g/c"
sed 's/^complete=1/complete=0/; s/^treemnt=.*/treemnt=0/' "$T/state.live" >"$CONTAINERIZE_RUNDIR/g/c/state"
run cz g c echo after-a-dead-setup
assert_eq "0 after-a-dead-setup" "$status $out" "the state of a setup that died before its bind is cleaned up"
assert_mounts_as "$T/before-mp" "... and the host's own mount of the tree stays"
umount "$TREE"
assert_clean g c "$T/before"
done_testing
