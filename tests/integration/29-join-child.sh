#!/bin/bash
# The command's child of a joining session (common/vclone.c) shares the session's memory until
# it executes: clone3 with CLONE_VM|CLONE_VFORK into the instance cgroup (x86_64, not under ASan).
# A child that drops to a user does so only while fs.suid_dumpable keeps that user out of a
# process whose uid changed (0 or 2); with 1 (proc(5): insecure) it is a plain fork, or the user
# could trace it and write the root session's memory. Either way the command runs inside, in
# the instance cgroup, as its user, with its environment, and nothing is left behind.
. "$(dirname "$0")/../lib/tap.sh"
. "$TAP_LIB/users.sh"

command -v strace >/dev/null || bail "strace is not installed"
setup_std
USER_TREES=("$TREE")
make_user vcl /bin/sh || bail "make_user"
U=$NEW_USER UID_=$NEW_UID
mounts_snapshot >"$T/before"

cz_bg hold g c sleep 60
HOLD=$BG_PID
wait_live g c || bail "the first session did not come up"
# the instance cgroup, as the holder's command (its child) sees it
INST_CG=$(grep "^0::" "/proc/$(cut -d' ' -f1 "/proc/$HOLD/task/$HOLD/children")/cgroup")
PROBE='id -u; echo "$CONTAINERIZE_GROUP/$CONTAINERIZE_INSTANCE"; grep "^0::" /proc/self/cgroup; cat /cz-marker'
echo inside >"$TREE/cz-marker"

# join_flags CZ-ARGS...: run a join under strace; $out/$status are the command's, $flags the
# flags of the first clone3 (the command's child: a join clones nothing else)
join_flags() {
	# a sanitizer build's LeakSanitizer cannot run under ptrace and exits 1 (the other tests
	# check for leaks)
	out=$(ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -qq -e trace=clone3 -o "$T/strace" timeout -k 5 20 "$CZ" "$@" 2>"$T/err")
	status=$?
	flags=$(grep -m 1 -o 'flags=[A-Z_|0-9x]*' "$T/strace")
}
shares=yes
[ "$(uname -m)" = x86_64 ] || shares="no (not x86_64)"
ldd "$CZ" 2>/dev/null | grep -q libasan && shares="no (ASan build)"

# --- root's command
join_flags g c sh -c "$PROBE"
assert_eq 0 "$status" "root's join runs its command"
assert_eq "0|g/c|$INST_CG|inside" "$(echo "$out" | paste -sd'|')" "... as root, with its marks, in the instance cgroup, in the tree"
if [ "$shares" = yes ]; then
	assert_contains "$flags" "CLONE_VM|CLONE_VFORK" "... from a child that borrows the session's memory ($flags)"
else
	skip "root's join child borrows the session's memory" "$shares"
fi
assert_contains "$flags" CLONE_INTO_CGROUP "... started in the instance cgroup"

# --- glibc's execvp runs a script without a #! line through /bin/sh with a copy of argv on the
# child's stack: 20000 arguments (160 KB) need more than a small stack
printf 'echo "ran with $# arguments"\n' >"$TREE/bin/no-hashbang"
chmod 755 "$TREE/bin/no-hashbang"
run cz g c no-hashbang $(seq 20000)
assert_eq "0:ran with 20000 arguments" "$status:$out" "a script without #! and 20000 arguments runs in a join"

# --- a user's command (root's -u), with the system's own fs.suid_dumpable
SD=$(cat /proc/sys/fs/suid_dumpable)
join_flags -u "$U" g c sh -c "$PROBE"'; echo "$SHELL"'
assert_eq 0 "$status" "a user's join (-u) runs its command"
assert_eq "$UID_|g/c|$INST_CG|inside|/bin/sh" "$(echo "$out" | paste -sd'|')" \
	"... as the user, with its marks and SHELL, in the instance cgroup, in the tree"
case $SD:$shares in
[02]:yes) assert_contains "$flags" "CLONE_VM|CLONE_VFORK" "... with fs.suid_dumpable=$SD its child borrows the session's memory" ;;
*:yes) assert_not_contains "$flags" CLONE_VM "... with fs.suid_dumpable=$SD its child is a fork" ;;
*) skip "a user's join child and fs.suid_dumpable" "$shares" ;;
esac

# --- fs.suid_dumpable=1 for as short as it takes (restored at exit in any case)
if [ "$shares" = yes ] && [ -w /proc/sys/fs/suid_dumpable ]; then
	on_cleanup "echo $SD >/proc/sys/fs/suid_dumpable"
	echo 1 >/proc/sys/fs/suid_dumpable
	join_flags -u "$U" g c sh -c "$PROBE"
	uflags=$flags ustatus=$status uout=$out
	join_flags g c true
	echo "$SD" >/proc/sys/fs/suid_dumpable
	assert_eq "0|$UID_|inside" "$ustatus|$(echo "$uout" | sed -n '1p;4p' | paste -sd'|')" \
		"with fs.suid_dumpable=1 a user's join still runs its command, as the user, in the tree"
	assert_not_contains "$uflags" CLONE_VM "... from a child with memory of its own, a fork ($uflags)"
	assert_contains "$uflags" CLONE_INTO_CGROUP "... started in the instance cgroup"
	assert_contains "$flags" "CLONE_VM|CLONE_VFORK" "root's command, which drops nothing, still borrows the memory then"
else
	skip "a user's join with fs.suid_dumpable=1" "${shares/yes/cannot write /proc/sys/fs/suid_dumpable}"
fi

kill -TERM "$HOLD"
wait_exit "$HOLD" 20 || fail "the holding session ends"
assert_clean g c "$T/before"
done_testing
