#!/bin/bash
# A bind hook that hangs. Documented behaviour:
#   - there is no timeout, by design: hooks may legitimately be slow;
#   - a signal sent to containerize's pid alone (kill PID) is held while the setup runs, so
#     it does not end a hung hook;
#   - Ctrl-C (SIGINT to the foreground process group, here `kill -INT -PGID` on a process
#     group made with setsid) reaches the hook, which dies; the setup fails, unbind undoes
#     bind, stop does not run, the command does not run; containerize prints one line
#     "containerize: bind hook ... failed with signal 2 ..." and exits 130 (128+SIGINT:
#     the held SIGINT decides the status; 125 is also accepted);
#   - a second session started meanwhile waits for the container's lock and, once the first
#     is interrupted, sets the container up afresh and runs normally;
#   - nothing is left afterwards and the next run works.
. "$(dirname "$0")/../lib/tap.sh"

setup_std
mounts_snapshot >"$T/before"
# hang only when $T/hang exists (removed by the hook, so the next setup does not hang)
write_hook g bind "echo \"bind \$* $HOOKENV\" >>'$HOOKLOG'
if [ -e '$T/hang' ]; then rm -f '$T/hang'; echo \$\$ >'$T/hookpid'; sleep 1000; fi"
touch "$T/hang"

setsid env --default-signal "$CZ" g c touch /root/marker-a >"$T/a.out" 2>"$T/a.err" </dev/null &
a=$!
track_pid "$a"
if ! wait_nonempty "$T/hookpid" 10; then bail "the hanging bind hook started" "$(cat "$T/a.err")"; fi
hook=$(cat "$T/hookpid")
assert_eq "$a" "$(ps -o pgid= -p "$a" | tr -d ' ')" "control: the first session leads its own process group"

cz_bg b g c echo b-ran
b=$BG_PID
sleep 1
if alive "$a" && alive "$hook"; then pass "no timeout: after 1 s the hook still runs"
else fail "no timeout: after 1 s the hook still runs" "$(cat "$T/a.err")"; fi
if alive "$b"; then pass "a second session waits while the first is setting up"
else fail "a second session waits while the first is setting up" "$(cat "$T/b.err")"; fi
assert_eq 0 "$(hook_count unbind)" "the second session did not tear anything down meanwhile"

kill -INT "$a"
sleep 0.5
if alive "$a" && alive "$hook"; then pass "SIGINT to containerize's pid alone is held: the hook still runs"
else fail "SIGINT to containerize's pid alone is held: the hook still runs"; fi

kill -INT -- "-$a" # Ctrl-C: the whole foreground process group
wait_exit "$a" 10
case $status in
130 | 125) pass "Ctrl-C during a hung bind hook: containerize exits ($status)" ;;
*) fail "Ctrl-C during a hung bind hook: containerize exits 130 or 125" "got $status" "$(cat "$T/a.err")" ;;
esac
assert_eq 130 "$status" "the exit status is 130 (128+SIGINT)"
assert_error_line "$T/a.err" "one line 'containerize: ...' on stderr"
diag "its stderr: $(cat "$T/a.err")"
assert_contains "$T/a.err" "bind" "the error names the bind hook"
assert_match "$T/a.err" "signal 2|Interrupt" "the error says the hook died of SIGINT"
if wait_gone "$hook" 2; then pass "the hung hook is gone"; else fail "the hung hook is gone" "pid $hook"; kill -KILL "$hook"; fi
assert_no_file "$TREE/root/marker-a" "the interrupted session's command did not run"

wait_exit "$b" 20
assert_eq "0 b-ran" "$status $(cat "$T/b.out")" "the waiting session then runs normally"
assert_eq "2 1 2" "$(hook_count bind) $(hook_count stop) $(hook_count unbind)" \
	"bind 2 (interrupted, fresh), stop 1 (only the one that ran), unbind 2"
assert_clean g c "$T/before"

run cz g c echo next
assert_eq "0 next" "$status $out" "the next run works"
assert_clean g c "$T/before"
done_testing
