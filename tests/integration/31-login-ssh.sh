#!/bin/bash
# containerize-shell as the login shell of an ssh account (a private sshd whose PAM stack has no
# containerize module: the shell alone does the work): `ssh user CMD`, `ssh -tt` with a pty,
# scp both ways (SFTP protocol and legacy -O), sftp batch mode and rsync all act inside the
# container as the user; files land in the tree, owned by the user, not on the host.
. "$(dirname "$0")/../lib/tap.sh"
. "$TAP_LIB/setuid-build.sh"
. "$TAP_LIB/users.sh"
. "$TAP_LIB/debtree.sh"
. "$TAP_LIB/sshd.sh"

setuid_fixture
make_user ssh "$CZS" || bail "make_user"
U=$NEW_USER UID_=$NEW_UID GID_=$NEW_GID UHOME=$NEW_HOME
add_shell "$CZS"
set_map "$U g c"
static_into_tree "$REPO/tests/unit/pam/ttyinject.c" "$TREE/usr/local/bin/cz-ttyinject" || bail "static build"
sshd_authorize "$U"
sshd_start "$PAM_STACK_PLAIN" || bail "sshd starts"
mounts_snapshot >"$T/before"

# --- ssh user CMD
run sshc "$U" 'cat /cz-marker; id -u; id -g; pwd; grep "^CapEff:" /proc/self/status; echo "C=${SSH_CONNECTION:+set}"'
assert_eq 0 "$status" "ssh user CMD exits 0" || diag "stderr: $err" "sshd log: $(tail -n 5 "$SSHD_LOG")"
assert_eq "inside-tree"$'\n'"$UID_"$'\n'"$GID_"$'\n'"$UHOME"$'\n'$'CapEff:\t0000000000000000'$'\n'"C=set" "$out" \
	"ssh user CMD: inside the container, as the user, in the home dir, no capabilities, SSH_CONNECTION kept"
assert_eq "" "$err" "ssh user CMD: nothing on stderr"
run sshc "$U" 'exit 9'
assert_eq 9 "$status" "ssh user 'exit 9': exit status 9"
LANG=C.UTF-8 CZTEST_JUNK=x run sshc "$U" -o SendEnv=LANG -o SendEnv=CZTEST_JUNK 'echo "L=$LANG J=${CZTEST_JUNK-unset}"'
assert_eq "L=C.UTF-8 J=unset" "$out" "ssh: LANG passes, a variable outside the allow-list does not (both accepted by sshd)"

# --- ssh -tt: a pty session
out=$(sshc "$U" -tt 'tty; cat /cz-marker; /usr/local/bin/cz-ttyinject; echo "ST=${SSH_TTY:-unset}"' </dev/null 2>&1 | tr -d '\r')
assert_match "$out" '^/dev/pts/[0-9]+$' "ssh -tt CMD: the command has a pty"
assert_contains "$out" "inside-tree" "ssh -tt CMD: inside the container"
assert_contains "$out" "TIOCSTI errno EPERM" "ssh -tt: TIOCSTI fails with EPERM inside"
assert_match "$out" '^ST=/dev/pts/[0-9]+$' "ssh -tt: SSH_TTY passes"
sshc_typed "$U" 'echo "ZZ$((6*7))ZZ $(id -u)"' 'cat /cz-marker' 'exit'
assert_contains "$out" "ZZ42ZZ $UID_" "interactive ssh -tt: typed commands run as the user"
assert_contains "$out" "inside-tree" "interactive ssh -tt: inside the container"

