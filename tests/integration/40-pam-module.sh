#!/bin/bash
# pam_containerize.so driven through libpam itself (pam_start_confdir with service files in a
# private confdir, tests/unit/pam/pamtest.c), as a login program uses it: open_session, fork
# the user's command, close_session. Mapped user: inside the container, as the user; unmapped:
# PAM_IGNORE; missing container, missing group, failing hook, bad option values:
# PAM_SESSION_ERR with a syslog line saying why; unknown options logged, not fatal; group=,
# container= (%u), conf=, trees=, rundir=; a SIGKILLed PAM caller counts as ended; a caller found
# in the instance cgroup at close tears nothing down and survives (fail safe). And the
# module's exports: only pam_sm_open_session and pam_sm_close_session.
. "$(dirname "$0")/../lib/tap.sh"
. "$TAP_LIB/setuid-build.sh"
. "$TAP_LIB/users.sh"
. "$TAP_LIB/debtree.sh"

setuid_fixture busybox
[ "$PAM_BUILT" = yes ] || bail "pam_containerize.so builds" "$(tail -n 30 "$S/build.log")"
syslog_capture
cc -O2 -Wall -o "$T/pamtest" "$REPO/tests/unit/pam/pamtest.c" -lpam || bail "build pamtest.c"
cc -O2 -Wall -o "$T/dlopen" "$REPO/tests/unit/pam/dlopen.c" -ldl || bail "build dlopen.c"
make_user pam || bail "make_user"
U=$NEW_USER UID_=$NEW_UID
make_user nomap || bail "make_user"
V=$NEW_USER
make_unix_group pamteam
TEAM=$NEW_GROUP
MAKE_USER_GROUPS=$TEAM make_user member || bail "make_user"
M=$NEW_USER MUID=$NEW_UID
make_container g "$U"
echo "own-$U" >"$CONTAINERIZE_TREES/g/$U/cz-marker"
set_map "$U g c"
mounts_snapshot >"$T/before"

# --- exports
syms=$(nm -D --defined-only "$PAMMOD" | awk '{ print $NF }' | sort | xargs)
assert_eq "pam_sm_close_session pam_sm_open_session" "$syms" "the module exports only pam_sm_open_session and pam_sm_close_session"
run "$T/dlopen" "$PAMMOD"
assert_eq "load ok
pam_sm_open_session yes
pam_sm_close_session yes
pam_sm_authenticate no
pam_sm_setcred no
pam_sm_acct_mgmt no
pam_sm_chauthtok no" "$out" "dlopen(RTLD_NOW) works; the session entry points resolve, pam_sm_authenticate & co do not"

# --- service files
PD="$T/pam.d"
mkdir -p "$PD"
svc() { # svc NAME MODULE-ARGS...: a stack with the module (required) and pam_permit
	printf '%s\n' "session required $PAMMOD ${*:2}" "session optional pam_permit.so" >"$PD/$1"
}
# "probe" stacks tell the module's own result apart: success -> PAM_SUCCESS, its PAM_IGNORE
# -> PAM_AUTH_ERR (from a pam_succeed_if that always fails, reached only then), an error ->
# that error (die).
probe() {
	printf '%s\n' "session [success=1 ignore=ignore default=die] $PAMMOD ${*:2}" \
		"session requisite pam_succeed_if.so quiet user = czt-no-such-user" \
		"session optional pam_permit.so" >"$PD/$1"
}
pt() { timeout -k 5 30 env PAMTEST_MARKER=/cz-marker "$T/pamtest" "$PD" "$@"; }
svc plain
probe probe-plain

# --- mapped user: inside, as the user
m=$(syslog_mark)
run pt plain "$U" sh -c 'cat /cz-marker; id -u; id -G; grep "^0::" /proc/self/cgroup'
assert_eq 0 "$status" "mapped user: pamtest exits 0" || diag "stderr: $err"
assert_eq "open PAM_SUCCESS
marker yes
inside-tree
$UID_
$(id -G "$U")" "$(sed -n 1,5p "$T/run.out")" "mapped user: PAM_SUCCESS, the caller is in the tree, the command runs there as the user"
assert_contains "$(sed -n 6p "$T/run.out")" "/$CGNAME/" "mapped user: the session's command is in the instance cgroup"
assert_eq $'command exit 0\nclose PAM_SUCCESS' "$(sed -n 7,8p "$T/run.out")" "mapped user: close_session PAM_SUCCESS"
assert_eq 1 "$(hook_count bind)" "mapped user: one setup"
assert_eq 1 "$(hook_count unbind)" "mapped user: torn down at close_session"
assert_eq 1 "$(hook_count stop)" "mapped user: the stop hook ran"
if [ -n "$SYSLOG_FILE" ]; then
	assert_match "$(syslog_since "$m")" "$U.*g/c|g/c.*$U" "mapped user: the setup is logged with user, group and container"
