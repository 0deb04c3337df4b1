#!/bin/bash
# pam_containerize.so in a real sshd's PAM stack (a private sshd, service sshd-czt<suffix>);
# the user's login shell is plain /bin/bash. `ssh user CMD`, `ssh -tt`, scp and sftp all act
# inside the container as the user; two concurrent sessions share one container (one setup,
# one /tmp); the last one out tears it down; a SIGKILLed sshd monitor leaves nothing stuck.
. "$(dirname "$0")/../lib/tap.sh"
. "$TAP_LIB/setuid-build.sh"
. "$TAP_LIB/users.sh"
. "$TAP_LIB/debtree.sh"
. "$TAP_LIB/sshd.sh"

setuid_fixture
[ "$PAM_BUILT" = yes ] || bail "pam_containerize.so builds" "$(tail -n 30 "$S/build.log")"
make_user pamssh /bin/bash || bail "make_user"
U=$NEW_USER UID_=$NEW_UID GID_=$NEW_GID UHOME=$NEW_HOME
make_user pamunmap /bin/bash || bail "make_user"
V=$NEW_USER
make_user pammiss /bin/bash || bail "make_user"
X=$NEW_USER
set_map "$U g c
$X g nosuchcontainer"
sshd_authorize "$U"
sshd_authorize "$V"
sshd_authorize "$X"
sshd_start "$(pam_stack_module "conf=$CZMAP")" || bail "sshd starts"
mounts_snapshot >"$T/before"

# --- ssh user CMD
run sshc "$U" 'cat /cz-marker; id -u; id -g; pwd; grep "^0::" /proc/self/cgroup; echo "$SHELL"'
assert_eq 0 "$status" "ssh user CMD exits 0" || diag "stderr: $err" "sshd log: $(tail -n 8 "$SSHD_LOG")"
assert_eq "inside-tree"$'\n'"$UID_"$'\n'"$GID_"$'\n'"$UHOME" "$(sed -n 1,4p "$T/run.out")" \
	"ssh user CMD: inside the container, as the user, in the home dir"
assert_contains "$(sed -n 5p "$T/run.out")" "/$CGNAME/" "ssh user CMD: the command is in the instance cgroup"
wait_torn_down 1
assert_eq "1 1" "$(hook_count bind) $(hook_count unbind)" "ssh user CMD: one setup, one teardown after logout"
assert_clean g c "$T/before"
run sshc "$U" 'exit 9'
assert_eq 9 "$status" "ssh user 'exit 9': exit status 9"

# --- unmapped: an ordinary host login; mapped to a missing container: no session at all
run sshc "$V" 'test -e /cz-marker && echo in-tree; echo host-login'
assert_eq "0:host-login" "$status:$out" "unmapped user: ssh works, on the host"
b0=$(hook_count bind)
run sshc "$X" "touch '$T/ran-on-host'; echo ran"
assert_ne 0 "$status" "user mapped to a missing container: ssh CMD fails"
assert_not_contains "$out" "ran" "user mapped to a missing container: the command did not run"
assert_no_file "$T/ran-on-host" "user mapped to a missing container: nothing ran on the host"
out=$(sshc "$X" -tt "touch '$T/ran-on-host'" </dev/null 2>&1)
assert_no_file "$T/ran-on-host" "user mapped to a missing container: no pty shell either"
assert_eq "$b0" "$(hook_count bind)" "user mapped to a missing container: nothing set up"

# --- ssh -tt with a pty
out=$(sshc "$U" -tt 'tty; cat /cz-marker; id -u; stat -c "owner=%U" "$(tty)"' </dev/null 2>&1 | tr -d '\r')
assert_match "$out" '^/dev/pts/[0-9]+$' "ssh -tt CMD: a pty"
assert_contains "$out" "inside-tree"$'\n'"$UID_" "ssh -tt CMD: inside, as the user"
assert_contains "$out" "owner=$U" "ssh -tt CMD: the pty belongs to the user"
sshc_typed "$U" 'echo "ZZ$((6*7))ZZ $(id -u)"' 'cat /cz-marker' 'tty' 'exit'
assert_contains "$out" "ZZ42ZZ $UID_" "interactive ssh -tt: typed commands run as the user"
assert_contains "$out" "inside-tree" "interactive ssh -tt: inside the container"
assert_match "$out" '/dev/pts/[0-9]+' "interactive ssh -tt: the shell has a pty"

# --- scp and sftp
printf 'upload-%s\n' "$RANDOM" >"$T/up"
run scpc "$T/up" "$U@127.0.0.1:up-sftp"
assert_eq 0 "$status" "scp to exits 0" || diag "$err"
assert_eq "$(cat "$T/up")" "$(cat "$TREE$UHOME/up-sftp" 2>/dev/null)" "scp to: the file lands in the tree"
assert_eq "$U:$U" "$(stat -c %U:%G "$TREE$UHOME/up-sftp" 2>/dev/null)" "scp to: owned by the user"
assert_no_file "$UHOME/up-sftp" "scp to: nothing in the host's home dir"
run scpc -O "$T/up" "$U@127.0.0.1:up-legacy"
assert_eq "$(cat "$T/up")" "$(cat "$TREE$UHOME/up-legacy" 2>/dev/null)" "scp -O to: the file lands in the tree"
printf 'download-%s\n' "$RANDOM" >"$TREE$UHOME/down"
chown "$U:$GID_" "$TREE$UHOME/down"
run scpc "$U@127.0.0.1:down" "$T/down1"
assert_eq "$(cat "$TREE$UHOME/down")" "$(cat "$T/down1" 2>/dev/null)" "scp from: the tree's file"
run scpc -O "$U@127.0.0.1:/cz-marker" "$T/down2"
assert_eq "inside-tree" "$(cat "$T/down2" 2>/dev/null)" "scp -O from /cz-marker: the tree's /"
printf '%s\n' "put $T/up sftp-up" "get /cz-marker $T/sftp-marker" "mkdir sftp-dir" >"$T/batch"
run sftpc "$U" "$T/batch"
assert_eq 0 "$status" "sftp -b exits 0" || diag "$err"
assert_eq "$(cat "$T/up")" "$(cat "$TREE$UHOME/sftp-up" 2>/dev/null)" "sftp put: lands in the tree"
assert_eq "$U" "$(stat -c %U "$TREE$UHOME/sftp-dir" 2>/dev/null)" "sftp mkdir: in the tree, owned by the user"
assert_eq "inside-tree" "$(cat "$T/sftp-marker" 2>/dev/null)" "sftp get /cz-marker: the tree's /"
n=$(hook_count bind)
wait_torn_down "$n"
assert_eq "$n" "$(hook_count unbind)" "after every session above: as many teardowns as setups"
assert_clean g c "$T/before"

