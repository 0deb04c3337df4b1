# tests/lib/tap.sh: sourced by every integration test (bash).
#
# Gives each test file:
#   - TAP output: pass/fail/diag, assert_* helpers, done_testing (prints the plan last);
#   - a private temp area $T under /var/tmp (never /tmp: containers get their own /tmp, and
#     never inside the repo) holding trees/, run/ and conf, exported as CONTAINERIZE_TREES,
#     CONTAINERIZE_RUNDIR and CONTAINERIZE_CONF;
#   - busybox trees, groups and logging hooks;
#   - a cleanup trap that undoes whatever a failing test or a buggy binary left behind.
#
# Isolation is by temp dirs. A test file may also run from inside a nested mount namespace,
# as users run containerize from CI containers and systemd units with PrivateTmp=: with
# CZ_NESTED=K set, sourcing this file re-executes the test file in a new mount namespace
# (`unshare -m --propagation unchanged`) made on the K-th CPU we may run on (mod their count):
# on Linux 6.18 its namespace id comes from that CPU's id batch, which is what decides whether
# the namespaces containerize makes can be pinned (common/pins.c). The test itself runs on every
# CPU again. tests/integration/6x-nested-*.sh are such runs.
# shellcheck shell=bash disable=SC2034

set -u
umask 022
export LC_ALL=C
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# cpu_list: the CPUs we may run on, one a line (expands taskset's "0-3,6")
cpu_list() {
	local r
	for r in $(taskset -pc $$ | sed 's/.*: //; s/,/ /g'); do
		if [ "${r#*-}" != "$r" ]; then seq "${r%-*}" "${r#*-}"; else echo "$r"; fi
	done
}

# CZ_SHARED_ROOT=1: the test file runs in a new mount namespace whose / is rshared, as on
# systemd hosts (cut off from the real host first: nothing made there propagates out), with
# stacked mounts, as on many hosts and in containers: /dev/shm three tmpfs deep, /proc twice.
# There mounts_snapshot keeps the mount ids. tests/integration/66-shared-root.sh and 67 run so.
if [ -n "${CZ_SHARED_ROOT:-}" ] && [ -z "${CZ_SHARED_ROOT_IN:-}" ]; then
	exec unshare -m --propagation private env CZ_SHARED_ROOT_IN=1 bash -c '
		mount --make-rshared / &&
		mount -t tmpfs cz-stack1 /dev/shm && mount -t tmpfs cz-stack2 /dev/shm &&
		mount -t proc proc /proc || exit 1
		printf "# shared root: / rshared, /dev/shm and /proc stacked\n"
		exec bash "$0" "$@"' "$0" "$@"
fi

if [ -n "${CZ_NESTED:-}" ] && [ -z "${CZ_NESTED_IN:-}" ]; then
	_cpus=$(cpu_list)
	_mask=$(taskset -pc $$ | sed 's/.*: //')
	_cpu=$(sed -n "$((CZ_NESTED % $(wc -l <<<"$_cpus") + 1))p" <<<"$_cpus")
	printf '# nested: running %s inside unshare -m, the namespace made on CPU %s\n' "${0##*/}" "$_cpu"
	exec taskset -c "$_cpu" unshare -m --propagation unchanged \
		env CZ_NESTED_IN=1 taskset -c "$_mask" bash "$0" "$@"
fi