else
	skip "setup logged" "no private syslog"
fi
assert_clean g c "$T/before"
run pt probe-plain "$U" true
assert_eq "open PAM_SUCCESS" "$(head -n 1 "$T/run.out")" "mapped user: the module itself returns PAM_SUCCESS"

# --- unmapped user: PAM_IGNORE, the session goes on on the host
b=$(hook_count bind)
run pt probe-plain "$V" true
assert_eq "open PAM_AUTH_ERR" "$(head -n 1 "$T/run.out")" "unmapped user: the module returns PAM_IGNORE (probe stack)"
run pt plain "$V" sh -c 'test -e /cz-marker && echo in-tree || echo on-host'
assert_eq $'open PAM_SUCCESS\nmarker no\non-host' "$(sed -n 1,3p "$T/run.out")" \
	"unmapped user with pam_permit in the stack: the login goes on, on the host"
assert_eq "$b" "$(hook_count bind)" "unmapped user: nothing set up"
printf '%s\n' "session required $PAMMOD" >"$PD/only-module"
run pt only-module "$V" true
assert_ne "open PAM_SUCCESS" "$(head -n 1 "$T/run.out")" "unmapped user, the module alone in the stack: not a success (only ignores)"

# --- group= and container= (with %u), conf=
svc explicit group=g container=%u
run pt explicit "$U" cat /cz-marker
assert_eq $'open PAM_SUCCESS\nmarker yes\nown-'"$U" "$(sed -n 1,3p "$T/run.out")" "group=g container=%u: the user's own container"
svc explicit-v group=g container=c
run pt explicit-v "$V" cat /cz-marker
assert_eq $'open PAM_SUCCESS\nmarker yes\ninside-tree' "$(sed -n 1,3p "$T/run.out")" "group=/container= apply to a user the map file does not name"
printf '%s g c\n' "$V" >"$S/etc/alt.conf"
chmod 644 "$S/etc/alt.conf"
svc altconf "conf=$S/etc/alt.conf"
run pt altconf "$V" cat /cz-marker
assert_eq $'open PAM_SUCCESS\nmarker yes\ninside-tree' "$(sed -n 1,3p "$T/run.out")" "conf=FILE: the user's rule from that file"
probe probe-altconf "conf=$S/etc/alt.conf"
run pt probe-altconf "$U" true
assert_eq "open PAM_AUTH_ERR" "$(head -n 1 "$T/run.out")" "conf=FILE: a user only the default map names is unmapped there (PAM_IGNORE)"

printf '# per-user containers\n%s g %%u\n' "$U" >"$S/etc/peruser.conf"
chmod 644 "$S/etc/peruser.conf"
svc peruser "conf=$S/etc/peruser.conf"
run pt peruser "$U" cat /cz-marker
assert_eq $'open PAM_SUCCESS\nmarker yes\nown-'"$U" "$(sed -n 1,3p "$T/run.out")" "a map rule with %u: the user's own container"

printf '@%s g c\n' "$TEAM" >"$S/etc/team.conf"
chmod 644 "$S/etc/team.conf"
svc team "conf=$S/etc/team.conf"
run pt team "$M" id -u
assert_eq $'open PAM_SUCCESS\nmarker yes\n'"$MUID" "$(sed -n 1,3p "$T/run.out")" "an @group rule matches a supplementary group's member"
probe probe-team "conf=$S/etc/team.conf"
run pt probe-team "$U" true
assert_eq "open PAM_AUTH_ERR" "$(head -n 1 "$T/run.out")" "an @group rule does not match a non-member (PAM_IGNORE)"

