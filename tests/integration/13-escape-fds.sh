#!/bin/bash
# The tree is / by pivot_root, not a bare chroot: the classic chroot escape does not reach
# the host. No file descriptor leaks into the command.
. "$(dirname "$0")/../lib/tap.sh"

setup_std
mounts_snapshot >"$T/before"
echo host-only >"$T/hostmarker"

# mkdir x; chroot x; chdir .. many times; chroot .; then look for a host-only file
cat >"$T/escape.c" <<'EOF'
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
int main(int argc, char **argv) {
	int i;
	if (argc < 2) return 2;
	mkdir("cztest-escape-x", 0700);
	if (chroot("cztest-escape-x") != 0) { perror("chroot x"); return 2; }
	for (i = 0; i < 64; i++) if (chdir("..") != 0) { perror("chdir"); return 2; }
	if (chroot(".") != 0) { perror("chroot ."); return 2; }
	puts(access(argv[1], F_OK) == 0 ? "ESCAPED" : "CONTAINED");
	return 0;
}
EOF
if gcc -static -O -o "$TREE/bin/cztest-escape" "$T/escape.c" 2>"$T/gcc.err"; then
	# the program does escape a bare chroot: the test can tell
	out=$(cd "$TREE/root" && chroot "$TREE" /bin/sh -c "cd /root && /bin/cztest-escape '$T/hostmarker'")
	assert_eq "ESCAPED" "$out" "control: the escape program leaves a bare chroot"
	run cz g c sh -c "cd /root && /bin/cztest-escape '$T/hostmarker'"
	assert_eq "CONTAINED" "$out" "the chroot escape inside the container stays in the tree"
else
	fail "gcc -static builds the escape program" "$(cat "$T/gcc.err")"
fi

run cz g c sh -c 'ls -a /..; echo ==; ls -a /'
assert_eq "$(sed -n '/^==$/,$p' "$T/run.out" | tail -n +2)" "$(sed -n '1,/^==$/p' "$T/run.out" | sed '$d')" "/.. is / inside"
run cz g c cat /proc/self/mountinfo
if awk -v t="$TREE" '$5 == t || index($5, t "/") == 1 { f = 1 } END { exit f }' "$T/run.out"; then
	pass "the host path of the tree does not appear in the container's mount table"
else
	fail "the host path of the tree does not appear in the container's mount table" "$(grep -F "$TREE" "$T/run.out")"
fi
assert_eq "/" "$(awk '$5 == "/" { print $5 }' "$T/run.out" | head -n 1)" "the container's mount table has a root mount"
run cz g c test -e "$T/hostmarker"
assert_eq 1 "$status" "a host-only path does not exist inside"

# file descriptors
exec 7</etc/hostname 8>"$T/fd8"
run cz g c ls /proc/self/fd
fds=$(printf '%s\n' "$out" | tr -s ' \n' '\n' | grep . | sort -n | tr '\n' ' ')
case "$fds" in
"0 1 2 " | "0 1 2 3 ") pass "the command has only fds 0 1 2 (and ls's own) although the caller had 7 and 8 open" ;;
*) fail "the command has only fds 0 1 2 (and ls's own) although the caller had 7 and 8 open" "fds: $fds" ;;
esac
run cz g c sh -c 'for f in /proc/self/fd/*; do echo "$f $(readlink "$f")"; done'
if printf '%s\n' "$out" | grep -qE " $CONTAINERIZE_RUNDIR(/|\$)"; then
	fail "no fd of the run dir reaches the command" "$out"
else
	pass "no fd of the run dir reaches the command"
fi
exec 7<&- 8>&-
# a joiner too
cz_bg a g c sh -c 'touch /root/up; while [ ! -e /root/go ]; do sleep 0.05; done'
a=$BG_PID
wait_file "$TREE/root/up"
exec 7</etc/hostname
run cz g c ls /proc/self/fd
exec 7<&-
fds=$(printf '%s\n' "$out" | tr -s ' \n' '\n' | grep . | sort -n | tr '\n' ' ')
case "$fds" in
"0 1 2 " | "0 1 2 3 ") pass "a joiner's command has only fds 0 1 2 (and ls's own)" ;;
*) fail "a joiner's command has only fds 0 1 2 (and ls's own)" "fds: $fds" ;;
esac
touch "$TREE/root/go"; wait_exit "$a"
assert_clean g c "$T/before"
done_testing
