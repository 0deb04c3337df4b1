#!/bin/bash
# Where COMMAND starts, as whom, and what its environment says (issue 17, schroot's habits):
# the caller's directory is kept where the same path exists inside (else /, with a one-line
# note), for the first session, a joiner and a pid-namespace group; -d DIR chooses it (a missing
# DIR: 125, the command does not run; resolved inside, as the user); -u USER runs COMMAND as a
# user of the host's database (uid, gid, groups, HOME, USER, LOGNAME, SHELL, the allow-list
# environment), refused for non-root callers; debian_chroot=GROUP/CONTAINER (unless set),
# CONTAINERIZE_GROUP and CONTAINERIZE_INSTANCE for root, -u, mapped users and the login shell,
# which keeps its own directory rule (the home directory).
. "$(dirname "$0")/../lib/tap.sh"
. "$TAP_LIB/setuid-build.sh"
. "$TAP_LIB/users.sh"

setuid_fixture busybox
make_unix_group extra || bail "groupadd"
EXTRA=$NEW_GROUP
MAKE_USER_GROUPS=$EXTRA make_user cwd "$CZS" || bail "make_user"
U=$NEW_USER UID_=$NEW_UID GID_=$NEW_GID UHOME=$NEW_HOME
EXTRA_GID=$(getent group "$EXTRA" | cut -d: -f3)
mounts_snapshot >"$T/before"

# a directory that exists on the host and in the tree, and one that exists on the host only
D=$S/work/src/pkg
D2=$S/work/host-only
mkdir -p "$D" "$D2" "$TREE$D"

# --- the caller's directory: kept where it exists inside, else / with a note
cd "$D" || bail "cd $D"
run cz g c pwd
assert_eq "0:$D" "$status:$out" "the caller's directory is kept when the same path exists in the tree (first session)"
assert_eq "" "$err" "... without a word on stderr"
cd "$D2" || bail "cd $D2"
run cz g c pwd
assert_eq "0:/" "$status:$out" "a directory the tree does not have: the command starts in /"
assert_eq "containerize: note: $D2 does not exist in g/c, starting in /" "$err" "... with a one-line note"
cd / || bail "cd /"

cz_bg hold g c sleep 60
HOLD=$BG_PID
wait_live g c || fail "the first session is live"
cd "$D" && run cz g c pwd
assert_eq "0:$D" "$status:$out" "a joiner keeps the caller's directory too"
cd "$D2" && run cz g c pwd
assert_eq "0:/" "$status:$out" "a joiner in a directory the tree does not have starts in /"
assert_eq "containerize: note: $D2 does not exist in g/c, starting in /" "$err" "... with the note"
cd /
run cz -d /etc g c pwd
assert_eq "0:/etc" "$status:$out" "a joiner with -d /etc starts in /etc"

# a pid namespace: the command is a child of the session, not the setup process
make_group gp
make_container gp c
set_conf gp unshare-options --pid
mkdir -p "$CONTAINERIZE_TREES/gp/c$D"
cd "$D" && run cz gp c pwd
assert_eq "0:$D" "$status:$out" "with a pid namespace, the caller's directory is kept"
cd /

# --- -d DIR
for o in "-d /etc" "--directory=/etc" "--directory /etc"; do
	# shellcheck disable=SC2086
	run cz $o g c pwd
	assert_eq "0:/etc" "$status:$out" "$o: the command starts in /etc"
done
cd "$D2" && run cz -d etc g c pwd
assert_eq "0:/etc" "$status:$out" "-d etc (relative): taken from / inside, whatever the caller's directory"
assert_eq "" "$err" "-d: no note about the caller's directory"
cd /
run cz -d /cz-missing g c touch /cz-ran
assert_eq 125 "$status" "-d with a directory missing in the tree: exit 125"
assert_eq "containerize: cannot change to directory /cz-missing in g/c: No such file or directory" "$err" \
	"-d missing: one line naming the directory and the container"
assert_no_file "$TREE/cz-ran" "-d missing: the command did not run"
run cz -d /etc/passwd g c true
assert_eq "125:containerize: cannot change to directory /etc/passwd in g/c: Not a directory" "$status:$err" \
	"-d on a file: 125, Not a directory"
ln -s /etc "$TREE/cz-etc-link"
run cz -d /cz-etc-link g c sh -c 'pwd -P'
assert_eq "0:/etc" "$status:$out" "-d through a symlink in the tree resolves inside the tree"
mkdir -p "$D2/inside-host-only"
ln -s "$D2" "$TREE/cz-host-link"
run cz -d /cz-host-link/inside-host-only g c true
assert_eq 125 "$status" "-d through a symlink to a host path that the tree lacks: 125 (never followed on the host)"
run cz -d '' g c true
assert_eq "125:containerize: -d needs an argument (try --help)" "$status:$err" "-d '': usage error"
run cz g c --directory
assert_eq 127 "$status" "an option after CONTAINER is part of COMMAND"