# --- scp, both protocols, both directions
printf 'upload-%s\n' "$RANDOM" >"$T/up"
run scpc "$T/up" "$U@127.0.0.1:up-sftp"
assert_eq 0 "$status" "scp to (SFTP protocol) exits 0" || diag "$err"
assert_eq "$(cat "$T/up")" "$(cat "$TREE$UHOME/up-sftp" 2>/dev/null)" "scp to: the file lands in the tree's home dir"
assert_eq "$U:$U" "$(stat -c %U:%G "$TREE$UHOME/up-sftp" 2>/dev/null)" "scp to: owned by the user"
assert_no_file "$UHOME/up-sftp" "scp to: nothing on the host's home dir"
run scpc -O "$T/up" "$U@127.0.0.1:up-legacy"
assert_eq 0 "$status" "scp -O to (legacy protocol, 'scp -t' through the shell) exits 0" || diag "$err"
assert_eq "$(cat "$T/up")" "$(cat "$TREE$UHOME/up-legacy" 2>/dev/null)" "scp -O to: the file lands in the tree"
assert_eq "$U" "$(stat -c %U "$TREE$UHOME/up-legacy" 2>/dev/null)" "scp -O to: owned by the user"
printf 'download-%s\n' "$RANDOM" >"$TREE$UHOME/down"
chown "$U:$GID_" "$TREE$UHOME/down"
run scpc "$U@127.0.0.1:down" "$T/down1"
assert_eq "$(cat "$TREE$UHOME/down")" "$(cat "$T/down1" 2>/dev/null)" "scp from (SFTP protocol): the tree's file comes back"
run scpc -O "$U@127.0.0.1:down" "$T/down2"
assert_eq "$(cat "$TREE$UHOME/down")" "$(cat "$T/down2" 2>/dev/null)" "scp -O from: the tree's file comes back"
run scpc "$U@127.0.0.1:/cz-marker" "$T/marker"
assert_eq "inside-tree" "$(cat "$T/marker" 2>/dev/null)" "scp from an absolute path: the tree's /"

# --- sftp batch mode
printf '%s\n' "put $T/up sftp-up" "get down $T/sftp-down" "get /cz-marker $T/sftp-marker" "mkdir sftp-dir" >"$T/batch"
run sftpc "$U" "$T/batch"
assert_eq 0 "$status" "sftp -b exits 0" || diag "$err"
assert_eq "$(cat "$T/up")" "$(cat "$TREE$UHOME/sftp-up" 2>/dev/null)" "sftp put: lands in the tree"
assert_eq "$U" "$(stat -c %U "$TREE$UHOME/sftp-up" 2>/dev/null)" "sftp put: owned by the user"
assert_eq "$U" "$(stat -c %U "$TREE$UHOME/sftp-dir" 2>/dev/null)" "sftp mkdir: in the tree, owned by the user"
assert_eq "$(cat "$TREE$UHOME/down")" "$(cat "$T/sftp-down" 2>/dev/null)" "sftp get: the tree's file"
assert_eq "inside-tree" "$(cat "$T/sftp-marker" 2>/dev/null)" "sftp get /cz-marker: the tree's /"
assert_no_file "$UHOME/sftp-up" "sftp: nothing on the host's home dir"

# --- rsync over ssh
mkdir -p "$T/rs/sub" && echo rs1 >"$T/rs/a" && echo rs2 >"$T/rs/sub/b"
run timeout -k 5 30 rsync -a -e "ssh ${SSH_OPTS[*]} -p $SSHD_PORT" "$T/rs/" "$U@127.0.0.1:rs/"
assert_eq 0 "$status" "rsync to exits 0" || diag "$err"
assert_eq "rs2" "$(cat "$TREE$UHOME/rs/sub/b" 2>/dev/null)" "rsync: the files land in the tree"
assert_eq "$U" "$(stat -c %U "$TREE$UHOME/rs/sub/b" 2>/dev/null)" "rsync: owned by the user"

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
	if [ -n "$left" ]; then # do not let this failure spill into the checks below
		diag "killing what the cut session left: $(ps -o pid,user,args -p "$(echo $left | tr ' ' ,)")"
		# shellcheck disable=SC2086
		kill -KILL $left
		for i in $(seq 100); do [ "$(hook_count bind)" = "$(hook_count unbind)" ] && break; sleep 0.1; done
	fi
else
	fail "the pty session to be cut started" "$(cat "$T/d.out")"
fi

sleep 0.5
assert_eq "$(hook_count bind)" "$(hook_count unbind)" "every ssh session's setup had its teardown"
assert_ne 0 "$(hook_count bind)" "the sessions set the container up"
assert_clean g c "$T/before"
done_testing
