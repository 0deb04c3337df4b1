#!/bin/bash
# unshare-options: --uts --ipc --net --pid --cgroup (and -u -i -n -p -C), --fork accepted,
# anything else refused naming the option.
. "$(dirname "$0")/../lib/tap.sh"

setup_std
mounts_snapshot >"$T/before"
U="$CONTAINERIZE_TREES/g/.container/unshare-options"
ns_in() { cz g c sh -c "for n in $*; do readlink /proc/self/ns/\$n; done"; }
ns_host() { local n; for n in "$@"; do readlink "/proc/self/ns/$n"; done; }

# default: only the mount namespace is new
out=$(ns_in mnt uts ipc net pid cgroup)
assert_eq "$(ns_host uts ipc net pid cgroup)" "$(printf '%s\n' "$out" | tail -n +2)" \
	"without unshare-options only the mount namespace is new"
assert_ne "$(ns_host mnt)" "$(printf '%s\n' "$out" | head -n 1)" "the mount namespace is new"

for opts in "--uts --ipc --net --pid --cgroup" "-u -i -n -p -C" "--fork --uts --ipc --net --pid --cgroup" "-f -uinpC"; do
	set_conf g unshare-options "$opts"
	run ns_in uts ipc net pid cgroup
	if [ "$status" != 0 ]; then
		fail "unshare-options '$opts' works" "exit $status" "$err"
		continue
	fi
	same=$(comm -12 <(ns_host uts ipc net pid cgroup | sort) <(printf '%s\n' "$out" | sort))
	assert_eq "" "$same" "unshare-options '$opts': uts ipc net pid cgroup namespaces are all new"
done

# --uts: hostname inside does not change the host's; a joiner sees the container's
set_conf g unshare-options "--uts"
host_name=$(hostname)
cz_bg s1 g c sh -c 'hostname cztest-inside; touch /root/up; while [ ! -e /root/go ]; do sleep 0.05; done'
s1=$BG_PID
wait_file "$TREE/root/up" || fail "session with --uts started" "$(cat "$T/s1.err")"
run cz g c hostname
assert_eq "cztest-inside" "$out" "--uts: a joiner sees the hostname set inside"
assert_eq "$host_name" "$(hostname)" "--uts: the host's hostname is unchanged"
touch "$TREE/root/go"; wait_exit "$s1"
assert_eq 0 "$status" "--uts: the session exits 0"
rm -f "$TREE/root/up" "$TREE/root/go"

# --net: only lo inside
set_conf g unshare-options "--net"
run cz g c grep -c : /proc/net/dev
assert_eq "1" "$out" "--net: /proc/net/dev shows a single interface (lo) inside"

# --cgroup: the command sees itself at the root of its cgroup namespace
set_conf g unshare-options "--cgroup"
run cz g c grep '^0::' /proc/self/cgroup
assert_eq "0::/" "$out" "--cgroup: /proc/self/cgroup shows 0::/"

# --pid: a fresh /proc, few pids, PID 1 is the reaper, joiners see the same pid namespace
set_conf g unshare-options "--pid"
cz_bg p1 g c sh -c 'echo $$ >/root/p1pid; touch /root/up; while [ ! -e /root/go ]; do sleep 0.05; done'
p1=$BG_PID
wait_file "$TREE/root/up" || fail "session with --pid started" "$(cat "$T/p1.err")"
run cz g c sh -c 'echo $$; ls /proc | grep -c "^[0-9]"'
inner_pid=$(sed -n 1p "$T/run.out")
nproc=$(sed -n 2p "$T/run.out")
p1pid=$(cat "$TREE/root/p1pid")
if [ -n "$inner_pid" ] && [ "$inner_pid" -lt 20 ]; then pass "--pid: the command has a small pid ($inner_pid)"
else fail "--pid: the command has a small pid" "pid $inner_pid" "$err"; fi
if [ -n "$nproc" ] && [ "$nproc" -lt 12 ]; then pass "--pid: /proc shows only the container's processes ($nproc)"
else fail "--pid: /proc shows only the container's processes" "$nproc pids" "$err"; fi
assert_ne "$inner_pid" "1" "--pid: the command is not PID 1 (a reaper is)"
if [ -n "$p1pid" ] && [ "$p1pid" -lt 20 ]; then pass "--pid: the first session's command also has a small pid"
else fail "--pid: the first session's command also has a small pid" "$p1pid"; fi
run cz g c test -d "/proc/$p1pid"
assert_eq 0 "$status" "--pid: a joiner sees the first session's process in its /proc"
touch "$TREE/root/go"; wait_exit "$p1"
assert_eq 0 "$status" "--pid: the first session exits 0"
rm -f "$TREE/root/up" "$TREE/root/go"
assert_clean g c "$T/before"

# all namespaces: a joiner enters the same ones, also after the first session left
set_conf g unshare-options "--uts --ipc --net --pid --cgroup"
rm -f "$TREE/root/up" "$TREE/root/go" "$TREE/root/b-up" "$TREE/root/b-go"
cz_bg na g c sh -c 'for n in mnt uts ipc net pid cgroup; do readlink /proc/self/ns/$n; done >/root/ns-a
	touch /root/up; while [ ! -e /root/go ]; do sleep 0.05; done'
na=$BG_PID
wait_file "$TREE/root/up" || fail "session with all namespaces started" "$(cat "$T/na.err")"
cz_bg nb g c sh -c 'touch /root/b-up; while [ ! -e /root/b-go ]; do sleep 0.05; done'
nb=$BG_PID
wait_file "$TREE/root/b-up"
run cz g c sh -c 'for n in mnt uts ipc net pid cgroup; do readlink /proc/self/ns/$n; done'
assert_eq "$(cat "$TREE/root/ns-a")" "$out" "a joiner is in the same mnt uts ipc net pid cgroup namespaces"
touch "$TREE/root/go"; wait_exit "$na"
assert_eq 0 "$status" "the first session exits 0 while a joiner runs"
run cz g c sh -c 'for n in mnt uts ipc net pid cgroup; do readlink /proc/self/ns/$n; done'
assert_eq "$(cat "$TREE/root/ns-a")" "$out" "after the first session left, a new session still joins the same namespaces (the pid namespace lives on)"
touch "$TREE/root/b-go"; wait_exit "$nb"
assert_eq 0 "$status" "the joiner exits 0"
assert_clean g c "$T/before"

# bad options
for bad in --user --propagation=shared --bogus -U -x --root=/ ; do
	set_conf g unshare-options "--uts $bad"
	: >"$HOOKLOG"
	run cz g c touch /root/marker
	assert_eq 125 "$status" "unshare-options '$bad' is refused with 125"
	assert_contains "$err" "$bad" "the error names the option '$bad'"
	assert_no_file "$TREE/root/marker" "'$bad': the command did not run"
done
assert_error_line "$err" "the error is one line starting 'containerize: '"

rm -f "$U"
assert_clean g c "$T/before"
done_testing