TAP_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$TAP_LIB/../.." && pwd)
CZ=${CONTAINERIZE:-$REPO/shell/containerize}
TEST_NAME=$(basename "$0" .sh)
# Every test starts in /, which every tree has: containerize keeps the caller's directory where
# the same path exists inside, and says on stderr where it does not.
case $CZ in /*) ;; *) CZ=$PWD/$CZ ;; esac
cd / || exit 1

_tap_n=0
_tap_failed=0
_tap_pids=()
_tap_cgroups=()

# ---------------------------------------------------------------- TAP

diag() { # diag TEXT...: each line of TEXT as a TAP comment
	local line
	printf '%s\n' "$*" | while IFS= read -r line; do printf '# %s\n' "$line"; done
}

pass() { _tap_n=$((_tap_n + 1)); printf 'ok %d - %s\n' "$_tap_n" "$1"; }

fail() { # fail DESC [DIAG...]
	_tap_n=$((_tap_n + 1)); _tap_failed=$((_tap_failed + 1))
	printf 'not ok %d - %s\n' "$_tap_n" "$1"
	shift
	local d
	for d in "$@"; do diag "$d"; done
	return 1
}

skip() { _tap_n=$((_tap_n + 1)); printf 'ok %d - %s # SKIP %s\n' "$_tap_n" "$1" "${2:-}"; }

check() { # check DESC CMD...: passes when CMD succeeds
	local desc=$1; shift
	if "$@"; then pass "$desc"; else fail "$desc" "failed: $*"; fi
}

_tap_plan=
plan() { _tap_plan=$1; printf '1..%d\n' "$1"; } # plan N: announce N tests up front (optional)

done_testing() { # prints the plan (unless plan was called) and exits 0 iff every test passed
	if [ -z "$_tap_plan" ]; then printf '1..%d\n' "$_tap_n"
	elif [ "$_tap_plan" != "$_tap_n" ]; then diag "planned $_tap_plan tests but ran $_tap_n"; exit 255; fi
	[ "$_tap_failed" -eq 0 ] || exit $((_tap_failed > 254 ? 254 : _tap_failed))
	exit 0
}

bail() { # bail REASON: a precondition failed, no point going on (counts as one failure)
	fail "$1" "${@:2}"
	done_testing
}

# ---------------------------------------------------------------- assertions

_show() { # value shown in a diagnostic, with its length when it is short
	if [ -f "$1" ]; then printf 'file %s:\n%s' "$1" "$(head -c 2000 "$1")"; else printf '%q' "$1"; fi
}

assert_eq() { # assert_eq EXPECTED ACTUAL DESC
	if [ "$1" = "$2" ]; then pass "$3"
	else fail "$3" "expected: $(printf '%q' "$1")" "     got: $(printf '%q' "$2")"; fi
}

assert_ne() { # assert_ne UNEXPECTED ACTUAL DESC
	if [ "$1" != "$2" ]; then pass "$3"; else fail "$3" "got the unexpected value $(printf '%q' "$2")"; fi
}

_haystack() { if [ -f "$1" ]; then cat "$1"; else printf '%s' "$1"; fi; }

assert_contains() { # assert_contains FILE_OR_STRING NEEDLE DESC (fixed string)
	if _haystack "$1" | grep -qF -- "$2"; then pass "$3"
	else fail "$3" "missing: $(printf '%q' "$2")" "in: $(_show "$1")"; fi
}

assert_not_contains() { # assert_not_contains FILE_OR_STRING NEEDLE DESC
	if ! _haystack "$1" | grep -qF -- "$2"; then pass "$3"
	else fail "$3" "unexpected: $(printf '%q' "$2")" "in: $(_show "$1")"; fi
}

assert_match() { # assert_match FILE_OR_STRING ERE DESC
	if _haystack "$1" | grep -qE -- "$2"; then pass "$3"
	else fail "$3" "no line matches /$2/" "in: $(_show "$1")"; fi
}

assert_file_exists() { if [ -e "$1" ]; then pass "$2"; else fail "$2" "no such file: $1"; fi; }
assert_no_file() { if [ ! -e "$1" ] && [ ! -L "$1" ]; then pass "$2"; else fail "$2" "exists: $1" "$(ls -la "$1" 2>&1)"; fi; }

# run CMD...: runs CMD with stdin /dev/null; sets $status, $out (stdout), $err (stderr);
# the raw streams stay in $T/run.out and $T/run.err.
run() {
	"$@" >"$T/run.out" 2>"$T/run.err" </dev/null
	status=$?
	out=$(cat "$T/run.out"); err=$(cat "$T/run.err")
}

assert_status() { # assert_status EXPECTED CMD...: run CMD, check its exit status
	local exp=$1; shift
	run "$@"
	if [ "$status" = "$exp" ]; then pass "exit $exp: ${*#"$CZ"}"
	else fail "exit $exp: ${*#"$CZ"}" "got exit $status" "stdout: $out" "stderr: $err"; fi
}

# assert_error_line FILE_OR_STRING DESC: exactly one line, starting "containerize: "
assert_error_line() {
	local text; text=$(_haystack "$1")
	if [ "$(printf '%s\n' "$text" | wc -l)" = 1 ] && [ "${text#containerize: }" != "$text" ]; then pass "$2"
	else fail "$2" "stderr was: $(printf '%q' "$text")"; fi
}

# ---------------------------------------------------------------- processes

cz() { timeout -k 5 "${CZ_TIMEOUT:-20}" "$CZ" "$@"; } # containerize, bounded

track_pid() { _tap_pids+=("$1"); }

# cz_bg NAME ARGS...: start containerize in the background (stdout/stderr in $T/NAME.out and
# $T/NAME.err, stdin /dev/null, default signal dispositions: a non-interactive bash would
# otherwise start it with SIGINT and SIGQUIT ignored). $BG_PID is containerize's own pid.
cz_bg() {
	local name=$1; shift
	env --default-signal "$CZ" "$@" >"$T/$name.out" 2>"$T/$name.err" </dev/null &
	BG_PID=$!
	track_pid "$BG_PID"
}

proc_state() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1; }

# alive PID: running and not a zombie
alive() { local s; s=$(proc_state "$1"); [ -n "$s" ] && [ "$s" != Z ]; }

# wait_exit PID [SECS]: wait for a background child of this shell; $status = its exit status,
# or "timeout" (then it is SIGKILLed).
wait_exit() {
	local pid=$1 secs=${2:-20} i=0
	while alive "$pid"; do
		i=$((i + 1))
		if [ "$i" -gt $((secs * 20)) ]; then
			kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; status=timeout; return 1
		fi
		sleep 0.05
	done
	wait "$pid" 2>/dev/null; status=$?
}

# wait_gone PID [SECS]: wait until PID (not our child) no longer exists (zombies count as gone)
wait_gone() {
	local pid=$1 secs=${2:-5} i=0
	while alive "$pid"; do
		i=$((i + 1)); [ "$i" -gt $((secs * 20)) ] && return 1
		sleep 0.05
	done
}

# wait_file PATH [SECS]: wait until PATH exists
wait_file() {
	local f=$1 secs=${2:-20} i=0
	while [ ! -e "$f" ]; do
		i=$((i + 1)); [ "$i" -gt $((secs * 20)) ] && return 1
		sleep 0.05
	done
}

# wait_nonempty PATH [SECS]: wait until PATH has content (written with "echo ... >PATH")
wait_nonempty() {
	local f=$1 secs=${2:-20} i=0
	while [ ! -s "$f" ]; do
		i=$((i + 1)); [ "$i" -gt $((secs * 20)) ] && return 1
		sleep 0.05
	done
}

# wait_lines FILE COUNT PID: wait (up to 10 s) until FILE has COUNT lines; fails at once if
# PID ends first (the session that was to write them is gone)
wait_lines() {
	local i
	for i in $(seq 200); do
		[ "$(wc -l <"$1")" -ge "$2" ] && return 0
		alive "$3" || return 1
		sleep 0.05
	done
	return 1
}

# wait_live G C: wait (up to 10 s) until `containerize --list` shows G/C
wait_live() {
	local i
	for i in $(seq 100); do
		cz --list 2>/dev/null | awk 'NR > 1 { print $1, $2 }' | grep -qx "$1 $2" && return 0
		sleep 0.1
	done
	return 1
}

# ---------------------------------------------------------------- host state

cg2() { # the cgroup2 mount point
	awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") { print $5; exit } break } }' \
		/proc/self/mountinfo
}

# mounts_snapshot: the host mount table without mount/parent ids, sorted, so two snapshots
# compare. It keeps what a containerize bug could touch: our temp area (trees, run dir), the
# host's system mounts (/, /proc, /sys, /dev, /etc, /usr, ...) and mounts exactly on the
# usual top directories (/tmp, /var/tmp, /run, ...: where a symlinked proc or tmp would
# land). It leaves out the run dir's own private bind mount (made once, kept) and whatever
# other test runs or experiments on this machine mount meanwhile elsewhere (their temp
# dirs under /tmp, /var/tmp, /var/lib, /run/..., /mnt/...). With CZ_SHARED_ROOT (above) the ids
# stay in: a mount unmounted and made again does not compare equal.
mounts_snapshot() {
	awk -v rd="$CONTAINERIZE_RUNDIR" -v t="$T" -v ids="${CZ_SHARED_ROOT_IN:-}" '
		function under(p, top) { return p == top || index(p, top "/") == 1 }
		function kept(p) {
			if (under(p, t)) return 1
			if (p ~ /^\/(tmp|var|var\/tmp|var\/lib|run|mnt|srv|home|trees|opt|media)?$/) return 1
			return under(p, "/etc") || under(p, "/dev") || under(p, "/proc") || under(p, "/sys") ||
				under(p, "/usr") || under(p, "/boot") || under(p, "/bin") || under(p, "/sbin") ||
				under(p, "/lib") || under(p, "/lib64") || under(p, "/root")
		}
		$5 == rd || !kept($5) { next }
		!ids { $1 = ""; $2 = ""; sub(/^ +/, "") }
		{ print }' /proc/self/mountinfo | sort
}

# assert_mounts_as SNAPSHOT_FILE DESC: the host mount table equals the saved snapshot
assert_mounts_as() {
	local now; now=$(mounts_snapshot)
	if [ "$now" = "$(cat "$1")" ]; then pass "$2"
	else fail "$2" "mount table changed (< before, > now):" "$(diff <(cat "$1") <(printf '%s\n' "$now"))"; fi
}

# mounted_at PATH: something is mounted exactly at PATH in the host's mount table
mounted_at() { awk -v p="$1" '$5 == p { f = 1 } END { exit !f }' /proc/self/mountinfo; }

# mounts_under PATH: host mount points at or below PATH
mounts_under() { awk -v p="$1" 'index($5 "/", p "/") == 1 { print $5 }' /proc/self/mountinfo; }

# instance_cgroup PID: the instance cgroup directory for setup pid PID of a group using $CGNAME
instance_cgroup() { printf '%s/%s/%s\n' "$(cg2)" "${2:-$CGNAME}" "$1"; }

track_cgroup() { _tap_cgroups+=("$1"); }

# ---------------------------------------------------------------- trees and groups

# make_busybox_tree DIR: a minimal tree: busybox and all its applets in /bin, /bin/sh working,
# empty proc sys dev tmp etc root mnt srv.
make_busybox_tree() {
	local d=$1 a
	mkdir -p "$d"/bin "$d"/proc "$d"/sys "$d"/dev "$d"/tmp "$d"/etc "$d"/root "$d"/mnt "$d"/srv "$d"/usr
	chmod 1777 "$d/tmp"
	cp /bin/busybox "$d/bin/busybox"
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] || ln -sf busybox "$d/bin/$a"
	done
	ln -sfn bin "$d/sbin"
	ln -sfn ../bin "$d/usr/bin"
	ln -sfn ../bin "$d/usr/sbin"
	echo "root:x:0:0:root:/root:/bin/sh" >"$d/etc/passwd"
	echo "root:x:0:" >"$d/etc/group"
}

# make_group NAME: $TREES/NAME/.container (755, root owned) with a cgroup-name unique to this
# test file ($CGNAME), so cleanup knows exactly which cgroups are ours.
make_group() {
	local c="$CONTAINERIZE_TREES/$1/.container"
	mkdir -p "$c"
	chown root:root "$CONTAINERIZE_TREES/$1" "$c"
	chmod 755 "$CONTAINERIZE_TREES/$1" "$c"
	printf '%s\n' "$CGNAME" >"$c/cgroup-name"
	chmod 644 "$c/cgroup-name"
}

# make_container GROUP NAME: a busybox tree $TREES/GROUP/NAME
make_container() { make_busybox_tree "$CONTAINERIZE_TREES/$1/$2"; }

# set_conf GROUP FILE CONTENT: a plain configuration file
set_conf() {
	printf '%s\n' "$3" >"$CONTAINERIZE_TREES/$1/.container/$2"
	chmod 644 "$CONTAINERIZE_TREES/$1/.container/$2"
}

# write_hook GROUP HOOK BODY: a #!/bin/sh hook, mode 755
write_hook() {
	local f="$CONTAINERIZE_TREES/$1/.container/$2"
	printf '#!/bin/sh\n%s\n' "$3" >"$f"
	chmod 755 "$f"
}

# log_hooks GROUP: bind, unbind and stop append one line each to $HOOKLOG:
#   "HOOK ARGS... | G=.. I=.. T=.. P=.. C=.."
# and profile (inside the tree) to TREE/root/profile.log.
HOOKENV='| G=$CONTAINERIZE_GROUP I=$CONTAINERIZE_INSTANCE T=$CONTAINERIZE_TREE P=$CONTAINERIZE_PID C=$CONTAINERIZE_CGROUP'
log_hooks() {
	local h
	for h in bind unbind stop; do
		write_hook "$1" "$h" "echo \"$h \$* $HOOKENV\" >>'$HOOKLOG'"
	done
	write_hook "$1" profile "echo \"profile \$0 $HOOKENV\" >>/root/profile.log"
}

# hook_count HOOK: how many times HOOK ran (per $HOOKLOG)
hook_count() { if [ -f "$HOOKLOG" ]; then grep -c "^$1 " "$HOOKLOG"; else echo 0; fi; }
# wait_torn_down N: the teardown after the last session (which a PAM session does in the
# application's process, possibly just after the client returned): unbind ran N times and the
# run-dir entry of g/c is gone
wait_torn_down() {
	local i
	for i in $(seq 100); do
		[ "$(hook_count unbind)" -ge "$1" ] && [ ! -e "$CONTAINERIZE_RUNDIR/g/c" ] && return 0
		sleep 0.1
	done
	return 1
}

# setup_std: group g with logging hooks, container c; sets TREE
setup_std() {
	make_group g
	make_container g c
	log_hooks g
	TREE="$CONTAINERIZE_TREES/g/c"
}

# assert_clean GROUP CONTAINER SNAPSHOT_FILE: after the last session: no run-dir entry, host
# mounts as before, nothing in our cgroup.
assert_clean() {
	assert_no_file "$CONTAINERIZE_RUNDIR/$1/$2" "no run-dir entry left for $1/$2"
	assert_mounts_as "$3" "host mount table as before"
	local left
	left=$(find "$(cg2)/$CGNAME" -mindepth 1 -maxdepth 1 -type d 2>/dev/null)
	if [ -z "$left" ]; then pass "no instance cgroup left"
	else fail "no instance cgroup left" "$left"; fi
}

# ---------------------------------------------------------------- temp area and cleanup

# A test file may define test_cleanup(); it runs first in the cleanup trap.

_cleanup() {
	set +e
	local p g c d m i notes=()
	if declare -F test_cleanup >/dev/null; then test_cleanup; fi
	for p in "${_tap_pids[@]}"; do
		if alive "$p"; then kill -KILL "$p" 2>/dev/null; notes+=("killed leftover pid $p"); fi
	done
	wait 2>/dev/null
	if [ -x "$CZ" ] && [ -d "$CONTAINERIZE_RUNDIR" ]; then
		while read -r g c; do
			notes+=("stopping leftover container $g $c")
			timeout -k 2 20 "$CZ" --stop "$g" "$c" >/dev/null 2>&1
		done < <(timeout -k 2 10 "$CZ" --list 2>/dev/null | awk 'NR > 1 && NF >= 2 { print $1, $2 }')
	fi
	local cgs=("${_tap_cgroups[@]}")
	[ -n "$(cg2)" ] && [ -d "$(cg2)/$CGNAME" ] && cgs+=("$(cg2)/$CGNAME")
	for d in "${cgs[@]}"; do
		[ -d "$d" ] || continue
		while read -r c; do
			[ -s "$c/cgroup.procs" ] && { echo 1 >"$c/cgroup.kill"; notes+=("killed processes in $c"); }
			for i in $(seq 40); do grep -q 'populated 0' "$c/cgroup.events" 2>/dev/null && break; sleep 0.05; done
			rmdir "$c" 2>/dev/null || notes+=("could not remove cgroup $c")
		done < <(find "$d" -depth -type d)
	done
	for i in 1 2 3; do
		m=$(mounts_under "$T" | awk '{ print length($0), $0 }' | sort -rn | cut -d' ' -f2-)
		[ -z "$m" ] && break
		while IFS= read -r p; do
			[ "$p" = "$CONTAINERIZE_RUNDIR" ] || notes+=("unmounting leftover $p")
			umount -l "$p" 2>/dev/null
		done <<<"$m"
	done
	if [ -n "$(mounts_under "$T")" ]; then
		notes+=("still mounted under $T, not removing it:" "$(mounts_under "$T")")
	elif [ -z "${KEEP_TMP:-}" ]; then
		rm -rf --one-file-system "$T"
	fi
	for p in "${notes[@]}"; do printf '# cleanup: %s\n' "$p"; done
}

# A binary that is not there fails fast instead of timing out in every test.
if [ ! -x "$CZ" ]; then
	printf 'not ok 1 - containerize binary exists (%s)\n1..1\n' "$CZ"
	exit 1
fi

T=$(mktemp -d /var/tmp/cztest.XXXXXX) || { echo "Bail out! mktemp"; exit 1; }
chmod 755 "$T"
mkdir "$T/trees"
: >"$T/conf"
export CONTAINERIZE_TREES="$T/trees" CONTAINERIZE_RUNDIR="$T/run" CONTAINERIZE_CONF="$T/conf"
HOOKLOG="$T/hooks.log"
CGNAME="cztest.${T##*.}"
trap _cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- cleanup actions, system files

# on_cleanup CMD: eval CMD in the cleanup trap, before the rest of the cleanup, the last one
# registered first. A test file that defines its own test_cleanup must call run_cleanups.
_tap_cleanups=()
on_cleanup() {
	_tap_cleanups+=("$1")
	declare -F test_cleanup >/dev/null || test_cleanup() { run_cleanups; }
}
run_cleanups() {
	local i
	for ((i = ${#_tap_cleanups[@]} - 1; i >= 0; i--)); do eval "${_tap_cleanups[i]}"; done
	_tap_cleanups=()
}

# backup_file PATH: PATH is restored byte-identical (or removed if it did not exist) at exit
backup_file() {
	local f=$1 b
	b="$T/backup.$(printf '%s' "$f" | tr '/' '_')"
	if [ -e "$f" ]; then
		cp -p "$f" "$b" || return 1
		on_cleanup "cp -p '$b' '$f' || printf '# cleanup: could not restore %s\n' '$f'"
	else
		on_cleanup "rm -f '$f'"
	fi
}

# append_line FILE LINE: appends LINE to FILE; at exit exactly that line is taken out again, so
# FILE comes back byte-identical even when other test runs edit it meanwhile the same way
append_line() {
	local f=$1 l=$2 q
	if [ -s "$f" ] && [ "$(tail -c 1 "$f" | od -An -c | tr -d ' ')" != '\n' ]; then
		backup_file "$f" || return 1 # no final newline: put the whole file back instead
	else
		printf -v q '%q %q' "$f" "$l"
		on_cleanup "_remove_line $q"
	fi
	printf '%s\n' "$l" >>"$f"
}
_remove_line() { # _remove_line FILE LINE: removes the last line equal to LINE, in place
	local n
	n=$(grep -nxF -- "$2" "$1" | tail -n 1 | cut -d: -f1)
	[ -n "$n" ] || return 0
	sed -i --follow-symlinks "${n}d" "$1"
}

# user_procs_left UID: the live processes of UID, after waiting up to 10 s for them to go.
user_procs_left() {
	local i left
	for i in $(seq 100); do
		left=$(for p in $(pgrep -u "$1"); do alive "$p" && echo "$p"; done)
		[ -z "$left" ] && break
		sleep 0.1
	done
	printf '%s' "$left"
}
