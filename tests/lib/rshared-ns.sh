#!/bin/bash
# tests/lib/rshared-ns.sh CMD...: run CMD (the test runner, tests/run) from a mount namespace
# like those our users start containerize from on systemd hosts and in containers: its / is
# rshared and mounts are stacked (/dev/shm two more tmpfs deep, /proc mounted twice). The
# namespace is cut off from the real host first (`unshare --propagation private`): nothing made
# or unmounted there can reach the host's mounts, whatever a test does.
# `make check CZ_HOST_NS=rshared` runs the suite so; .ci/run's second pass does.
#
# Adds two checks to CMD's "N passed, N failed" line, and prints the new totals last:
#   - that namespace's mount table (/proc/self/mountinfo, mount ids and covered mounts included)
#     is the same after the whole run as before it: no mount added or changed anywhere (the
#     build's own run dir, which containerize mounts once and keeps, aside), none of its own
#     mounts gone (its system mounts and those on its top directories: what a propagation bug
#     would take, as it once took the /proc, /dev/pts and /dev/shm of such a namespace);
#   - the host's own mounts are the same before and after, ids included.
# Other test runs on the machine may mount and unmount in their own temp dirs meanwhile: the
# host's mounts there are left out, and so is the namespace's copy of such a mount going away
# (removing a mount point's directory detaches its mounts in every namespace).
# Exits 0 iff CMD did and every check passed. A failure inside counts as a failure outside.
set -u
export LC_ALL=C
top=$(cd "$(dirname "$0")/../.." && pwd)
[ $# -gt 0 ] || { echo "usage: $0 CMD..." >&2; exit 2; }

# judge DESC CHANGES LOG RC: print the check DESC, which passes if there are no CHANGES (else
# they follow it); then the totals of LOG's last "N passed, N failed" line (none: the run did
# not even report, one failure more) with this check added. Status 0 iff nothing failed and RC
# (the run's status) is 0.
judge() {
	local line p=0 f=1
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$3" | tail -n 1)
	[ -z "$line" ] || { set -- "$@" $line; p=$5 f=$7; }
	if [ -z "$2" ]; then
		echo "ok 1 - $1"
		p=$((p + 1))
	else
		echo "not ok 1 - $1"
		printf '%s\n' "$2" | sed 's/^/# /'
		f=$((f + 1))
	fi
	echo "$p passed, $f failed"
	[ "$f" = 0 ] && [ "$4" = 0 ]
}

# own: the mounts (mountinfo lines) on stdin that are the host's own: its system mounts and
# those on its top directories, as mounts_snapshot (tests/lib/tap.sh) keeps them
own() {
	awk 'function under(p, top) { return p == top || index(p, top "/") == 1 }
		$5 ~ /^\/(tmp|var|var\/tmp|var\/lib|var\/cache|run|mnt|srv|home|trees|opt|media)?$/ ||
		under($5, "/etc") || under($5, "/dev") || under($5, "/proc") || under($5, "/sys") ||
		under($5, "/usr") || under($5, "/boot") || under($5, "/bin") || under($5, "/sbin") ||
		under($5, "/lib") || under($5, "/lib64") || under($5, "/root")'
}

# changes BEFORE AFTER (two mount tables): "< MOUNT" for each of the own mounts gone or changed,
# "> MOUNT" for each mount added or changed anywhere but the run dir
changes() {
	comm -23 <(sort <<<"$1") <(sort <<<"$2") | own | sed 's/^/< /'
	comm -13 <(sort <<<"$1") <(sort <<<"$2") | awk -v rd="$rundir" '$5 != rd && index($5, rd "/") != 1' |
		sed 's/^/> /'
}

# the run dir containerize was built with (RUNDIR in the Makefile): mounted once, kept
rundir=$(sed -n 's/^RUNDIR *?*= *//p' "$top/Makefile" | head -n 1)

if [ -z "${CZ_RSHARED_NS_IN:-}" ]; then
	log=$(mktemp /tmp/cz-rshared-ns.XXXXXX) || exit 1
	trap 'rm -f "$log"' EXIT
	before=$(own </proc/self/mountinfo)
	CZ_RSHARED_NS_IN=1 unshare -m --propagation private bash "$0" "$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	after=$(own </proc/self/mountinfo)
	echo "# ---- the host after the run in the rshared namespace"
	judge "the host's own mounts are as before (ids included)" "$(changes "$before" "$after")" "$log" "$rc"
	exit
fi

# Inside the new namespace (private: a copy of the host's mounts in peer groups of its own).
# Make it look like a systemd host's: / rshared (systemd makes every mount shared at boot), and
# stacked mounts, where a path reaches only the top one of a stack.
echo "# rshared namespace: / rshared, /dev/shm and /proc stacked; running $*"
if ! { mount --make-rshared / && mount -t tmpfs cz-stack1 /dev/shm &&
	mount -t tmpfs cz-stack2 /dev/shm && mount -t proc proc /proc; }; then
	echo "not ok 1 - the rshared namespace was made"
	echo "0 passed, 1 failed"
	exit 1
fi
log=$(mktemp /tmp/cz-rshared-ns.XXXXXX) || exit 1
trap 'rm -f "$log"' EXIT
before=$(cat /proc/self/mountinfo)
"$@" | tee "$log"
rc=${PIPESTATUS[0]}
after=$(cat /proc/self/mountinfo)
echo "# ---- the rshared namespace after the run"
judge "the namespace's mount table is as before (ids, covered mounts included)" \
	"$(changes "$before" "$after")" "$log" "$rc"