# --- trees= and rundir=
mkdir -p "$S/trees2" && chmod 755 "$S/trees2"
CONTAINERIZE_TREES="$S/trees2" make_group g3
CONTAINERIZE_TREES="$S/trees2" make_container g3 c3
echo "in-trees2" >"$S/trees2/g3/c3/cz-marker"
svc trees2 group=g3 container=c3 "trees=$S/trees2" "rundir=$S/run2"
pt trees2 "$U" sh -c 'cat /cz-marker; sleep 2' >"$T/other.out" 2>&1 &
track_pid $!
p=$!
wait_file "$S/run2/g3/c3" 10
assert_file_exists "$S/run2/g3/c3" "rundir=DIR: the session's state is there"
wait_exit "$p" 20
assert_eq $'open PAM_SUCCESS\nmarker yes\nin-trees2' "$(sed -n 1,3p "$T/other.out")" "trees=DIR: the container comes from there"
assert_no_file "$S/run2/g3/c3" "rundir=DIR: its entry is gone after close_session"
assert_no_file "$CONTAINERIZE_RUNDIR/g3" "rundir=DIR: the default run dir was not used"

# the new run dir's own private mount may stay (SPEC 5): compare the mount table from here on
mounts_snapshot | grep -vF " $S/run2 " >"$T/before2"; grep -vF " $S/run2 " "$T/before" >"$T/before1"
if cmp -s "$T/before1" "$T/before2"; then pass "rundir=DIR: nothing else left mounted"
else fail "rundir=DIR: nothing else left mounted" "$(diff "$T/before1" "$T/before2")"; fi
mounts_snapshot >"$T/before"

# --- failures: PAM_SESSION_ERR and a syslog line saying why
fails() { # fails DESC WORD SERVICE: pamtest fails with PAM_SESSION_ERR, syslog names WORD
	local m b
	m=$(syslog_mark) b=$(hook_count bind)
	run pt "$3" "$U" touch /cz-ran
	assert_eq "open PAM_SESSION_ERR" "$(head -n 1 "$T/run.out")" "$1: PAM_SESSION_ERR"
	assert_not_contains "$out" "command" "$1: no command ran"
	if [ -n "$SYSLOG_FILE" ]; then
		assert_contains "$(syslog_since "$m")" "$2" "$1: a syslog line says why (names $2)"
	else
		skip "$1: syslog line" "no private syslog"
	fi
	assert_eq "$b" "$(hook_count bind)" "$1: no container was set up"
}
svc nocont group=g container=nosuchcontainer
fails "missing container" nosuchcontainer nocont
svc nogroup group=nosuchgroup container=c
fails "missing group" nosuchgroup nogroup
svc badname group=g "container=../c"
fails "bad container name in the options" "container" badname
printf '%s g nosuchcontainer\n' "$U" >"$S/etc/missing.conf"
chmod 644 "$S/etc/missing.conf"
svc missingconf "conf=$S/etc/missing.conf"
fails "the user's rule names a missing container" nosuchcontainer missingconf
make_group gf
make_container gf c
write_hook gf bind 'echo bind-says-no >&2; exit 3'
write_hook gf unbind "echo unbind >>'$T/gf-unbind.log'"
svc hookfail group=gf container=c
m=$(syslog_mark)
run pt hookfail "$U" touch /cz-ran
assert_eq "open PAM_SESSION_ERR" "$(head -n 1 "$T/run.out")" "failing bind hook: PAM_SESSION_ERR"
assert_no_file "$CONTAINERIZE_TREES/gf/c/cz-ran" "failing bind hook: no command ran"
if [ -n "$SYSLOG_FILE" ]; then
	assert_contains "$(syslog_since "$m")" "bind" "failing bind hook: the syslog line names the hook"
else
	skip "failing bind hook: syslog line" "no private syslog"
fi
assert_no_file "$CONTAINERIZE_RUNDIR/gf/c" "failing bind hook: no run-dir entry left"
assert_eq "unbind" "$(cat "$T/gf-unbind.log" 2>/dev/null)" "failing bind hook: unbind ran once to undo it"

# --- an unsafe map file: never puts the user in a container, logged
cp "$CZMAP" "$S/etc/unsafe.conf"
chmod 646 "$S/etc/unsafe.conf"
svc unsafe "conf=$S/etc/unsafe.conf"
m=$(syslog_mark) b=$(hook_count bind)
run pt unsafe "$U" sh -c 'test -e /cz-marker && echo in-tree || echo on-host'
assert_eq "open PAM_SESSION_ERR" "$(head -n 1 "$T/run.out")" "map file writable by others: the session fails closed (PAM_SESSION_ERR, never a host session)"
assert_eq "$b" "$(hook_count bind)" "map file writable by others: nothing set up"
if [ -n "$SYSLOG_FILE" ]; then
	assert_contains "$(syslog_since "$m")" "$S/etc/unsafe.conf" "map file writable by others: a syslog line names it"
