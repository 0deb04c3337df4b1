#!/bin/bash
# SECURITY.md claims about what is not a boundary, and about the hooks' identity:
# - a user's `ulimit -f 0` does not stop their setuid containerize half-way (it raises its own
#   limits, or refuses at once where root cannot raise a hard limit; COMMAND gets the limit
#   back, so its write is killed by SIGXFSZ): the command's output never appears, the next
#   normal run by the user works and nothing is left (37-limits-sweep.sh has the rest);
# - a process stopped while it holds a container's lock (here: during its bind hook) blocks
#   another session of that container until it is continued; then both finish normally;
# - setuid programs in the tree work inside (the tree is not mounted nosuid): a setuid-root
#   program run by a mapped user through setuid containerize gets euid 0 and can setuid(0);
# - pam_containerize's hooks run as root in full (real and effective uid and gid 0) even when
#   su is run by an ordinary user (su's real uid is the user's, its gid the user's), and the
#   session's teardown runs stop and unbind as it does under su run by root (the control).
# Busybox trees: no Debian needed here.
. "$(dirname "$0")/../lib/tap.sh"
. "$TAP_LIB/setuid-build.sh"
. "$TAP_LIB/users.sh"
. "$TAP_LIB/debtree.sh"

setuid_fixture busybox
make_user lim "$CZS" || bail "make_user"
U=$NEW_USER UID_=$NEW_UID GID_=$NEW_GID
add_shell "$CZS"
set_map "$U g c"
mounts_snapshot >"$T/before"

# --- 1. the user's RLIMIT_FSIZE 0 and their setuid containerize
run as_user "$U" sh -c 'ulimit -f 0; exec "$1" g c echo limited-ran' _ "$CZU"
diag "with ulimit -f 0: exit $status, stderr: $err"
assert_ne 0 "$status" "ulimit -f 0: no success (refused at once, or COMMAND's write killed by SIGXFSZ)"
assert_not_contains "$out" "limited-ran" "ulimit -f 0: the command's output never appears"
if [ "$status" = $((128 + 25)) ]; then diag "(killed by SIGXFSZ)"; fi
run as_user "$U" "$CZU" g c sh -c 'cat /cz-marker; id -u'
assert_eq "0:inside-tree"$'\n'"$UID_" "$status:$out" "after it: a normal run by the user works" || diag "$err"
assert_eq "$(hook_count bind)" "$(hook_count unbind)" "after it: as many teardowns as setups"
assert_clean g c "$T/before"

# --- 3. a setuid-root program in the tree gives the mapped user root inside (documented)
static_into_tree "$REPO/tests/unit/pam/setuid0.c" "$TREE/bin/suidprobe" || bail "gcc -static setuid0.c"
chown root:root "$TREE/bin/suidprobe"
chmod 755 "$TREE/bin/suidprobe"
run as_user "$U" "$CZU" g c /bin/suidprobe
assert_eq "0:setuid0 failed" "$status:$(grep '^setuid0' <<<"$out")" "control: without the setuid bit the program cannot setuid(0)"
assert_contains "$out" "ids $UID_ $UID_ $GID_ $GID_" "control: without the setuid bit it runs as the user"
chmod 4755 "$TREE/bin/suidprobe"
run as_user "$U" "$CZU" g c /bin/suidprobe
assert_eq 0 "$status" "setuid probe in the tree, run by the mapped user: exit 0" || diag "$err"
assert_contains "$out" "setuid0 ok" "setuid-root program in the tree: setuid(0) works inside (no nosuid)"
assert_contains "$out" "ids 0 0 0 0" "setuid-root program in the tree: it ends up with uid and gid 0 inside"
run as_user "$U" "$CZU" g c sh -c 'awk "\$5 == \"/\" { print \$6 }" /proc/self/mountinfo'
assert_not_contains "$out" "nosuid" "the container's / is not mounted nosuid ($out)"
rm -f "$TREE/bin/suidprobe"
wait_torn_down "$(hook_count bind)"

