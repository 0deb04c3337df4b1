#!/bin/bash
# A SIGKILLed session, even the one that did the setup, never blocks later use: the next run
# joins or cleans up the stale state, and when it ends nothing is left and unbind ran.
. "$(dirname "$0")/../lib/tap.sh"

setup_std
mounts_snapshot >"$T/before"

# 1. SIGKILL the setup session while its command runs
cz_bg a g c sh -c 'echo $$ >/root/cmdpid; exec sleep 100'
a=$BG_PID
wait_nonempty "$TREE/root/cmdpid" || fail "session started" "$(cat "$T/a.err")"
sleep 0.2
cmdpid=$(cat "$TREE/root/cmdpid")
kill -KILL "$a"
wait_exit "$a"
assert_eq 137 "$status" "the setup session died of SIGKILL"

run cz --list
assert_eq 0 "$status" "--list works after a SIGKILL"
assert_match "$out" '^g[[:space:]]+c[[:space:]]+0([[:space:]]|$)' "--list shows 'g c 0': set up, no live session"

run cz g c echo after-kill
assert_eq 0 "$status" "a normal run after the SIGKILL exits 0"
assert_eq "after-kill" "$out" "a normal run after the SIGKILL runs its command"
assert_eq "$(hook_count bind)" "$(hook_count unbind)" "after that run, every setup (the killed one too) was torn down: bind and unbind counts match"
assert_contains "$HOOKLOG" "stop $TREE $a " "the killed setup's teardown ran its stop hook with its instance pid"
if wait_gone "$cmdpid" 3; then pass "the killed session's orphaned command was killed at teardown"
else fail "the killed session's orphaned command was killed at teardown" "pid $cmdpid still alive"; kill -KILL "$cmdpid"; fi
assert_no_file "$(instance_cgroup "$a")" "the killed session's instance cgroup is gone"
assert_clean g c "$T/before"

# 2. SIGKILL the setup session, and its command ends by itself: the next run cleans up
rm -f "$TREE/root/cmdpid"
: >"$HOOKLOG"
cz_bg b g c sh -c 'echo $$ >/root/cmdpid; exec sleep 100'
b=$BG_PID
wait_nonempty "$TREE/root/cmdpid"
sleep 0.2
kill -KILL "$b"; wait_exit "$b"
kill -KILL "$(cat "$TREE/root/cmdpid")" 2>/dev/null
run cz g c echo again
assert_eq "again" "$out" "with the killed session's command gone too, the next run works"
assert_eq "$(hook_count bind)" "$(hook_count unbind)" "every bind had its unbind"
assert_clean g c "$T/before"

# 3. a reboot with state left on disk (/run here is not a tmpfs): the pins and the run dir's
# own mount are gone, the cgroup too, the boot id differs and the recorded pid is now some
# other live process. The next run must see the state as stale.
rm -f "$TREE/root/cmdpid"
: >"$HOOKLOG"
cz_bg r g c sh -c 'echo $$ >/root/cmdpid; exec sleep 100'
r=$BG_PID
wait_nonempty "$TREE/root/cmdpid"
sleep 0.2
kill -KILL "$r"; wait_exit "$r"
echo 1 >"$(instance_cgroup "$r")/cgroup.kill"
wait_gone "$(cat "$TREE/root/cmdpid")" 2
for i in $(seq 20); do rmdir "$(instance_cgroup "$r")" 2>/dev/null && break; sleep 0.05; done
mounts_under "$CONTAINERIZE_RUNDIR" | sort -r | while read -r m; do umount -l "$m"; done
st="$CONTAINERIZE_RUNDIR/g/c/state"
if grep -q '^boot_id=' "$st" 2>/dev/null; then
	sed -i "s/^boot_id=.*/boot_id=00000000-1111-2222-3333-444444444444/; s/^pid=.*/pid=$$/" "$st"
else
	diag "no boot_id= line in $st: reboot simulated without changing the state file"
fi
run cz g c echo after-reboot
assert_eq "0 after-reboot" "$status $out" "after a simulated reboot with stale state on disk, a run works"
assert_eq 2 "$(hook_count bind)" "after a simulated reboot, the run set up afresh (a second bind ran)"
assert_clean g c "$T/before"

# 4. SIGKILL a joiner: the container stays for the others, no teardown yet
: >"$HOOKLOG"
rm -f "$TREE/root/up" "$TREE/root/go"
cz_bg c1 g c sh -c 'touch /root/up; while [ ! -e /root/go ]; do sleep 0.05; done'
c1=$BG_PID
wait_file "$TREE/root/up"
cz_bg j g c sleep 100
j=$BG_PID
sleep 0.5
kill -KILL "$j"; wait_exit "$j"
assert_eq 0 "$(hook_count stop)" "a SIGKILLed joiner causes no teardown"
run cz g c echo joined
assert_eq "joined" "$out" "others can still join after a joiner was SIGKILLed"
touch "$TREE/root/go"; wait_exit "$c1"
assert_eq 0 "$status" "the first session ends normally"
assert_eq "1 1 1" "$(hook_count bind) $(hook_count stop) $(hook_count unbind)" "one setup, one teardown"
assert_clean g c "$T/before"
done_testing
