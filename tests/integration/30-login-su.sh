#!/bin/bash
# containerize-shell as a user's login shell, entered through su (as root does it): `su - user
# -c CMD`, `su user -c CMD`, an interactive `su - user` reading stdin, and one under script(1)
# with a terminal. Inside: the tree as /, the user's uid/gid/groups, no capabilities, root's ids
# out of reach, the home dir as cwd, TIOCSTI blocked; the shell's exit status comes back; the
# rule's SHELL, else the group's shell file, else bash; teardown after logout.
. "$(dirname "$0")/../lib/tap.sh"
. "$TAP_LIB/setuid-build.sh"
. "$TAP_LIB/users.sh"
. "$TAP_LIB/debtree.sh"

setuid_fixture
make_unix_group extra
XG=$NEW_GROUP
MAKE_USER_GROUPS=$XG make_user su "$CZS" || bail "make_user"
U=$NEW_USER UID_=$NEW_UID GID_=$NEW_GID UHOME=$NEW_HOME
add_shell "$CZS"
set_map "# test map
$U g c"
static_into_tree "$REPO/tests/unit/pam/setuid0.c" "$TREE/usr/local/bin/cz-setuid0" || bail "static build of setuid0.c"
static_into_tree "$REPO/tests/unit/pam/ttyinject.c" "$TREE/usr/local/bin/cz-ttyinject" || bail "static build of ttyinject.c"
cp "$TREE/usr/local/bin/cz-ttyinject" "$T/ttyinject"
mounts_snapshot >"$T/before"

su_() { timeout -k 5 30 su "$@"; }

# --- su - user -c CMD
run su_ - "$U" -c 'cat /cz-marker; id -u; id -g; id -G; id -Gn; pwd; echo "H=$HOME U=$USER L=$LOGNAME"; echo "S=$SHELL"; echo "P=$PATH"; grep "^0::" /proc/self/cgroup'
assert_eq 0 "$status" "su - user -c CMD exits 0" || diag "stderr: $err"
line() { sed -n "$1p" "$T/run.out"; }
assert_eq "inside-tree" "$(line 1)" "su - user -c: the command runs in the container (marker only in the tree)"
assert_eq "$UID_" "$(line 2)" "su - user -c: id -u is the user's uid"
assert_eq "$GID_" "$(line 3)" "su - user -c: id -g is the user's gid"
assert_eq "$(id -G "$U" | tr ' ' '\n' | sort -n | xargs)" "$(line 4 | tr ' ' '\n' | sort -n | xargs)" \
	"su - user -c: supplementary groups are the user's host groups"
assert_contains "$(line 5)" "$XG" "su - user -c: the extra group is among the groups (by name, from the tree)"
assert_eq "$UHOME" "$(line 6)" "su - user -c: cwd is the user's home"
assert_eq "H=$UHOME U=$U L=$U" "$(line 7)" "su - user -c: HOME, USER, LOGNAME are the user's"
assert_match "$(line 8)" '^S=/' "su - user -c: SHELL is set"
assert_match "$(line 9)" '^P=(.*:)?/usr/bin(:|$)' "su - user -c: PATH is set"
assert_contains "$(line 10)" "/$CGNAME/" "su - user -c: the command is in the instance cgroup"
assert_eq "" "$err" "su - user -c: nothing on stderr"
assert_eq 1 "$(hook_count bind)" "one setup (bind ran once)"
assert_eq 1 "$(hook_count unbind)" "torn down after the shell ended (unbind ran once)"
assert_clean g c "$T/before"

# --- privileges inside
run su_ - "$U" -c 'grep -E "^Cap(Eff|Prm|Amb):" /proc/self/status; /usr/local/bin/cz-setuid0'
assert_contains "$out" $'CapEff:\t0000000000000000' "CapEff is 0 inside"
assert_contains "$out" $'CapPrm:\t0000000000000000' "CapPrm is 0 inside"
assert_contains "$out" "setuid0 failed" "setuid(0) fails inside"
assert_contains "$out" "setgid0 failed" "setgid(0) fails inside"
assert_contains "$out" "setgroups failed" "setgroups fails inside"
assert_contains "$out" "ids $UID_ $UID_ $GID_ $GID_" "real and effective ids are the user's"

# --- the privileged containerize-shell process above the user's shell is out of the user's reach
run su_ - "$U" -c 'p=$PPID; readlink /proc/$p/exe >/dev/null 2>&1 && echo can-readlink-exe
	ls /proc/$p/fd >/dev/null 2>&1 && echo can-list-fds; cat /proc/$p/environ >/dev/null 2>&1 && echo can-read-environ
	grep "^Uid:" /proc/$p/status'
assert_match "$out" $'^Uid:\t[0-9]+\t0\t0\t0$' "control: the shell's parent is the privileged containerize-shell"
assert_not_contains "$out" "can-" "the user cannot inspect it (/proc/PID/exe, fd, environ: not ptrace-readable)"

