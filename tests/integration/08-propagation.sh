#!/bin/bash
# propagation: slave (default): host mounts made later under a shared host mount reach the
# container, mounts made inside never reach the host; private: neither way; shared: mounts
# made inside under the tree also appear on the host while the container is set up, and are
# gone after teardown.
# The host has no shared mounts by default, so the test makes TREE/srv a shared bind mount.
. "$(dirname "$0")/../lib/tap.sh"

setup_std
P="$CONTAINERIZE_TREES/g/.container/propagation"
mkdir -p "$TREE/srv/sub" "$TREE/srv/sub2"
mounts_snapshot >"$T/before"

# prop_case MODE HOST_TO_IN(yes|no) IN_TO_HOST(yes|no)
prop_case() {
	local mode=$1 h2i=$2 i2h=$3 s
	if [ "$mode" = default ]; then rm -f "$P"; else set_conf g propagation "$mode"; fi
	mount --bind "$TREE/srv" "$TREE/srv" && mount --make-shared "$TREE/srv"
	rm -f "$TREE/root/up" "$TREE/root/go" "$TREE/root/seen"
	cz_bg "s-$mode" g c sh -c '
		mount -t tmpfs cztest-in /mnt && mount -t tmpfs cztest-in2 /srv/sub2 || exit 9
		touch /root/up
		while [ ! -e /root/go ]; do sleep 0.05; done
		cat /srv/sub/f >/root/seen 2>/dev/null; exit 0'
	s=$BG_PID
	if wait_file "$TREE/root/up"; then
		local in_mnt=no in_srv=no
		mounted_at "$TREE/mnt" && in_mnt=yes
		mounted_at "$TREE/srv/sub2" && in_srv=yes
		assert_eq "$i2h" "$in_mnt" "$mode: a mount made inside on /mnt appears on the host: $i2h"
		[ "$mode" = shared ] || assert_eq "no" "$in_srv" "$mode: a mount made inside under the shared /srv stays inside"
		mount -t tmpfs cztest-host "$TREE/srv/sub" && echo from-host >"$TREE/srv/sub/f"
		touch "$TREE/root/go"
	else
		fail "$mode: session started" "$(cat "$T/s-$mode.err")"
	fi
	wait_exit "$s"
	assert_eq 0 "$status" "$mode: the session exits 0"
	local seen=no
	[ "$(cat "$TREE/root/seen" 2>/dev/null)" = from-host ] && seen=yes
	assert_eq "$h2i" "$seen" "$mode: a host mount made later under a shared host mount reaches the container: $h2i"
	# (in shared mode the teardown may already have taken the host's srv/sub with the tree)
	umount "$TREE/srv/sub" 2>/dev/null
	assert_eq "" "$(mounts_under "$TREE" | grep -v "^$TREE/srv\$")" "$mode: after teardown no mount of the container is left under the tree"
	umount "$TREE/srv"
	assert_clean g c "$T/before"
}

prop_case default yes no
prop_case slave yes no
prop_case private no no
prop_case shared yes yes

for bad in bogus rslave unbindable "slave private"; do
	set_conf g propagation "$bad"
	: >"$HOOKLOG"
	run cz g c touch /root/marker
	assert_eq 125 "$status" "propagation '$bad' is refused with 125"
	assert_contains "$err" "$bad" "the error names the value '$bad'"
	assert_no_file "$TREE/root/marker" "propagation '$bad': the command did not run"
done
rm -f "$P"
assert_clean g c "$T/before"
done_testing
