#!/bin/bash
# A run dir that is full, read-only, or a shared mount. Documented behaviour:
#   - full (a tiny tmpfs with no free blocks, or no free inodes) and read-only (a ro tmpfs,
#     or a ro bind mount): the run is refused with 125 and one line "containerize: ..."
#     naming the run dir and the cause (No space left on device, Read-only file system);
#     the command does not run, no hook runs but unbind after a bind that ran, and nothing
#     is left: no run-dir entry, no mount, no cgroup. Once space is freed (or the dir is
#     made writable) the next run works.
#   - a run dir that is a shared mount before the first run works: containerize makes it
#     private (its mountinfo line has no shared: tag afterwards) and keeps that mount.
. "$(dirname "$0")/../lib/tap.sh"

setup_std
rd=$CONTAINERIZE_RUNDIR
mkdir -p "$rd"

# expect_refused DESC CAUSE-REGEX: a run is refused cleanly
expect_refused() {
	local desc=$1 cause=$2
	: >"$HOOKLOG"
	run cz g c touch /root/marker
	assert_eq 125 "$status" "$desc: refused with 125"
	assert_error_line "$err" "$desc: one line 'containerize: ...'"
	assert_match "$err" "$cause" "$desc: the error gives the cause"
	assert_match "$err" "$rd|run dir" "$desc: the error names the run dir"
	diag "stderr: $err"
	assert_no_file "$TREE/root/marker" "$desc: the command did not run"
	assert_eq "$(hook_count bind)" "$(hook_count unbind)" "$desc: every bind that ran was undone by unbind"
	assert_eq 0 "$(hook_count stop)" "$desc: stop did not run"
	assert_clean g c "$T/before"
}

# 1. full: no free blocks
mount -t tmpfs -o size=256k,mode=755 cztest-full "$rd"
mounts_snapshot >"$T/before"
dd if=/dev/zero of="$rd/filler" bs=4k 2>/dev/null
expect_refused "run dir without free blocks" "No space left on device"
rm -f "$rd/filler"
run cz g c echo ok
assert_eq "0 ok" "$status $out" "run dir with space again: the next run works"
assert_clean g c "$T/before"
umount "$rd"

# 2. full: no free inodes
mount -t tmpfs -o size=1m,nr_inodes=16,mode=755 cztest-noinodes "$rd"
mounts_snapshot >"$T/before"
i=0; while touch "$rd/f$i" 2>/dev/null && [ "$i" -lt 100 ]; do i=$((i + 1)); done
expect_refused "run dir without free inodes" "No space left on device"
rm -f "$rd"/f*
run cz g c echo ok
assert_eq "0 ok" "$status $out" "run dir with inodes again: the next run works"
assert_clean g c "$T/before"
umount "$rd"

# 3. read-only tmpfs
mount -t tmpfs -o ro,size=1m,mode=755 cztest-ro "$rd"
mounts_snapshot >"$T/before"
expect_refused "read-only tmpfs run dir" "Read-only file system"
umount "$rd"

# 4. read-only bind mount of a directory
mkdir -p "$T/rosrc"
mount --bind "$T/rosrc" "$rd"
mount -o remount,bind,ro "$rd"
mounts_snapshot >"$T/before"
expect_refused "read-only bind mount as run dir" "Read-only file system"
mount -o remount,bind,rw "$rd"
run cz g c echo ok
assert_eq "0 ok" "$status $out" "run dir writable again: the next run works"
assert_clean g c "$T/before"
umount "$rd"

# 5. a shared bind mount as run dir, before the first run
export CONTAINERIZE_RUNDIR="$T/run-shared"
rd=$CONTAINERIZE_RUNDIR
mkdir -p "$rd"
mount --bind "$rd" "$rd"
mount --make-shared "$rd"
prop() { awk -v p="$1" '$5 == p { l = $0 } END { print l }' /proc/self/mountinfo; }
assert_match "$(prop "$rd")" " shared:[0-9]+ " "control: the run dir is a shared mount"
mounts_snapshot >"$T/before"
: >"$HOOKLOG"
run cz g c echo shared-ok
assert_eq "0 shared-ok" "$status $out" "shared run dir: the run works"
[ "$status" = 0 ] || diag "stderr: $err"
assert_ne "" "$(prop "$rd")" "shared run dir: it is still a mount point"
assert_not_contains "$(prop "$rd")" "shared:" "shared run dir: containerize made it private (no shared: tag)"
assert_eq "1 1 1" "$(hook_count bind) $(hook_count stop) $(hook_count unbind)" "shared run dir: one setup, one teardown"
assert_clean g c "$T/before"
run cz g c echo again
assert_eq "0 again" "$status $out" "shared run dir: a second run works"
assert_clean g c "$T/before"
done_testing
