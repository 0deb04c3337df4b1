#!/bin/bash
# A stop or unbind hook that fails (exit 1). Documented behaviour: the failure is reported on
# stderr, on one line "containerize: HOOK hook PATH failed with exit status 1"; the teardown
# still completes (the other hook runs, the instance's processes are killed, no mount, run
# dir entry or cgroup left); containerize's exit status stays the command's; the next run
# sets up afresh and works. The same when the failing teardown is a --stop.
. "$(dirname "$0")/../lib/tap.sh"

setup_std
mounts_snapshot >"$T/before"

for h in stop unbind; do
	log_hooks g
	: >"$HOOKLOG"
	write_hook g "$h" "echo \"$h \$* $HOOKENV\" >>'$HOOKLOG'; echo $h-says-hello >&2; exit 1"
	run cz g c sh -c 'sleep 1000 & echo $! >/root/bgpid; echo out; exit 7'
	assert_eq 7 "$status" "failing $h: the command's exit status (7) is kept"
	assert_eq "out" "$out" "failing $h: stdout is the command's only"
	assert_match "$err" "^containerize: .*$h.*(exit status 1|status 1)" "failing $h: reported on stderr, naming the hook and its status"
	assert_eq 1 "$(printf '%s\n' "$err" | grep -c '^containerize: ')" "failing $h: one containerize: line"
	diag "stderr: $err"
	assert_eq "1 1 1" "$(hook_count bind) $(hook_count stop) $(hook_count unbind)" \
		"failing $h: the teardown still ran both stop and unbind once"
	bg=$(cat "$TREE/root/bgpid" 2>/dev/null)
	if [ -n "$bg" ] && wait_gone "$bg" 2; then pass "failing $h: the leftover process was killed"
	else fail "failing $h: the leftover process was killed" "pid ${bg:-?}"; [ -n "$bg" ] && kill -KILL "$bg"; fi
	assert_clean g c "$T/before"
	run cz g c echo again
	assert_eq "0 again" "$status $out" "failing $h: the next run works"
	assert_eq 2 "$(hook_count bind)" "failing $h: the next run set up afresh"
	assert_clean g c "$T/before"

	# the same teardown through --stop
	: >"$HOOKLOG"
	rm -f "$TREE/root/up"
	cz_bg s g c sh -c 'touch /root/up; exec sleep 100'
	s=$BG_PID
	wait_file "$TREE/root/up" 10 || fail "failing $h, --stop: session started" "$(cat "$T/s.err")"
	run cz --stop g c
	assert_eq 0 "$status" "failing $h: --stop still exits 0"
	assert_match "$err" "^containerize: .*$h.*1" "failing $h: --stop reports the hook failure"
	wait_exit "$s" 10
	assert_eq 137 "$status" "failing $h: the stopped session's command was killed (137)"
	assert_eq "1 1 1" "$(hook_count bind) $(hook_count stop) $(hook_count unbind)" \
		"failing $h: --stop ran the full teardown once"
	assert_clean g c "$T/before"
done
log_hooks g
assert_status 0 cz g c true
assert_clean g c "$T/before"
done_testing
