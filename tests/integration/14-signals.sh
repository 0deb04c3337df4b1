#!/bin/bash
# SIGTERM, SIGINT, SIGHUP, SIGQUIT sent to containerize reach the command: containerize exits
# 128+N and the teardown is done when it returns.
. "$(dirname "$0")/../lib/tap.sh"

setup_std
mounts_snapshot >"$T/before"

for sig in TERM:143 INT:130 HUP:129 QUIT:131; do
	name=${sig%:*} code=${sig#*:}
	rm -f "$TREE/root/pid"
	: >"$HOOKLOG"
	cz_bg "$name" g c sh -c 'echo $$ >/root/pid; exec sleep 100'
	p=$BG_PID
	wait_nonempty "$TREE/root/pid" || fail "SIG$name: session started" "$(cat "$T/$name.err")"
	sleep 0.1
	cmd=$(cat "$TREE/root/pid")
	kill -"$name" "$p"
	wait_exit "$p" 10
	assert_eq "$code" "$status" "SIG$name to containerize: exit $code"
	assert_eq "1 1" "$(hook_count stop) $(hook_count unbind)" "SIG$name: teardown done when containerize returned"
	if wait_gone "$cmd" 1; then pass "SIG$name: the command is gone"; else fail "SIG$name: the command is gone" "pid $cmd"; fi
	assert_clean g c "$T/before"
done

# a command that handles the signal decides the exit status
rm -f "$TREE/root/pid"
cz_bg trap g c sh -c 'trap "echo got-term >/root/trapped; exit 3" TERM; echo $$ >/root/pid
	while :; do sleep 0.05; done'
p=$BG_PID
wait_nonempty "$TREE/root/pid"
sleep 0.1
kill -TERM "$p"
wait_exit "$p" 10
assert_eq 3 "$status" "a command that traps SIGTERM and exits 3: containerize exits 3"
assert_eq "got-term" "$(cat "$TREE/root/trapped" 2>/dev/null)" "the command's trap ran once"

# a signal to a joiner reaches only the joiner's command
rm -f "$TREE/root/up" "$TREE/root/go"
cz_bg first g c sh -c 'touch /root/up; while [ ! -e /root/go ]; do sleep 0.05; done; echo first-survived'
f=$BG_PID
wait_file "$TREE/root/up"
cz_bg joiner g c sleep 100
j=$BG_PID
sleep 0.3
kill -TERM "$j"
wait_exit "$j" 10
assert_eq 143 "$status" "SIGTERM to a joiner: it exits 143"
touch "$TREE/root/go"
wait_exit "$f" 10
assert_eq "0 first-survived" "$status $(cat "$T/first.out")" "the other session was not affected"
assert_clean g c "$T/before"

# a signal while the bind hook runs (Ctrl-C on a slow setup): when containerize returns,
# the setup is undone (unbind ran), the command never ran, nothing is left
for name in TERM INT; do
	: >"$HOOKLOG"
	rm -f "$T/inbind" "$TREE/root/marker"
	write_hook g bind "
echo \"bind \$* $HOOKENV\" >>'$HOOKLOG'
touch '$T/inbind'; sleep 1"
	cz_bg "setup-$name" g c touch /root/marker
	p=$BG_PID
	if wait_file "$T/inbind" 10; then
		kill -"$name" "$p"
		wait_exit "$p" 10
		assert_ne 0 "$status" "SIG$name during the bind hook: containerize fails ($status)"
		sleep 1.2 # let the orphaned hook finish, if containerize did not wait for it
		assert_no_file "$TREE/root/marker" "SIG$name during the bind hook: the command did not run"
		assert_eq "1 0 1" "$(hook_count bind) $(hook_count stop) $(hook_count unbind)" \
			"SIG$name during the bind hook: unbind ran when containerize returned, stop did not"
		assert_clean g c "$T/before"
	else
		fail "SIG$name during the bind hook: bind started" "$(cat "$T/setup-$name.err")"
	fi
	log_hooks g
	assert_status 0 cz g c true
done

# a signal while the stop hook runs (a terminal hangup while a slow teardown runs): when
# containerize returns, the teardown is complete, and it ran once
for name in TERM HUP; do
	: >"$HOOKLOG"
	rm -f "$T/instop"
	write_hook g stop "
echo \"stop \$* $HOOKENV\" >>'$HOOKLOG'
touch '$T/instop'; sleep 1"
	cz_bg "teardown-$name" g c true
	p=$BG_PID
	if wait_file "$T/instop" 10; then
		kill -"$name" "$p"
		wait_exit "$p" 10
		assert_ne timeout "$status" "SIG$name during the stop hook: containerize returns ($status)"
		assert_eq "1" "$(hook_count unbind)" "SIG$name during the stop hook: unbind ran when containerize returned"
		assert_clean g c "$T/before"
		log_hooks g
		assert_status 0 cz g c true
		assert_eq "2 2 2" "$(hook_count bind) $(hook_count stop) $(hook_count unbind)" \
			"SIG$name during the stop hook: exactly one teardown per setup (the next run did not tear down again)"
	else
		fail "SIG$name during the stop hook: stop started" "$(cat "$T/teardown-$name.err")"
	fi
	log_hooks g
done
assert_clean g c "$T/before"
done_testing