# --- -u USER
run cz -u "$U" g c sh -c 'id -u; id -g; id -G | tr " " "\n" | sort -n | xargs; echo "$HOME|$USER|$LOGNAME|$SHELL"; pwd'
exp_groups=$(printf '%s\n' "$GID_" "$EXTRA_GID" | sort -n | xargs)
assert_eq "0" "$status" "-u USER: exit 0" || diag "$err"
assert_eq "$UID_"$'\n'"$GID_"$'\n'"$exp_groups"$'\n'"$UHOME|$U|$U|/bin/sh"$'\n'"/" "$out" \
	"-u USER: uid, gid, supplementary groups, HOME, USER, LOGNAME, SHELL of the user; cwd / (the caller's)"
run cz --user="$U" g c sh -c 'grep -E "^(Uid|Gid|CapEff|CapPrm):" /proc/self/status | tr -s "\t " " "'
assert_eq "Uid: $UID_ $UID_ $UID_ $UID_"$'\n'"Gid: $GID_ $GID_ $GID_ $GID_"$'\n'"CapPrm: 0000000000000000"$'\n'"CapEff: 0000000000000000" \
	"$out" "--user=USER: every uid and gid is the user's, no capability left"
CZTEST_VAR=x TERM=xterm-cztest run cz -u "$U" g c env
assert_not_contains "$out" "CZTEST_VAR" "-u: the caller's environment goes through the allow-list (CZTEST_VAR dropped)"
assert_contains "$out" "TERM=xterm-cztest" "-u: TERM passes"
assert_contains "$out" "PATH=/usr/local/bin:/usr/bin:/bin:/usr/games" "-u: PATH is the user's"
cd "$D" && run cz -u "$U" g c pwd
assert_eq "0:$D" "$status:$out" "-u: the caller's directory is kept"
cd /
chmod 700 "$TREE/root"
run cz -u "$U" -d /root g c true
assert_eq "125:containerize: cannot change to directory /root in g/c: Permission denied" "$status:$err" \
	"-u with -d: the directory is entered as the user (root's 700 /root refused)"
run cz -u czt-no-such-user g c true
assert_eq "125:containerize: -u czt-no-such-user: no such user" "$status:$err" "-u with an unknown user: 125"
run cz -u root g c id -u
assert_eq "0:0" "$status:$out" "-u root works"

# --- a non-root caller: -u refused, the directory kept
set_map "$U g c"
run as_user "$U" "$CZU" -u root g c touch /cz-as-root
assert_eq "125:containerize: permission denied: -u is for root (commands run as you)" "$status:$err" \
	"-u by a non-root caller: refused with 125"
assert_no_file "$TREE/cz-as-root" "... and nothing ran"
cd "$D" && run as_user "$U" "$CZU" g c pwd
assert_eq "0:$D" "$status:$out" "a mapped user keeps their directory"
cd /
run as_user "$U" "$CZU" -d "$UHOME" g c pwd
assert_eq "0:$UHOME" "$status:$out" "a mapped user with -d"
run as_user "$U" "$CZU" -d /root g c true
assert_eq "125:containerize: cannot change to directory /root in g/c: Permission denied" "$status:$err" \
	"a mapped user's -d is entered as the user"

# --- the environment says where it runs
run cz g c env
assert_contains "$out" $'\ndebian_chroot=g/c\n' "root: debian_chroot=GROUP/CONTAINER"
assert_contains "$out" $'\nCONTAINERIZE_GROUP=g\n' "root: CONTAINERIZE_GROUP"
assert_contains "$out" $'\nCONTAINERIZE_INSTANCE=c\n' "root: CONTAINERIZE_INSTANCE"
debian_chroot=mine CONTAINERIZE_GROUP=x CONTAINERIZE_INSTANCE=y run cz g c env
assert_contains "$out" $'\ndebian_chroot=mine\n' "a debian_chroot the caller set is kept"
assert_contains "$out" $'\nCONTAINERIZE_GROUP=g\n' "CONTAINERIZE_GROUP is always the container's"
assert_contains "$out" $'\nCONTAINERIZE_INSTANCE=c\n' "CONTAINERIZE_INSTANCE is always the container's"
debian_chroot=mine run cz -u "$U" g c env
assert_contains "$out" $'\ndebian_chroot=g/c\n' "-u: debian_chroot=GROUP/CONTAINER (the caller's does not pass the allow-list)"
assert_contains "$out" $'\nCONTAINERIZE_GROUP=g\n' "-u: CONTAINERIZE_GROUP"
run as_user "$U" debian_chroot=mine "$CZU" g c env
assert_contains "$out" $'\ndebian_chroot=g/c\n' "mapped user: debian_chroot=GROUP/CONTAINER"
assert_contains "$out" $'\nCONTAINERIZE_INSTANCE=c\n' "mapped user: CONTAINERIZE_INSTANCE"

# --- the login shell keeps its rule: the home directory; it gets the variables too
cd "$D" && run as_user "$U" "$CZS" -c 'pwd; echo "$debian_chroot $CONTAINERIZE_GROUP $CONTAINERIZE_INSTANCE"'
assert_eq "0:$UHOME"$'\n'"g/c g c" "$status:$out" "containerize-shell -c: the home directory (not the caller's), and the variables"
cd /

kill -TERM "$HOLD"
wait_exit "$HOLD" 20
assert_eq "$(hook_count bind)" "$(hook_count unbind)" "every setup had its teardown"
assert_clean g c "$T/before"
done_testing