# --- exit status is the shell's
run su_ - "$U" -c 'exit 7'
assert_eq 7 "$status" "su - user -c 'exit 7': exit status 7"
run su_ - "$U" -c 'kill -TERM $$'
assert_match "$status" '^(143|1)$' "a shell killed by SIGTERM: 143 (su reports 143 or 1)"
run su_ - "$U" -c 'no-such-command-cztest'
assert_eq 127 "$status" "a command not found inside: 127"
run as_user "$U" "$CZS" -c 'kill -TERM $$'
assert_eq 143 "$status" "containerize-shell -c, the shell killed by SIGTERM: 128+15"
run su_ - "$U" -c $'echo "a  b"\nprintf "%s|" "$HOME" \'q\'"\'"\'x\'; echo'
assert_eq "a  b"$'\n'"$UHOME|q'x|" "$out" "a multi-line -c COMMAND with quotes reaches the shell intact"

# --- plain (non-login) su user -c CMD: containerize-shell called without a leading '-'
run su_ "$U" -c 'cat /cz-marker; id -u'
assert_eq $'inside-tree\n'"$UID_" "$out" "su user -c CMD (not a login): inside, as the user"

# --- interactive login shell reading stdin
run bash -c 'printf "%s\n" "id -u" "cat /cz-marker" "echo \"z=\$0\"" "shopt -q login_shell && echo is-login" "exit 3" |
	timeout -k 5 30 su - "$1"' _ "$U"
assert_eq 3 "$status" "interactive su - user: exit status of 'exit 3'"
assert_eq "$UID_"$'\n'"inside-tree"$'\n'"z=-bash"$'\n'"is-login" "$out" \
	"interactive su - user: commands from stdin run inside as the user, bash as a login shell (-bash)"

# --- the same with a terminal (script): tty, controlling terminal, TIOCSTI blocked
# control first: on the host, as the user, TIOCSTI works on this kernel
ctl=$(timeout -k 5 20 script -qec "setpriv --reuid=$U --regid=$GID_ --init-groups $T/ttyinject" /dev/null </dev/null | tr -d '\r')
assert_contains "$ctl" "TIOCSTI ok" "control: TIOCSTI works for the user on the host (so the next check means something)"
exec 8< <(printf '%s\n' 'tty; test -t 0 && echo is-a-tty' 'echo "ZZ$((6*7))ZZ"' '/usr/local/bin/cz-ttyinject' 'exit 0'; exec sleep 25)
feeder=$!
track_pid "$feeder"
out=$(timeout -k 5 30 script -qec "su - $U" /dev/null <&8 | tr -d '\r')
status=$?
exec 8<&-
kill "$feeder" 2>/dev/null
assert_match "$out" '/dev/pts/[0-9]+' "su - user under script: the shell's stdin is a pty"
assert_contains "$out" "is-a-tty" "su - user under script: test -t 0"
assert_contains "$out" "ZZ42ZZ" "su - user under script: commands typed on the terminal run"
assert_contains "$out" "TIOCSTI errno EPERM" "TIOCSTI on the terminal fails with EPERM inside"
assert_contains "$out" "TIOCLINUX errno EPERM" "TIOCLINUX fails with EPERM inside"
# with -c under a terminal too
out=$(timeout -k 5 30 script -qec "su - $U -c /usr/local/bin/cz-ttyinject" /dev/null </dev/null | tr -d '\r')
assert_contains "$out" "TIOCSTI errno EPERM" "su - user -c under script: TIOCSTI fails with EPERM"

# --- which shell: rule's SHELL field, else the group's shell file, else bash
set_map "$U g c /bin/dash"
run bash -c 'printf "%s\n" "echo \"z=\$0\"" | timeout -k 5 30 su - "$1"' _ "$U"
assert_eq "z=-dash" "$out" "the rule's SHELL runs as a login shell (argv[0] -dash)"
run su_ - "$U" -c 'echo "$0 $BASH_VERSION"; readlink /proc/$$/exe'
assert_eq "/usr/bin/dash" "$(printf '%s\n' "$out" | tail -n 1)" "the rule's SHELL runs -c COMMAND"
set_map "$U g c"
set_conf g shell /bin/dash
run bash -c 'printf "%s\n" "echo \"z=\$0\"" | timeout -k 5 30 su - "$1"' _ "$U"
assert_eq "z=-dash" "$out" "no SHELL in the rule: the group's shell file"
rm -f "$CONTAINERIZE_TREES/g/.container/shell"
run bash -c 'printf "%s\n" "echo \"z=\$0\"" | timeout -k 5 30 su - "$1"' _ "$U"
assert_eq "z=-bash" "$out" "neither: bash"

# --- home and identity come from the host's passwd, not the tree's
cp -p "$TREE/etc/passwd" "$T/tree-passwd"
sed -i "s|^$U:\([^:]*:[^:]*:[^:]*:[^:]*\):[^:]*:|$U:\1:/nonexistent-tree-home:|" "$TREE/etc/passwd"
grep -q "^$U:.*:/nonexistent-tree-home:" "$TREE/etc/passwd" || fail "control: the tree's passwd line was changed"
run su_ - "$U" -c 'pwd; echo "$HOME"'
assert_eq "$UHOME"$'\n'"$UHOME" "$out" "the tree's passwd names another home: cwd and HOME from the host's passwd"
cp -p "$T/tree-passwd" "$TREE/etc/passwd"

