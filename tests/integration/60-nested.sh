#!/bin/bash
# Nested mount namespaces: containerize run from inside another mount namespace (`unshare -m`,
# as from a CI container or a systemd unit with PrivateTmp=) sets up, joins and tears down
# whatever CPU that namespace was made on and whatever CPU each start runs on. On Linux 6.18
# namespace ids come from per-CPU batches and the kernel pins a mount namespace only from an
# older one (common/pins.c): before the fix, every start on the CPU whose batch is behind failed
# with "pinning the mnt namespace ...: Invalid argument". Here every pair (CPU the namespace was
# made on, CPU of the start) is tried. 61..65 run the setup, join, SIGKILL, concurrency and stop
# tests from inside such a namespace, unpinned.
# A container set up from one mount namespace cannot be joined from another (the kernel copies no
# mount namespace pin into a new namespace, and the run dir is a private mount): that is refused
# with one clear line, nothing broken.
. "$(dirname "$0")/../lib/tap.sh"

setup_std
mounts_snapshot >"$T/before"
cpus=$(cpu_list)
n=$(wc -l <<<"$cpus")
echo mark >"$TREE/root/mark"

# in_nested CPU CMD...: CMD (a bash script, "$0" = containerize) inside a new mount namespace
# made on CPU, itself free to run anywhere we may
in_nested() {
	local cpu=$1; shift
	taskset -c "$cpu" unshare -m --propagation unchanged \
		taskset -c "$(taskset -pc $$ | sed 's/.*: //')" bash -c "$1" "$CZ"
}

for made in $cpus; do
	for on in $cpus; do
		run in_nested "$made" "
			for i in 1 2 3; do taskset -c $on \"\$0\" g c cat /root/mark || exit; done"
		assert_eq "0" "$status" "namespace made on CPU $made, starts on CPU $on: all work"
		assert_eq "" "$err" "namespace made on CPU $made, starts on CPU $on: no error" || diag "$err"
	done
	# a join, and the teardown after it, both from the nested namespace, on every CPU
	run in_nested "$made" '
		rm -f "$CONTAINERIZE_TREES/g/c/root/up"
		"$0" g c sh -c "touch /root/up; sleep 1; echo first" &
		while [ ! -e "$CONTAINERIZE_TREES/g/c/root/up" ]; do sleep 0.05; done
		for c in '"$(echo $cpus)"'; do taskset -c $c "$0" g c echo "joined on $c" || exit; done
		wait $! || exit
		"$0" --list | wc -l'
	assert_eq "$(for c in $cpus; do echo "joined on $c"; done; echo first; echo 1)" "$out" \
		"namespace made on CPU $made: joins on every CPU, teardown after the last session"
	assert_eq "" "$err" "namespace made on CPU $made: join without error" || diag "$err"
done
assert_eq "$((3 * n * n + n))" "$(hook_count bind)" "every start set up (and the joins joined)"
assert_eq "$(hook_count bind)" "$(hook_count unbind)" "bind and unbind balanced"
assert_clean g c "$T/before"

# Set up from here, joined from a namespace made meanwhile: refused in one line, exit 125.
rm -f "$TREE/root/up" "$TREE/root/go"
cz_bg host g c sh -c 'touch /root/up; while [ ! -e /root/go ]; do sleep 0.05; done'
host=$BG_PID
wait_file "$TREE/root/up" || fail "the host session started" "$(cat "$T/host.err")"
run in_nested "$(head -1 <<<"$cpus")" '"$0" g c touch /root/joined'
assert_eq 125 "$status" "a join from a namespace that cannot see the pins exits 125"
assert_error_line "$err" "... with one line"
assert_contains "$err" "set up from another" "... that says why"
assert_no_file "$TREE/root/joined" "... and runs nothing"
touch "$TREE/root/go"
wait_exit "$host"
assert_eq 0 "$status" "the host's session is not disturbed"
assert_clean g c "$T/before"
done_testing
