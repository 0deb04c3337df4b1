#!/bin/bash
# Throwaway instances and --hold for a mapped (non-root) user, through the setuid binary
# (SPEC 6, SECURITY.md "Throwaway instances": a rule grants containers, not new trees):
#   - --ephemeral, with or without --hold: refused, exit 125, one line, nothing set up or made;
#   - --hold of a container a rule grants: the "ready" line, the session held (others join it),
#     the hold ends when its stdin ends, exit 0, torn down, nothing left; the hold runs as root,
#     so the user cannot signal it; --hold of a container no rule grants: 125;
#   - a throwaway instance that root holds, joined by a user whose rule names it: the command
#     runs as the user and sees the instance's files; the base, named by a rule, is refused
#     while the instance lives; once it ended, its name is refused (125) and nothing is left.
. "$(dirname "$0")/../lib/tap.sh"
. "$TAP_LIB/setuid-build.sh"
. "$TAP_LIB/users.sh"

setuid_fixture busybox
make_user map || bail "make_user"
U=$NEW_USER UID_=$NEW_UID
set_map "$U g c
$U g t1"
mounts_snapshot >"$T/before"

# nothing_left DESC: no run-dir entry, no throwaway directory, mounts as before, no cgroup
nothing_left() {
	local left
	left=$(find "$CONTAINERIZE_RUNDIR" -mindepth 2 -maxdepth 2 2>/dev/null)
	assert_eq "" "$left" "$1: no run-dir entry"
	assert_no_file "$CONTAINERIZE_TREES/g/t1" "$1: no directory for the throwaway instance"
	assert_mounts_as "$T/before" "$1: host mount table as before"
	left=$(find "$(cg2)/$CGNAME" -mindepth 1 -maxdepth 1 -type d 2>/dev/null)
	assert_eq "" "$left" "$1: no instance cgroup left"
}
# hold_bg NAME CMD...: CMD (a --hold) in the background, its stdin a fifo whose only writer is
# this shell (fd 8); ready once it printed its line; HOLD_PID
hold_bg() {
	local name=$1; shift
	mkfifo "$T/$name.in"
	"$@" <"$T/$name.in" >"$T/$name.out" 2>"$T/$name.err" &
	HOLD_PID=$!
	track_pid "$HOLD_PID"
	exec 8>"$T/$name.in"
	wait_nonempty "$T/$name.out" 10 || diag "$name: $(cat "$T/$name.err")"
}

# 1. --ephemeral is root's
binds=$(hook_count bind)
run as_user "$U" "$CZU" --ephemeral c g t1 sh -c 'echo ran'
assert_eq 125 "$status" "mapped user: --ephemeral is refused, 125"
assert_error_line "$err" "... with one line"
assert_contains "$err" "permission denied: --ephemeral is for root" "... saying why"
run as_user "$U" "$CZU" --hold --ephemeral c g t1
assert_eq 125 "$status" "mapped user: --hold --ephemeral is refused, 125"
assert_contains "$err" "permission denied: --ephemeral is for root" "... saying why"
assert_eq "$binds" "$(hook_count bind)" "mapped user's --ephemeral: no hook ran"
nothing_left "mapped user's --ephemeral"

# 2. --hold of a container the rule grants
hold_bg h1 as_user "$U" "$CZU" --hold g c
h1=$HOLD_PID
assert_match "$(cat "$T/h1.out")" '^ready g/c [0-9]+$' "mapped user: --hold prints its ready line"
run as_user "$U" "$CZU" g c id -u
assert_eq "0 $UID_" "$status $out" "mapped user: a command joins the held container, as the user"
run as_user "$U" kill -TERM "$h1"
assert_eq 1 "$([ "$status" != 0 ] && alive "$h1" && echo 1)" "the user cannot signal the hold (it runs as root)"
exec 8>&-
wait_exit "$h1" 10
assert_eq 0 "$status" "mapped user: --hold ends with exit 0 when its stdin ends"
assert_eq "" "$(cat "$T/h1.err")" "... with no message"
assert_eq "$((binds + 1)) $((binds + 1))" "$(hook_count bind) $(hook_count unbind)" "... and its teardown ran"
nothing_left "mapped user's --hold"
run as_user "$U" "$CZU" --hold g other
assert_eq 125 "$status" "mapped user: --hold of a container no rule grants: 125"
assert_contains "$err" "permission denied" "... permission denied"
nothing_left "mapped user's refused --hold"

# 3. a throwaway instance root holds, joined by the user
hold_bg h2 "$CZ" --hold --ephemeral c g t1
h2=$HOLD_PID
run cz g t1 sh -c 'echo from-root >/t1-file'
run as_user "$U" "$CZU" g t1 sh -c 'cat /t1-file; id -u; cat /cz-marker'
assert_eq "0 from-root
$UID_
inside-tree" "$status $out" "mapped user: joins a throwaway instance its rule names, as the user"
assert_no_file "$TREE/t1-file" "the base is not written"
run as_user "$U" "$CZU" g c true
assert_eq 125 "$status" "mapped user: the base is refused while the instance lives"
assert_contains "$err" "g/c is the base of 1 live throwaway instance (t1)" "... naming it"
exec 8>&-
wait_exit "$h2" 10
assert_eq 0 "$status" "root's hold of the instance ends"
run as_user "$U" "$CZU" g t1 true
assert_eq 125 "$status" "mapped user: the ended instance's name is refused"
assert_error_line "$err" "... with one line"
run as_user "$U" "$CZU" g c sh -c 'test -e /t1-file || echo clean'
assert_eq "0 clean" "$status $out" "mapped user: the base is usable again, untouched"
nothing_left "after the throwaway instance"

done_testing