# --- 2. a stopped process holding the container's lock blocks the container until continued
write_hook g bind "echo \"bind \$* $HOOKENV\" >>'$HOOKLOG'
touch '$T/bind-started'
sleep 1"
b0=$(hook_count bind)
"$CZ" g c true >"$T/a.out" 2>"$T/a.err" </dev/null &
a=$!
track_pid "$a"
wait_file "$T/bind-started" 10 || bail "the first session's bind hook started" "$(cat "$T/a.err")"
kill -STOP "$a"
for i in $(seq 40); do [ "$(proc_state "$a")" = T ] && break; sleep 0.05; done
assert_eq T "$(proc_state "$a")" "session A is stopped during its bind hook"
timeout -k 2 10 "$CZ" g c echo b >"$T/b.out" 2>"$T/b.err" </dev/null &
b=$!
track_pid "$b"
sleep 2
if alive "$b"; then pass "session B is still waiting 2 s later"
else fail "session B is still waiting 2 s later" "B: $(cat "$T/b.out" "$T/b.err")"; fi
assert_eq "$((b0 + 1))" "$(hook_count bind)" "meanwhile no second setup ran"
assert_eq "" "$(cat "$T/b.out")" "meanwhile B's command did not run"
kill -CONT "$a"
wait_exit "$a" 20
assert_eq 0 "$status" "after SIGCONT session A finishes with 0" || diag "$(cat "$T/a.err")"
wait_exit "$b" 20
assert_eq 0 "$status" "then session B finishes with 0" || diag "$(cat "$T/b.err")"
assert_eq b "$(cat "$T/b.out")" "session B printed b"
wait_torn_down "$(hook_count bind)" || diag "not torn down"
assert_eq "$(hook_count bind)" "$(hook_count unbind)" "as many teardowns as setups"
assert_clean g c "$T/before"

# --- 4. pam_containerize's hooks run as root in full under su run by an ordinary user
if [ "$PAM_BUILT" != yes ]; then
	skip "PAM hooks under su by an ordinary user" "pam_containerize.so did not build"
	done_testing
fi
make_user x /bin/sh || bail "make_user"
X=$NEW_USER
make_user y /bin/sh || bail "make_user"
Y=$NEW_USER YUID=$NEW_UID
backup_file /etc/pam.d/su-l || bail "back up /etc/pam.d/su-l"
printf '%s\n' "auth sufficient pam_permit.so" "account required pam_permit.so" \
	"session required $PAMMOD group=g container=c trees=$CONTAINERIZE_TREES rundir=$CONTAINERIZE_RUNDIR" \
	"session optional pam_permit.so" >/etc/pam.d/su-l
for h in bind stop unbind; do # each logs its ids
	write_hook g "$h" "echo \"$h \$* uid=\$(id -u) ruid=\$(id -ru) gid=\$(id -g) rgid=\$(id -rg) groups=\$(id -G | tr ' ' ,)\" >>'$HOOKLOG'"
done
last() { grep "^$1 " "$HOOKLOG" | tail -n 1; }
wait_entry_gone() { # the last session's teardown is over: the run-dir entry is gone
	local i
	for i in $(seq 100); do [ ! -e "$CONTAINERIZE_RUNDIR/g/c" ] && return 0; sleep 0.1; done
	return 1
}

# control: su run by root (as the other PAM tests do)
b0=$(hook_count bind) u0=$(hook_count unbind)
run timeout -k 5 30 su - "$Y" -c 'id -u; cat /cz-marker'
assert_eq "0:$YUID"$'\n'"inside-tree" "$status:$out" "control: su - Y by root: Y's command ran inside, as Y" || diag "$err"
wait_entry_gone || diag "run-dir entry still there"
assert_eq "$((b0 + 1)) $((u0 + 1))" "$(hook_count bind) $(hook_count unbind)" "control: su by root: one bind, one unbind"
assert_match "$(last bind)" ' uid=0 ruid=0 gid=0 rgid=0 ' "control: su by root: the bind hook ran with uid and gid 0"

# su run by the ordinary user X (su: real uid X, effective uid 0, gid X's)
b0=$(hook_count bind) s0=$(hook_count stop) u0=$(hook_count unbind)
run as_user "$X" timeout -k 5 30 su - "$Y" -c 'id -u; cat /cz-marker'
assert_eq "0:$YUID"$'\n'"inside-tree" "$status:$out" "su - Y by the ordinary user X: Y's command ran inside, as Y" || diag "$err"
assert_eq "$((b0 + 1))" "$(hook_count bind)" "su by X: the PAM module ran the bind hook once"
assert_match "$(last bind)" ' uid=0 ruid=0 ' "su by X: the bind hook ran with effective and real uid 0"
assert_match "$(last bind)" ' gid=0 rgid=0 ' "su by X: the bind hook ran with effective and real gid 0 (root in full)"
wait_entry_gone || diag "run-dir entry still there"
assert_eq "$((s0 + 1))" "$(hook_count stop)" "su by X: the stop hook ran at the end of the session"
assert_match "$(last stop)" ' uid=0 ruid=0 ' "su by X: the stop hook ran with effective and real uid 0"
assert_eq "$((u0 + 1))" "$(hook_count unbind)" "su by X: the unbind hook ran at the end of the session (undoing bind)"
assert_clean g c "$T/before"
done_testing
