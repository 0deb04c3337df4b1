#!/bin/bash
# Teardown kills what the last session left running; --stop ends a container now.
. "$(dirname "$0")/../lib/tap.sh"

setup_std
mounts_snapshot >"$T/before"
write_hook g stop "
echo \"stop \$* $HOOKENV\" >>'$HOOKLOG'
cat \"\$CONTAINERIZE_CGROUP/cgroup.procs\" >'$T/procs-at-stop'"

# leftover background processes
run cz g c sh -c 'sleep 1000 & echo $! >/root/bgpid; exit 0'
assert_eq 0 "$status" "a command that leaves a background process exits 0"
bg=$(cat "$TREE/root/bgpid" 2>/dev/null)
assert_contains "$T/procs-at-stop" "$bg" "stop ran while the leftover was still in the instance cgroup"
if [ -n "$bg" ] && wait_gone "$bg" 2; then pass "the leftover background process was killed at teardown"
else fail "the leftover background process was killed at teardown" "pid ${bg:-unknown}"; [ -n "$bg" ] && kill -KILL "$bg"; fi
assert_clean g c "$T/before"

# a leftover holding stdout open does not keep $(containerize ...) waiting
out=$(cz g c sh -c 'sleep 1000 & echo done' 2>/dev/null)
assert_eq "done" "$out" "\$(containerize ...) returns although a leftover held stdout"

# a daemon that double-forks into its own session is killed as well
run cz g c sh -c 'setsid sh -c "sleep 1000 & echo \$! >/root/daemonpid" </dev/null >/dev/null 2>&1; sleep 0.2'
d=$(cat "$TREE/root/daemonpid" 2>/dev/null)
if [ -n "$d" ] && wait_gone "$d" 2; then pass "a setsid daemon left inside was killed at teardown"
else fail "a setsid daemon left inside was killed at teardown" "pid ${d:-?}"; [ -n "$d" ] && kill -KILL "$d"; fi
assert_clean g c "$T/before"

# --stop
run cz --stop g c
assert_eq 125 "$status" "--stop on a container that is not set up: 125"
assert_match "$err" '^containerize: ' "--stop on a container that is not set up says so"
run cz --stop g nosuch
assert_eq 125 "$status" "--stop on a container that does not exist: 125"
run cz --stop ../x c
assert_eq 125 "$status" "--stop with a bad name: 125"

: >"$HOOKLOG"
cz_bg a g c sh -c 'echo $$ >/root/apid; exec sleep 100'
a=$BG_PID
wait_nonempty "$TREE/root/apid" || fail "session started" "$(cat "$T/a.err")"
cz_bg j g c sh -c 'sleep 100'
j=$BG_PID
sleep 0.3
apid=$(cat "$TREE/root/apid")
run cz --stop g c
assert_eq 0 "$status" "--stop on a live container exits 0"
wait_exit "$a" 10
assert_ne "timeout" "$status" "the stopped setup session ended"
assert_ne 0 "$status" "the stopped setup session reports its command was killed ($status)"
wait_exit "$j" 10
assert_ne "timeout" "$status" "the stopped joiner ended"
if wait_gone "$apid" 2; then pass "--stop killed the container's processes"; else fail "--stop killed the container's processes" "pid $apid"; fi
assert_eq "1 1 1" "$(hook_count bind) $(hook_count stop) $(hook_count unbind)" "--stop ran the full teardown once (stop and unbind)"
run cz --list
assert_eq 1 "$(printf '%s\n' "$out" | grep -c .)" "--list shows nothing after --stop"
assert_clean g c "$T/before"

assert_status 0 cz g c true
assert_clean g c "$T/before"
done_testing
