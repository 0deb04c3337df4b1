#!/bin/bash
# Hooks: bind, profile, stop, unbind: when they run, with which arguments and environment,
# where their mounts land, their stdin and stdout.
. "$(dirname "$0")/../lib/tap.sh"

setup_std
mounts_snapshot >"$T/before"
host_mntns=$(readlink /proc/self/ns/mnt)
C="$CONTAINERIZE_TREES/g/.container"

# bind: proves it ran in the new mount namespace, mounts a tmpfs on $1/mnt, prints to stdout
# and stderr, records its stdin; then the usual log line.
write_hook g bind "
readlink /proc/self/ns/mnt >'$T/bind.mntns'
readlink /proc/self/fd/0 >'$T/bind.stdin'
mount -t tmpfs cztest-bind \"\$1/mnt\" && echo from-bind >\"\$1/mnt/file\"
touch \"\$1/root/bind-ran\"
echo bind-stdout-noise
echo bind-stderr-noise >&2
echo \"bind \$* $HOOKENV\" >>'$HOOKLOG'"
# profile (inside): sees bind's work, records where it is and its env
write_hook g profile '
[ -e /root/bind-ran ] && echo "profile-after-bind" >>/root/profile.log
echo "profile $0 | G=$CONTAINERIZE_GROUP I=$CONTAINERIZE_INSTANCE T=$CONTAINERIZE_TREE P=$CONTAINERIZE_PID C=$CONTAINERIZE_CGROUP" >>/root/profile.log
echo profile-stdout-noise'
# stop: runs while the instance cgroup still exists
write_hook g stop "
[ -d \"\$CONTAINERIZE_CGROUP\" ] && echo cgroup-exists-at-stop >>'$T/stop.extra'
echo \"stop \$* $HOOKENV\" >>'$HOOKLOG'"

# unbind: runs after the container's mounts are gone (no namespace pin left in the run dir)
write_hook g unbind "
grep -c ' $CONTAINERIZE_RUNDIR/g/c/' /proc/self/mountinfo >'$T/unbind.pins'
echo \"unbind \$* $HOOKENV\" >>'$HOOKLOG'"

cz_bg s1 g c sh -c '[ -e /root/profile.log ] && echo profile-before-command;
	cat /mnt/file; ls -A /tmp | wc -l; touch /root/cmd-ran'
pid=$BG_PID
wait_exit "$pid"
assert_eq 0 "$status" "a run with all four hooks exits 0"
out=$(cat "$T/s1.out")
assert_eq $'profile-before-command\nfrom-bind\n0' "$out" \
	"stdout is only the command's: profile ran before it, bind's mount is visible, /tmp is empty"
assert_contains "$T/s1.err" "bind-stdout-noise" "a hook's stdout goes to containerize's stderr"
assert_contains "$T/s1.err" "bind-stderr-noise" "a hook's stderr goes to containerize's stderr"
assert_contains "$T/s1.err" "profile-stdout-noise" "profile's stdout goes to containerize's stderr"
assert_eq "/dev/null" "$(cat "$T/bind.stdin" 2>/dev/null)" "hooks get /dev/null as stdin"
assert_ne "$host_mntns" "$(cat "$T/bind.mntns" 2>/dev/null)" "bind runs in the new mount namespace"

sed 's/ |.*//' "$HOOKLOG" >"$T/order"
assert_eq "bind $TREE g c
stop $TREE $pid
unbind $TREE" "$(cat "$T/order")" "hooks ran once each, in order, with their arguments (INSTANCE_PID = containerize's pid)"

env_expect="| G=g I=c T=$TREE P=$pid C=$(instance_cgroup "$pid")"
for h in bind stop unbind; do
	assert_eq "$env_expect" "$(grep "^$h " "$HOOKLOG" | sed 's/^[^|]*//')" "$h gets the CONTAINERIZE_* environment"
done
assert_eq "profile-after-bind" "$(head -n 1 "$TREE/root/profile.log")" "profile ran after bind"
prof=$(grep '^profile ' "$TREE/root/profile.log")
assert_match "$prof" '^profile /tmp/' "profile runs from under the container's /tmp"
assert_eq "$env_expect" "| ${prof#*| }" "profile gets the CONTAINERIZE_* environment"
assert_eq "cgroup-exists-at-stop" "$(cat "$T/stop.extra" 2>/dev/null)" "stop runs before the instance cgroup is removed"
assert_eq "0" "$(cat "$T/unbind.pins" 2>/dev/null)" "unbind runs after the container's namespaces are unpinned"
assert_clean g c "$T/before"

# $(containerize ...) captures only the command's output even with chatty hooks
out=$(cz g c echo hi 2>/dev/null)
assert_eq "hi" "$out" "\$(containerize g c echo hi) is exactly 'hi' with chatty hooks"

# a joiner runs no hook
: >"$HOOKLOG"
cz_bg first g c sh -c 'touch /root/first-up; while [ ! -e /root/first-go ]; do sleep 0.05; done'
first=$BG_PID
wait_file "$TREE/root/first-up" || fail "first session started" "$(cat "$T/first.err")"
rm -f "$TREE/root/profile.log"
run cz g c true
assert_eq 0 "$status" "a joiner runs"
assert_eq "1 0" "$(hook_count bind) $(hook_count stop)" "a joiner runs no bind hook (only the first session's) and no stop hook"
assert_no_file "$TREE/root/profile.log" "a joiner runs no profile hook"
touch "$TREE/root/first-go"
wait_exit "$first"
assert_eq "1 1 1" "$(hook_count bind) $(hook_count stop) $(hook_count unbind)" "one setup, one teardown"
rm -f "$TREE/root/first-up" "$TREE/root/first-go"

# failing stop and unbind: reported, teardown still completes
write_hook g stop 'echo stop-fails >&2; exit 5'
write_hook g unbind 'exit 6'
run cz g c echo fine
assert_eq "fine" "$out" "the command ran despite failing stop/unbind hooks"
assert_contains "$err" "stop" "a failing stop hook is reported"
assert_contains "$err" "unbind" "a failing unbind hook is reported"
assert_clean g c "$T/before"
log_hooks g
assert_status 0 cz g c true

# hooks that group or others may write: refused or at least warned about, naming the file
chmod 775 "$C/bind"
: >"$HOOKLOG"
run cz g c true
assert_contains "$err" "bind" "a group-writable bind hook is refused or warned about, naming it"
if [ "$status" = 125 ]; then
	assert_eq 0 "$(hook_count bind)" "a refused writable bind hook did not run"
fi
chmod 755 "$C/bind"

assert_clean g c "$T/before"
done_testing
