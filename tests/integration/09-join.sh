#!/bin/bash
# Sessions: a second session joins (no hooks), --list counts sessions, the run dir holds the
# state; when the first session leaves while a joiner runs, the joiner keeps /tmp and /proc,
# and teardown (stop, unbind) happens only after the joiner ends.
. "$(dirname "$0")/../lib/tap.sh"

setup_std
mounts_snapshot >"$T/before"
R="$CONTAINERIZE_RUNDIR/g/c"

cz_bg a g c sh -c 'echo shared-data >/tmp/x; touch /root/a-up
	while [ ! -e /root/a-go ]; do sleep 0.05; done'
a=$BG_PID
wait_file "$TREE/root/a-up" || fail "session A started" "$(cat "$T/a.err")"

assert_file_exists "$R" "the run dir has GROUP/CONTAINER while set up"
for f in lock ref state; do assert_file_exists "$R/$f" "the run dir holds $f"; done
run cz --list
assert_match "$out" '^g[[:space:]]+c[[:space:]]+1([[:space:]]|$)' "--list shows 'g c 1' with one session"
cg=$(instance_cgroup "$a")
assert_file_exists "$cg" "the instance cgroup <cg2>/<cgroup-name>/<pid of A> exists"

cz_bg b g c sh -c 'cat /tmp/x >/root/b-saw; touch /root/b-up
	while [ ! -e /root/b-go ]; do sleep 0.05; done
	cat /tmp/x >/root/b-saw2; test -r /proc/self/status && echo proc-ok >>/root/b-saw2
	grep "^0::" /proc/self/cgroup >>/root/b-saw2'
b=$BG_PID
wait_file "$TREE/root/b-up" || fail "session B started" "$(cat "$T/b.err")"
assert_eq "shared-data" "$(cat "$TREE/root/b-saw" 2>/dev/null)" "a joiner sees the first session's /tmp"
assert_eq 1 "$(hook_count bind)" "the joiner ran no bind hook"
run cz --list
assert_match "$out" '^g[[:space:]]+c[[:space:]]+2([[:space:]]|$)' "--list shows 'g c 2' with two sessions"

touch "$TREE/root/a-go"
wait_exit "$a"
assert_eq 0 "$status" "the first session exits 0 while the joiner still runs"
assert_eq "0 0" "$(hook_count stop) $(hook_count unbind)" "no teardown while the joiner runs"
assert_file_exists "$R/state" "the state stays while the joiner runs"
run cz --list
assert_match "$out" '^g[[:space:]]+c[[:space:]]+1([[:space:]]|$)' "--list shows 'g c 1' after the first session left"

touch "$TREE/root/b-go"
wait_exit "$b"
assert_eq 0 "$status" "the joiner exits 0"
assert_eq "shared-data
proc-ok
0::/$CGNAME/$a" "$(cat "$TREE/root/b-saw2" 2>/dev/null)" \
	"after the first session left, the joiner still has /tmp, /proc, and the instance cgroup"
assert_eq "1 1 1" "$(hook_count bind) $(hook_count stop) $(hook_count unbind)" "exactly one setup and one teardown"
assert_eq "stop $TREE $a" "$(grep '^stop ' "$HOOKLOG" | sed 's/ |.*//')" "stop got the setup session's pid"
run cz --list
assert_eq 1 "$(printf '%s\n' "$out" | grep -c .)" "--list shows nothing after the last session"
assert_no_file "$cg" "the instance cgroup is gone"
assert_clean g c "$T/before"

# a new session after all that sets up afresh
assert_status 0 cz g c test ! -e /tmp/x
assert_eq "2 2" "$(hook_count bind) $(hook_count unbind)" "the next run set up and tore down afresh"

# two containers of one group are independent
make_container g d
cz_bg a2 g c sh -c 'touch /root/a-up2; while [ ! -e /root/a-go2 ]; do sleep 0.05; done'
a2=$BG_PID
wait_file "$TREE/root/a-up2"
run cz g d sh -c 'test ! -e /root/a-up2 && echo other-tree'
assert_eq "other-tree" "$out" "another container of the same group is its own tree"
assert_eq 4 "$(hook_count bind)" "another container of the group gets its own setup"
touch "$TREE/root/a-go2"; wait_exit "$a2"
assert_clean g c "$T/before"
assert_clean g d "$T/before"

# a session that starts while the setup runs (slow bind) waits and joins: one setup
: >"$HOOKLOG"
rm -f "$T/inbind" "$TREE/root/a-up" "$TREE/root/a-go"
write_hook g bind "
echo \"bind \$* $HOOKENV\" >>'$HOOKLOG'
touch '$T/inbind'; sleep 0.5"
cz_bg slow g c sh -c 'touch /root/a-up; while [ ! -e /root/a-go ]; do sleep 0.05; done'
slow=$BG_PID
wait_file "$T/inbind" 10
run cz g c sh -c 'i=0; while [ ! -e /root/a-up ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	test -e /root/a-up && echo joined-after-setup'
assert_eq "0 joined-after-setup" "$status $out" "a session started during the setup waits for it and joins"
touch "$TREE/root/a-go"; wait_exit "$slow"
assert_eq "1 1 1" "$(hook_count bind) $(hook_count stop) $(hook_count unbind)" "one setup, one teardown"
log_hooks g
assert_clean g c "$T/before"

# a session that starts while the teardown runs (slow stop) gets a fresh setup afterwards
: >"$HOOKLOG"
rm -f "$T/instop"
write_hook g stop "
echo \"stop \$* $HOOKENV\" >>'$HOOKLOG'
touch '$T/instop'; sleep 0.5"
cz_bg ending g c true
ending=$BG_PID
wait_file "$T/instop" 10
run cz g c echo fresh
assert_eq "0 fresh" "$status $out" "a session started during the teardown runs"
wait_exit "$ending"
assert_eq 0 "$status" "the session being torn down exits 0"
assert_eq "bind stop unbind bind stop unbind" "$(sed 's/ .*//' "$HOOKLOG" | tr '\n' ' ' | sed 's/ $//')" \
	"it got a fresh setup after the teardown finished"
log_hooks g
assert_clean g c "$T/before"
done_testing