# --- many logins at the same instant: one setup
n0=$(hook_count bind)
pids=()
for i in $(seq 8); do
	timeout -k 5 30 su - "$U" -c 'sleep 1; cat /cz-marker' >"$T/par.$i" 2>&1 </dev/null &
	pids+=($!)
done
okn=0
for i in $(seq 8); do
	wait "${pids[i - 1]}" && [ "$(cat "$T/par.$i")" = inside-tree ] && okn=$((okn + 1))
done
assert_eq 8 "$okn" "8 simultaneous logins all run inside"
assert_eq $((n0 + 1)) "$(hook_count bind)" "8 simultaneous logins: one setup"
assert_eq $((n0 + 1)) "$(hook_count unbind)" "8 simultaneous logins: one teardown"

# --- no home dir inside: cwd / with a warning, the command still runs
mv "$TREE$UHOME" "$TREE$UHOME.away"
run su_ - "$U" -c 'pwd; cat /cz-marker'
assert_eq $'/\ninside-tree' "$out" "home missing in the tree: cwd is /"
assert_ne "" "$err" "home missing in the tree: a warning on stderr"
mv "$TREE$UHOME.away" "$TREE$UHOME"

# --- two sessions at once share one container
n0=$(hook_count bind)
run bash -c 'timeout -k 5 30 su - "$1" -c "echo one >/tmp/shared; sleep 3" & sleep 1.5
	timeout -k 5 30 su - "$1" -c "cat /tmp/shared"; wait' _ "$U"
assert_eq "one" "$out" "a second login while the first is live joins it (shared /tmp)"
assert_eq $((n0 + 1)) "$(hook_count bind)" "two overlapping logins: one setup"
# --- what the user leaves running at logout is killed with the container
run su_ - "$U" -c 'setsid sleep 60 </dev/null >/dev/null 2>&1 & echo started'
assert_eq "0:started" "$status:$out" "a login that leaves a background process behind"
left=$(user_procs_left "$UID_")
assert_eq "" "$left" "the process left behind was killed at teardown"
assert_eq "$(hook_count bind)" "$(hook_count unbind)" "and the container was torn down"

# --- the terminal goes away (hangup) while containerize-shell is its controlling process, as
# under sshd with a pty: the session ends and the container is torn down
rm -f "$TREE$UHOME/h-ready"
script -qec "setpriv --reuid=$U --regid=$GID_ --init-groups $CZS -c 'touch ~/h-ready; sleep 60'" /dev/null \
	</dev/null >/dev/null 2>&1 &
sp=$!
track_pid "$sp"
if wait_file "$TREE$UHOME/h-ready" 10; then
	kill -KILL "$sp"
	wait "$sp" 2>/dev/null
	for i in $(seq 100); do
		left=$(for p in $(pgrep -u "$UID_"); do alive "$p" && echo "$p"; done)
		[ -z "$left" ] && [ "$(hook_count bind)" = "$(hook_count unbind)" ] && break
		sleep 0.1
	done
	assert_eq "" "$left" "terminal hangup: the session's processes ended"
	assert_eq "$(hook_count bind)" "$(hook_count unbind)" "terminal hangup: the container was torn down"
	if [ -n "$left" ]; then # do not let this failure spill into the checks below
		# shellcheck disable=SC2086
		kill -KILL $left
		for i in $(seq 100); do [ "$(hook_count bind)" = "$(hook_count unbind)" ] && break; sleep 0.1; done
	fi
else
	fail "the session to hang up started"
fi

# --- SIGKILL of the containerize-shell process itself: nothing stuck, the next login works
rm -f "$TREE$UHOME/k-ready"
timeout -k 5 30 su - "$U" -c 'touch ~/k-ready; sleep 4' >/dev/null 2>&1 </dev/null &
tp=$!
track_pid "$tp"
if wait_file "$TREE$UHOME/k-ready" 10; then
	czs=$(pgrep -P "$(pgrep -P "$tp")")
	assert_match "$(cat "/proc/$czs/comm" 2>/dev/null)" '^containerize' "found the containerize-shell process ($czs)"
	kill -KILL "$czs"
	run su_ - "$U" -c 'cat /cz-marker; id -u'
	assert_eq "0:inside-tree"$'\n'"$UID_" "$status:$out" "after SIGKILL of a containerize-shell, the next login works at once"
	wait_exit "$tp" 15
	left=$(user_procs_left "$UID_")
	assert_eq "" "$left" "the killed session's processes ended"
	run su_ - "$U" -c 'cat /cz-marker'
	assert_eq "0:inside-tree" "$status:$out" "a login after that works too"
	assert_eq "$(hook_count bind)" "$(hook_count unbind)" "after the killed session: every setup had its teardown"
else
	fail "the session to be killed started"
fi

assert_eq "$(hook_count bind)" "$(hook_count unbind)" "every setup had its teardown"
assert_clean g c "$T/before"
done_testing