# --- two concurrent sessions share one container
b0=$(hook_count bind)
rm -f "$TREE$UHOME"/s?-ready
sshc_bg "$T/s1.out" "$U" 'echo from-session-1 >/tmp/shared; touch ~/s1-ready; sleep 4; cat /tmp/from2'
s1=$SSHC_PID
wait_file "$TREE$UHOME/s1-ready" 15 || fail "session 1 started" "$(cat "$T/s1.out")" "sshd log: $(tail -n 12 "$SSHD_LOG")"
sshc_bg "$T/s2.out" "$U" 'cat /tmp/shared; echo from-session-2 >/tmp/from2; touch ~/s2-ready; sleep 2'
s2=$SSHC_PID
wait_file "$TREE$UHOME/s2-ready" 15
run cz --list
assert_match "$out" '^g +c +2 ' "two live ssh sessions: --list shows g c with 2 sessions"
wait_exit "$s2" 20
assert_eq "0:from-session-1" "$status:$(cat "$T/s2.out")" "session 2 sees the file session 1 wrote in /tmp"
wait_exit "$s1" 20
assert_eq "0:from-session-2" "$status:$(cat "$T/s1.out")" "session 1 sees the file session 2 wrote in /tmp"
assert_eq $((b0 + 1)) "$(hook_count bind)" "two concurrent sessions: one setup"
wait_torn_down $((b0 + 1))
assert_eq $((b0 + 1)) "$(hook_count unbind)" "after the last one logged out: torn down (unbind ran)"
assert_eq "$(hook_count bind)" "$(hook_count stop)" "after the last one logged out: the stop hook ran"
assert_clean g c "$T/before"

# --- the client goes away in the middle of a pty session: the session ends, teardown follows
rm -f "$TREE$UHOME/d-ready"
sshc_bg "$T/d.out" "$U" -tt 'touch ~/d-ready; sleep 60'
dp=$SSHC_PID
if wait_file "$TREE$UHOME/d-ready" 15; then
	kill -TERM "$dp"
	wait_exit "$dp" 10
	for i in $(seq 100); do
		left=$(for p in $(pgrep -u "$UID_"); do alive "$p" && echo "$p"; done)
		[ -z "$left" ] && [ "$(hook_count bind)" = "$(hook_count unbind)" ] && [ ! -e "$CONTAINERIZE_RUNDIR/g/c" ] && break
		sleep 0.1
	done
	assert_eq "" "$left" "client gone: the session's processes ended"
	assert_eq "$(hook_count bind)" "$(hook_count unbind)" "client gone: the container was torn down"
	assert_no_file "$CONTAINERIZE_RUNDIR/g/c" "client gone: no run-dir entry"
else
	fail "the pty session to be cut started" "$(cat "$T/d.out")"
fi
assert_clean g c "$T/before"

# --- SIGKILL of the per-connection sshd monitor
rm -f "$TREE$UHOME/k-ready"
sshc_bg "$T/k.out" "$U" 'touch ~/k-ready; sleep 6'
k=$SSHC_PID
if wait_file "$TREE$UHOME/k-ready" 15; then
	mon=$(sshd_monitors)
	assert_eq 1 "$(printf '%s\n' "$mon" | grep -c .)" "one sshd monitor for the one live connection"
	kill -KILL $mon 2>/dev/null
	run sshc "$U" 'cat /cz-marker; id -u'
	assert_eq "0:inside-tree"$'\n'"$UID_" "$status:$out" "with the monitor SIGKILLed, the next login works at once" ||
		diag "stderr: $err" "sshd log: $(tail -n 15 "$SSHD_LOG")"
	wait_exit "$k" 20
	assert_ne timeout "$status" "the killed session's client ended"
	left=$(user_procs_left "$UID_")
	assert_eq "" "$left" "the killed session's processes ended"
	run sshc "$U" 'cat /cz-marker'
	assert_eq "0:inside-tree" "$status:$out" "a login after the killed session's processes are gone works" ||
		diag "stderr: $err" "sshd log: $(tail -n 15 "$SSHD_LOG")" "--list: $(cz --list 2>&1)"
	wait_torn_down "$(hook_count bind)"
	assert_eq "$(hook_count bind)" "$(hook_count unbind)" "after the killed session: every setup had its teardown"
else
	fail "the session to be killed started" "$(cat "$T/k.out")" "sshd log: $(tail -n 12 "$SSHD_LOG")"
fi
run cz --list
assert_eq 1 "$(printf '%s\n' "$out" | grep -c .)" "after all: --list shows no container"
assert_clean g c "$T/before"
done_testing
