#!/bin/bash
# Every process of every session sits in <cgroup2 mount>/<cgroup-name>/<INSTANCE_PID>;
# default cgroup-name is "containerize"; the directory is gone after teardown.
. "$(dirname "$0")/../lib/tap.sh"

setup_std
mounts_snapshot >"$T/before"
CG2=$(cg2)
assert_ne "" "$CG2" "control: a cgroup2 mount exists"

# the group's cgroup-name (unique to this test file)
cz_bg a g c sh -c 'echo $$ >/root/cmdpid; grep "^0::" /proc/self/cgroup >/root/cg; touch /root/up
	while [ ! -e /root/go ]; do sleep 0.05; done'
a=$BG_PID
wait_file "$TREE/root/up" || fail "session started" "$(cat "$T/a.err")"
cg="$CG2/$CGNAME/$a"
assert_eq "0::/$CGNAME/$a" "$(cat "$TREE/root/cg")" "inside, /proc/self/cgroup shows /<cgroup-name>/<instance pid>"
assert_file_exists "$cg" "the instance cgroup exists on the host while running"
assert_contains "$(cat "$cg/cgroup.procs" 2>/dev/null)" "$(cat "$TREE/root/cmdpid")" "the command's pid is in the instance cgroup's cgroup.procs"
# a joiner's command lands in the same cgroup
run cz g c sh -c 'grep "^0::" /proc/self/cgroup'
assert_eq "0::/$CGNAME/$a" "$out" "a joiner's command is in the same instance cgroup"
touch "$TREE/root/go"
wait_exit "$a"
assert_no_file "$cg" "the instance cgroup is gone after teardown"
assert_clean g c "$T/before"

# default name: containerize
rm "$CONTAINERIZE_TREES/g/.container/cgroup-name"
rm -f "$TREE/root/up" "$TREE/root/go"
cz_bg d g c sh -c 'grep "^0::" /proc/self/cgroup >/root/cg; touch /root/up
	while [ ! -e /root/go ]; do sleep 0.05; done'
d=$BG_PID
track_cgroup "$CG2/containerize/$d"
wait_file "$TREE/root/up" || fail "session started" "$(cat "$T/d.err")"
assert_eq "0::/containerize/$d" "$(cat "$TREE/root/cg")" "without cgroup-name the cgroup is containerize/<instance pid>"
assert_file_exists "$CG2/containerize/$d" "the default instance cgroup exists on the host"
touch "$TREE/root/go"
wait_exit "$d"
assert_no_file "$CG2/containerize/$d" "the default instance cgroup is gone after teardown"
assert_eq "$(hook_count bind)" "$(hook_count unbind)" "bind and unbind counts match"
assert_clean g c "$T/before"
done_testing
