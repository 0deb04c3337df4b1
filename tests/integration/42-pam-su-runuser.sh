#!/bin/bash
# pam_containerize.so in su's and runuser's login stacks (/etc/pam.d/su-l and runuser-l, with
# the module line appended for the test and restored byte-identical): `su - user`, an
# interactive `su - user` (also with a terminal) and `runuser -l user -c CMD` put the session
# inside the container as the user; sessions overlap and share it; the last one out tears it
# down; an unmapped user's session goes on on the host; a mapping to a missing container makes
# the login fail (never a host shell).
. "$(dirname "$0")/../lib/tap.sh"
. "$TAP_LIB/setuid-build.sh"
. "$TAP_LIB/users.sh"
. "$TAP_LIB/debtree.sh"

setuid_fixture
[ "$PAM_BUILT" = yes ] || bail "pam_containerize.so builds" "$(tail -n 30 "$S/build.log")"
make_user pamsu /bin/bash || bail "make_user"
U=$NEW_USER UID_=$NEW_UID UHOME=$NEW_HOME
make_user pamnomap /bin/bash || bail "make_user"
V=$NEW_USER VHOME=$NEW_HOME
set_map "$U g c"
sums_before=$(sha256sum /etc/pam.d/su-l /etc/pam.d/runuser-l)
for f in /etc/pam.d/su-l /etc/pam.d/runuser-l; do
	append_line "$f" "session required $PAMMOD conf=$CZMAP" || bail "append to $f"
done
mounts_snapshot >"$T/before"

# --- su - user -c CMD
run timeout -k 5 30 su - "$U" -c 'cat /cz-marker; id -u; pwd; grep "^0::" /proc/self/cgroup'
assert_eq 0 "$status" "su - user -c (module in su-l): exit 0" || diag "$err"
assert_eq "inside-tree"$'\n'"$UID_"$'\n'"$UHOME" "$(sed -n 1,3p "$T/run.out")" "su - user -c: inside the container, as the user, in the home dir"
assert_match "$(sed -n 4p "$T/run.out")" "^0::/$CGNAME/" "su - user -c: in the instance cgroup"
wait_torn_down 1
assert_eq "1 1" "$(hook_count bind) $(hook_count unbind)" "su - user -c: one setup, torn down after the session"
assert_clean g c "$T/before"
run timeout -k 5 30 su - "$U" -c 'exit 6'
assert_eq 6 "$status" "su - user -c 'exit 6': 6"

# --- nothing of the module's (host root, run dir, locks) reaches the user's shell
# (su and runuser pass their descriptors on: start them with only 0 1 2)
closefds() ( # in a subshell: the script's own descriptor (255) must stay open out here
	for f in /proc/$BASHPID/fd/*; do f=${f##*/}; [ "$f" -gt 2 ] && eval "exec $f>&-"; done
	exec "$@"
)
run closefds timeout -k 5 30 su - "$U" -c 'ls /proc/self/fd | xargs'
assert_eq "0 1 2 3" "$out" "su - user: the shell has only 0 1 2 (3 is ls's own)"
run closefds timeout -k 5 30 runuser -l "$U" -c 'ls /proc/self/fd | xargs'
assert_eq "0 1 2 3" "$out" "runuser -l user: the shell has only 0 1 2 (3 is ls's own)"

# --- interactive su - user, stdin; and with a terminal
run bash -c 'printf "%s\n" "cat /cz-marker" "id -u" "exit 4" | timeout -k 5 30 su - "$1"' _ "$U"
assert_eq "4:inside-tree"$'\n'"$UID_" "$status:$out" "interactive su - user: commands from stdin run inside, as the user"
exec 8< <(printf '%s\n' 'echo "ZZ$((6*7))ZZ $(id -u)"' 'cat /cz-marker' 'tty' 'exit'; exec sleep 25)
feeder=$!
track_pid "$feeder"
out=$(timeout -k 5 30 script -qec "su - $U" /dev/null <&8 | tr -d '\r')
exec 8<&-
kill "$feeder" 2>/dev/null
assert_contains "$out" "ZZ42ZZ $UID_" "su - user under script: typed commands run as the user"
assert_contains "$out" "inside-tree" "su - user under script: inside the container"
assert_match "$out" '/dev/pts/[0-9]+' "su - user under script: the shell has the pty"