else
	skip "unsafe map: syslog line" "no private syslog"
fi

# --- unknown options: logged, not fatal; debug
svc bogus bogus-option frobnicate=1 debug
m=$(syslog_mark)
run pt bogus "$U" cat /cz-marker
assert_eq $'open PAM_SUCCESS\nmarker yes\ninside-tree' "$(sed -n 1,3p "$T/run.out")" "unknown options: the session still works"
if [ -n "$SYSLOG_FILE" ]; then
	assert_contains "$(syslog_since "$m")" "bogus-option" "unknown option bogus-option is logged"
	assert_contains "$(syslog_since "$m")" "frobnicate" "unknown option frobnicate=1 is logged"
else
	skip "unknown options logged" "no private syslog"
fi

# --- a PAM caller killed with SIGKILL counts as ended
b0=$(hook_count bind)
PAMTEST_HOLD="$T/held" "$T/pamtest" "$PD" plain "$U" >"$T/held.out" 2>&1 &
hp=$!
track_pid "$hp"
wait_nonempty "$T/held" 10 || fail "the holding pamtest opened its session" "$(cat "$T/held.out")"
run cz --list
assert_match "$out" '^g +c +1 ' "while a PAM session is open: --list shows g c with 1 session"
run pt plain "$U" cat /cz-marker
assert_eq $'open PAM_SUCCESS\nmarker yes\ninside-tree' "$(sed -n 1,3p "$T/run.out")" "a second PAM session joins the live one"
assert_eq $((b0 + 1)) "$(hook_count bind)" "the second session joined (no second setup)"
assert_file_exists "$CONTAINERIZE_RUNDIR/g/c" "the first session still holds the container"
kill -KILL "$hp"
wait "$hp" 2>/dev/null
run cz --list
assert_not_contains "$(printf '%s\n' "$out" | awk '$1 == "g" && $2 == "c" { print $3 }')" "1" "after SIGKILL of the PAM caller: no live session counted"
run pt plain "$U" cat /cz-marker
assert_eq $'open PAM_SUCCESS\nmarker yes\ninside-tree' "$(sed -n 1,3p "$T/run.out")" "after SIGKILL of the PAM caller: the next session works"
assert_eq "$(hook_count bind)" "$(hook_count unbind)" "after SIGKILL: the stale container was torn down, every setup had its teardown"

# --- fail safe: a caller found in the instance cgroup at close tears nothing down (the kill
# would take it); its hold goes with it, and the next session tears the instance down
u0=$(hook_count unbind)
rm -f "$T/held"
PAMTEST_HOLD="$T/held" PAMTEST_HOLD_USR1=1 "$T/pamtest" "$PD" plain "$U" true >"$T/held.out" 2>&1 &
hp=$!
track_pid "$hp"
if wait_nonempty "$T/held" 10; then
	m=$(syslog_mark)
	echo "$hp" >"$(sed -n 's/^cgroup=//p' "$CONTAINERIZE_RUNDIR/g/c/state")/cgroup.procs"
	kill -USR1 "$hp"
	wait "$hp"
	assert_eq 0 "$?" "a caller in the instance cgroup at close survives its close_session"
	assert_contains "$T/held.out" "close PAM_SESSION_ERR" "... which fails"
	assert_eq "$u0" "$(hook_count unbind)" "... and tears nothing down"
	if [ -n "$SYSLOG_FILE" ]; then
		assert_contains "$(syslog_since "$m")" "in the cgroup of g/c" "... and says why in syslog"
	else
		skip "the reason is logged" "no private syslog"
	fi
	run pt plain "$U" cat /cz-marker
	assert_eq $'open PAM_SUCCESS\nmarker yes\ninside-tree' "$(sed -n 1,3p "$T/run.out")" "the next session works"
	assert_eq "$(hook_count bind)" "$(hook_count unbind)" "... after tearing the stale instance down"
else
	fail "the holding pamtest opened its session" "$(cat "$T/held.out")"
fi

assert_clean g c "$T/before"
done_testing
