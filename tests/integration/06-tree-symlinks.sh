#!/bin/bash
# Mount targets are resolved inside the tree: a tree whose proc, sys, dev or tmp is a symlink
# (or missing, or not a directory) is refused with 125, naming the path, and nothing is
# mounted on the host.
. "$(dirname "$0")/../lib/tap.sh"

make_group g
log_hooks g
mounts_snapshot >"$T/before"

n=0
try_tree() { # try_tree DESC ENTRY SETUP-COMMAND...: make a fresh tree, break ENTRY, expect refusal
	local desc=$1 entry=$2; shift 2
	n=$((n + 1))
	local name="t$n" tree="$CONTAINERIZE_TREES/g/t$n"
	make_container g "$name"
	rm -rf "${tree:?}/$entry"
	(cd "$tree" && "$@")
	run cz g "$name" touch /root/marker
	assert_eq 125 "$status" "$desc: refused with 125"
	assert_contains "$err" "$entry" "$desc: the error names $entry"
	assert_no_file "$tree/root/marker" "$desc: the command did not run"
	assert_mounts_as "$T/before" "$desc: host mount table unchanged"
	assert_no_file "$CONTAINERIZE_RUNDIR/g/$name" "$desc: no run-dir entry"
}

try_tree "proc -> /etc" proc ln -s /etc proc
try_tree "tmp -> /" tmp ln -s / tmp
try_tree "sys -> ../../../../.." sys ln -s ../../../../.. sys
try_tree "dev -> /var/tmp" dev ln -s /var/tmp dev
try_tree "tmp -> ../../.. (relative escape)" tmp ln -s ../../.. tmp
try_tree "dangling proc symlink" proc ln -s /nonexistent-cztest proc
try_tree "missing proc" proc true
try_tree "missing tmp" tmp true
try_tree "dev is a regular file" dev touch dev
try_tree "sys is a regular file" sys touch sys

assert_eq "" "$(mounts_under /etc)" "nothing mounted on /etc"
assert_eq "$(hook_count bind)" "$(hook_count unbind)" "every bind that ran was undone by unbind"

assert_mounts_as "$T/before" "host mount table unchanged after all refusals"
done_testing
