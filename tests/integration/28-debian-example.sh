#!/bin/bash
# The Debian example group (doc/examples/debian/.container, as shipped) on a real debootstrap
# tree: it works as it is (its fstab sources exist on every Debian host, nothing is needed in
# the tree); while the container is live its bind hook's policy-rc.d keeps daemons from
# starting (apt-get install of cron: "policy-rc.d denied", no cron process; the control without
# it: cron starts), a tree's own policy-rc.d is left alone; unbind takes the guard away again;
# the stop hook ends what was left; Debian's bash prompt shows (GROUP/CONTAINER). Needs the
# Debian mirror for the package; skips only if no Debian tree can be made. The tree gets a
# stand-in /sbin/init and runlevel: without them, invoke-rc.d starts nothing by itself.
. "$(dirname "$0")/../lib/tap.sh"
. "$TAP_LIB/debtree.sh"

if [ -n "${CZ_SKIP_SLOW:-}" ]; then
	skip "the Debian example group on a debootstrap tree" "CZ_SKIP_SLOW is set"
	done_testing
fi
G=$CONTAINERIZE_TREES/debian
TREE=$G/bookworm
if ! debian_tree "$TREE"; then
	skip "a Debian bookworm tree" "debootstrap failed: $(tail -n 3 "$(dirname "$DEBTREE_CACHE")/debootstrap.log" 2>/dev/null | tr '\n' ' ')"
	done_testing
fi
make_group debian	# its cgroup-name keeps the test's processes apart
cp "$REPO"/doc/examples/debian/.container/* "$G/.container/"
chown root:root "$G"/.container/*
GUARD=$TREE/usr/sbin/policy-rc.d
rm -f "$GUARD"
# A minbase tree has no init system and no runlevel, and invoke-rc.d then starts nothing by
# itself; a tree with an init whose runlevel it can read does. Stand in for that.
printf '#!/bin/sh\nexit 0\n' >"$TREE/usr/sbin/init"
printf '#!/bin/sh\necho N 2\n' >"$TREE/usr/sbin/runlevel"
chmod 755 "$TREE/usr/sbin/init" "$TREE/usr/sbin/runlevel"
# the example shares the host's package cache: take out again what this test adds to it
ARCH=/var/cache/apt/archives
ls "$ARCH" >"$T/archives.before" 2>/dev/null
on_cleanup "comm -13 '$T/archives.before' <(ls '$ARCH') | while read -r f; do rm -f '$ARCH/'\"\$f\"; done"
mounts_snapshot >"$T/before"
CZ_TIMEOUT=600

run cz debian bookworm true
assert_eq "0:" "$status:$err" "the example group works as shipped on a fresh debootstrap tree"
assert_no_file "$GUARD" "after the session: no policy-rc.d left in the tree"

cz_bg hold debian bookworm sleep 600
HOLD=$BG_PID
for i in $(seq 200); do
	cz --list 2>/dev/null | awk 'NR > 1 { print $1, $2 }' | grep -qx "debian bookworm" && break
	sleep 0.1
done
IPID=$(cz --list | awk 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "PID") c = i }
	$1 == "debian" && $2 == "bookworm" { print $c }')
CG=$(instance_cgroup "$IPID")
check "the instance cgroup is found ($CG)" grep -q . "$CG/cgroup.procs"
in_container() { # the names of the container's processes, one a line
	local p
	for p in $(cat "$CG/cgroup.procs" 2>/dev/null); do cat "/proc/$p/comm" 2>/dev/null; done
}

assert_contains "$(cat "$GUARD" 2>/dev/null)" "# made by containerize-example-guard" "while live: bind made the policy-rc.d guard"
run cz debian bookworm /usr/sbin/policy-rc.d cron start
assert_eq 101 "$status" "the guard answers 101 (action not allowed)"
run cz debian bookworm awk '$5 == "/usr/src" || $5 == "/var/cache/apt/archives" { print $5 }' /proc/self/mountinfo
assert_eq $'/usr/src\n/var/cache/apt/archives' "$out" "the example fstab's mounts are there"

run cz debian bookworm env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends cron
assert_eq 0 "$status" "apt-get install cron inside: exit 0" || diag "$(tail -n 20 "$T/run.out")" "$err"
assert_contains "$out" "invoke-rc.d: policy-rc.d denied execution of start." "the package's start was denied by the guard"
sleep 1
assert_eq "" "$(in_container | grep -x cron)" "no cron daemon runs in the container"

# control: without the guard, the same start does start cron
run cz debian bookworm sh -c 'mv /usr/sbin/policy-rc.d /usr/sbin/policy-rc.d.off && invoke-rc.d cron start; r=$?; mv /usr/sbin/policy-rc.d.off /usr/sbin/policy-rc.d; exit $r'
assert_eq 0 "$status" "control: invoke-rc.d cron start without the guard" || diag "$out" "$err"
for i in $(seq 300); do in_container | grep -qx cron && break; sleep 0.1; done
assert_eq "cron" "$(in_container | grep -x cron | head -n 1)" "control: without the guard, cron runs" ||
	diag "invoke-rc.d said: $out $err" "in the container: $(in_container | xargs)"

run cz debian bookworm bash -ic 'printf "%s\n" "${PS1@P}"'
assert_match "$out" '^\(debian/bookworm\)root@' "Debian's bash prompt shows (GROUP/CONTAINER)"

kill -TERM "$HOLD"
wait_exit "$HOLD" 60
assert_eq 143 "$status" "the holding session ends"
for i in $(seq 100); do [ -e "$CONTAINERIZE_RUNDIR/debian/bookworm" ] || break; sleep 0.1; done
assert_no_file "$GUARD" "after the teardown: unbind took the guard away"
assert_no_file "$CG" "the stop hook and the teardown ended cron: no instance cgroup left"

printf '#!/bin/sh\nexit 0\n' >"$GUARD"
chmod 755 "$GUARD"
run cz debian bookworm cat /usr/sbin/policy-rc.d
assert_eq $'0:#!/bin/sh\nexit 0' "$status:$out" "a tree's own policy-rc.d is used as it is"
assert_eq $'#!/bin/sh\nexit 0' "$(cat "$GUARD")" "... and left in place by unbind"
rm -f "$GUARD"

assert_clean debian bookworm "$T/before"
done_testing
