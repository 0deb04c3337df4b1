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
done_testing
