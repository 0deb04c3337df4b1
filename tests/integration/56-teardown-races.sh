#!/bin/bash
# Sessions and --stop that arrive while a setup or a teardown is under way. Documented
# behaviour:
#   - a new session that arrives while the last session's teardown runs (a slow stop hook)
#     waits for it, then sets up a fresh instance (a new instance pid, bind runs again) and
#     works; exactly one teardown per setup, setups and teardowns never overlap;
#   - a --stop issued while a setup runs (a slow bind hook) waits for the setup to finish,
#     then stops that instance: stop and unbind run once, the setting-up session's command
#     is killed (or never starts) and that session fails (137, or 125 if its command could
#     not start); --stop exits 0; nothing is left and the next run works;
#   - the last session SIGKILLed while its teardown runs a hook (stop or unbind, which keeps
#     running: hooks are not in the instance cgroup): the next run finishes that teardown
#     (it finds the stale state) without running a hook of it a second time, then sets up
#     afresh; exactly one stop and one unbind per setup.
. "$(dirname "$0")/../lib/tap.sh"

setup_std
mounts_snapshot >"$T/before"
order() { sed 's/ .*//' "$HOOKLOG" | tr '\n' ' '; }

# 1. a new session during the teardown
write_hook g stop "echo \"stop \$* $HOOKENV\" >>'$HOOKLOG'; touch '$T/instop'; sleep 1"
cz_bg a g c true
a=$BG_PID
if wait_file "$T/instop" 10; then
	cz_bg b g c sh -c 'echo b-ran; cat /proc/self/cgroup'
	b=$BG_PID
	sleep 0.4
	if alive "$b"; then pass "teardown race: the new session waits for the teardown"
	else fail "teardown race: the new session waits for the teardown" "$(cat "$T/b.err")"; fi
	wait_exit "$a" 10
	assert_eq 0 "$status" "teardown race: the ending session exits 0"
	wait_exit "$b" 10
	assert_eq 0 "$status" "teardown race: the new session exits 0"
	assert_contains "$T/b.out" "b-ran" "teardown race: the new session's command ran"
	assert_contains "$T/b.out" "/$CGNAME/$b" "teardown race: in a fresh instance (its own instance cgroup)"
	assert_eq "bind stop unbind bind stop unbind " "$(order)" \
		"teardown race: two setups, two teardowns, never overlapping"
	assert_contains "$HOOKLOG" "P=$b " "teardown race: the second setup's hooks carry the new instance pid"
else
	fail "teardown race: the stop hook started" "$(cat "$T/a.err")"
fi
assert_clean g c "$T/before"
log_hooks g

# 2. --stop during the setup
: >"$HOOKLOG"
write_hook g bind "echo \"bind \$* $HOOKENV\" >>'$HOOKLOG'; touch '$T/inbind'; sleep 1"
cz_bg s g c sh -c 'touch /root/ran; exec sleep 100'
s=$BG_PID
if wait_file "$T/inbind" 10; then
	timeout -k 5 20 "$CZ" --stop g c >"$T/stop.out" 2>"$T/stop.err" </dev/null &
	st=$!
	track_pid "$st"
	sleep 0.4
	if alive "$st"; then pass "--stop during setup: it waits for the setup"
	else fail "--stop during setup: it waits for the setup" "$(cat "$T/stop.err")"; fi
	wait_exit "$st" 15
	assert_eq 0 "$status" "--stop during setup: --stop then exits 0"
	[ "$status" = 0 ] || diag "--stop stderr: $(cat "$T/stop.err")"
	wait_exit "$s" 15
	case $status in
	137 | 125) pass "--stop during setup: the setting-up session fails ($status)" ;;
	*) fail "--stop during setup: the setting-up session fails with 137 or 125" "exit $status" "$(cat "$T/s.err")" ;;
	esac
	diag "the stopped session: exit $status, command ran: $([ -e "$TREE/root/ran" ] && echo yes || echo no), stderr: $(cat "$T/s.err")"
	assert_eq "1 1 1" "$(hook_count bind) $(hook_count stop) $(hook_count unbind)" \
		"--stop during setup: one setup, one teardown (stop, unbind)"
	assert_eq "bind stop unbind " "$(order)" "--stop during setup: the teardown came after the setup"
else
	fail "--stop during setup: the bind hook started" "$(cat "$T/s.err")"
fi
assert_clean g c "$T/before"
log_hooks g

# 3. SIGKILL during the teardown's stop or unbind hook
for h in stop unbind; do
	: >"$HOOKLOG"
	rm -f "$T/in$h"
	write_hook g "$h" "echo \"$h \$* $HOOKENV\" >>'$HOOKLOG'; touch '$T/in$h'; sleep 0.5"
	cz_bg k g c true
	k=$BG_PID
	if wait_file "$T/in$h" 10; then
		kill -KILL "$k"
		wait_exit "$k" 5
		sleep 0.7 # the orphaned hook finishes
		run cz g c echo after
		assert_eq "0 after" "$status $out" "SIGKILL during the $h hook: the next run works"
		assert_eq "bind stop unbind bind stop unbind " "$(order)" \
			"SIGKILL during the $h hook: the killed teardown is finished without running a hook twice"
		[ "$(order)" = "bind stop unbind bind stop unbind " ] || diag "$(sed 's/ T=.*//' "$HOOKLOG")"
	else
		fail "SIGKILL during the $h hook: the hook started" "$(cat "$T/k.err")"
	fi
	assert_clean g c "$T/before"
	log_hooks g
done

run cz g c echo next
assert_eq "0 next" "$status $out" "the next run works"
assert_clean g c "$T/before"
done_testing
