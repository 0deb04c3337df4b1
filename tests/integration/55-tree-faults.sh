#!/bin/bash
# Trees that are read-only, have odd proc/sys/dev/tmp entries, or are symlinks. Documented
# behaviour:
#   - a read-only tree (the instance dir is a read-only bind mount) works: /proc, /sys, /dev
#     and a fresh writable /tmp are there, the command runs, nothing is left;
#   - a tree whose proc, sys, dev or tmp is a symlink (even to a directory inside the tree,
#     or to itself: dev -> .) or not a directory is refused with 125, the one-line error
#     names the entry, nothing is mounted (06-tree-symlinks.sh has the other cases);
#   - an instance dir (TREES/GROUP/CONTAINER) or group dir that is itself a symlink is
#     refused with 125, no hook runs, nothing is mounted (not even under the link's target).
. "$(dirname "$0")/../lib/tap.sh"

make_group g
log_hooks g
rm "$CONTAINERIZE_TREES/g/.container/profile" # it writes into the tree
TREES=$CONTAINERIZE_TREES

# 1. read-only tree
make_busybox_tree "$T/rosrc"
mkdir "$TREES/g/ro"
mount --bind "$T/rosrc" "$TREES/g/ro"
mount -o remount,bind,ro "$TREES/g/ro"
mounts_snapshot >"$T/before"
run cz g ro sh -c 'touch /root/x 2>/dev/null && echo tree-writable
	[ -r /proc/self/status ] && echo proc
	[ -d /sys/kernel ] && echo sys; [ -c /dev/null ] && echo dev
	touch /tmp/t && echo tmp-writable'
assert_eq 0 "$status" "read-only tree: the command runs (exit 0)"
[ "$status" = 0 ] || diag "stderr: $err"
assert_eq $'proc\nsys\ndev\ntmp-writable' "$out" "read-only tree: /proc /sys /dev there, /tmp writable, the tree read-only"
assert_eq "1 1 1" "$(hook_count bind) $(hook_count stop) $(hook_count unbind)" "read-only tree: one setup, one teardown"
assert_clean g ro "$T/before"
assert_eq "$TREES/g/ro" "$(mounts_under "$TREES/g/ro")" "read-only tree: only the test's own bind is mounted there"
umount "$TREES/g/ro"

# 2. proc/sys/dev/tmp entries that 06-tree-symlinks.sh does not try
mounts_snapshot >"$T/before"
n=0
try_tree() { # try_tree DESC ENTRY SETUP-COMMAND...
	local desc=$1 entry=$2; shift 2
	n=$((n + 1))
	local name="t$n" tree="$TREES/g/t$n"
	make_container g "$name"
	rm -rf "${tree:?}/$entry"
	(cd "$tree" && "$@")
	: >"$HOOKLOG"
	run cz g "$name" touch /root/marker
	assert_eq 125 "$status" "$desc: refused with 125"
	assert_error_line "$err" "$desc: one line 'containerize: ...'"
	assert_contains "$err" "$entry" "$desc: the error names $entry"
	assert_no_file "$tree/root/marker" "$desc: the command did not run"
	assert_eq "$(hook_count bind)" "$(hook_count unbind)" "$desc: a bind that ran was undone"
	assert_clean g "$name" "$T/before"
}
try_tree "tmp -> /tmp (absolute)" tmp ln -s /tmp tmp
try_tree "dev -> . (the tree itself)" dev ln -s . dev
try_tree "sys -> usr (a directory inside the tree)" sys ln -s usr sys
try_tree "proc is a fifo" proc mkfifo proc
assert_eq "" "$(mounts_under /tmp)" "nothing mounted on the host's /tmp"

# 3. the instance dir is a symlink
make_busybox_tree "$T/elsewhere"
ln -s "$T/elsewhere" "$TREES/g/link"
make_container g real
ln -s real "$TREES/g/rel"
for name in link rel; do
	: >"$HOOKLOG"
	run cz g "$name" touch /root/marker
	assert_eq 125 "$status" "instance dir $name is a symlink: refused with 125"
	assert_error_line "$err" "instance dir $name is a symlink: one line 'containerize: ...'"
	assert_contains "$err" "$name" "instance dir $name is a symlink: the error names it"
	diag "stderr: $err"
	assert_eq "0 0" "$(hook_count bind) $(hook_count unbind)" "instance dir $name is a symlink: no hook ran"
	assert_no_file "$T/elsewhere/root/marker" "instance dir $name is a symlink: the command did not run (in the target)"
	assert_no_file "$TREES/g/real/root/marker" "instance dir $name is a symlink: the command did not run (in the sibling)"
	assert_clean g "$name" "$T/before"
done
assert_eq "" "$(mounts_under "$T/elsewhere")" "nothing mounted under the symlink's target"

# 4. the group dir is a symlink
ln -s g "$TREES/h"
: >"$HOOKLOG"
run cz h real touch /root/marker
assert_eq 125 "$status" "group dir is a symlink: refused with 125"
assert_error_line "$err" "group dir is a symlink: one line 'containerize: ...'"
assert_eq "0" "$(hook_count bind)" "group dir is a symlink: no hook ran"
assert_no_file "$TREES/g/real/root/marker" "group dir is a symlink: the command did not run"
assert_clean h real "$T/before"

run cz g real echo fine
assert_eq "0 fine" "$status $out" "control: the real instance works"
assert_clean g real "$T/before"
done_testing
