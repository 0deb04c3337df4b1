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
done_testing