# --- runuser -l user -c CMD
run timeout -k 5 30 runuser -l "$U" -c 'cat /cz-marker; id -u; pwd'
assert_eq "0:inside-tree"$'\n'"$UID_"$'\n'"$UHOME" "$status:$out" "runuser -l user -c (module in runuser-l): inside, as the user"
run timeout -k 5 30 su - "$U" -c 'echo "$debian_chroot $CONTAINERIZE_GROUP $CONTAINERIZE_INSTANCE"'
assert_eq "0:g/c g c" "$status:$out" "su - user: the PAM environment names the container (debian_chroot, CONTAINERIZE_*)"
n=$(hook_count bind)
wait_torn_down "$n"
assert_eq "$n" "$(hook_count unbind)" "after every su/runuser session: as many teardowns as setups"
assert_clean g c "$T/before"

# --- overlapping sessions: su holds, runuser joins
b0=$(hook_count bind)
rm -f "$TREE$UHOME/ready"
timeout -k 5 30 su - "$U" -c 'echo from-su >/tmp/shared; touch ~/ready; sleep 3; cat /tmp/from-runuser' >"$T/s1.out" 2>&1 </dev/null &
s1=$!
track_pid "$s1"
wait_file "$TREE$UHOME/ready" 15 || fail "the su session started" "$(cat "$T/s1.out")"
run timeout -k 5 30 runuser -l "$U" -c 'cat /tmp/shared; echo from-runuser >/tmp/from-runuser'
assert_eq "0:from-su" "$status:$out" "runuser -l joins the live su session's container (shared /tmp)"
wait_exit "$s1" 20
assert_eq "0:from-runuser" "$status:$(cat "$T/s1.out")" "the su session sees runuser's file"
assert_eq $((b0 + 1)) "$(hook_count bind)" "two overlapping sessions: one setup"
wait_torn_down $((b0 + 1))
assert_eq $((b0 + 1)) "$(hook_count unbind)" "torn down after the last one"
assert_clean g c "$T/before"

# --- what the user leaves running at logout is killed with the container
run timeout -k 5 30 su - "$U" -c 'setsid sleep 60 </dev/null >/dev/null 2>&1 & echo started'
assert_eq "0:started" "$status:$out" "a su session that leaves a background process behind"
left=$(user_procs_left "$UID_")
assert_eq "" "$left" "the process left behind was killed at teardown"
wait_torn_down "$(hook_count bind)"
assert_eq "$(hook_count bind)" "$(hook_count unbind)" "and the container was torn down"

# --- unmapped: the session goes on on the host
run timeout -k 5 30 su - "$V" -c 'test -e /cz-marker && echo in-tree; pwd'
assert_eq "0:$VHOME" "$status:$out" "unmapped user: su - works, on the host"

# --- mapped to a missing container: the login fails
set_map "$V g nosuchcontainer"
b0=$(hook_count bind)
run timeout -k 5 30 su - "$V" -c "touch '$T/ran-on-host'"
assert_ne 0 "$status" "mapped to a missing container: su - fails"
assert_no_file "$T/ran-on-host" "mapped to a missing container: no shell ran on the host"
run timeout -k 5 30 runuser -l "$V" -c "touch '$T/ran-on-host'"
assert_ne 0 "$status" "mapped to a missing container: runuser -l fails"
assert_no_file "$T/ran-on-host" "mapped to a missing container: runuser ran nothing on the host"
assert_eq "$b0" "$(hook_count bind)" "mapped to a missing container: nothing set up"

# --- the PAM files come back byte-identical
_remove_line /etc/pam.d/su-l "session required $PAMMOD conf=$CZMAP"
_remove_line /etc/pam.d/runuser-l "session required $PAMMOD conf=$CZMAP"
assert_eq "$sums_before" "$(sha256sum /etc/pam.d/su-l /etc/pam.d/runuser-l)" "su-l and runuser-l restored byte-identical"
assert_clean g c "$T/before"
done_testing
