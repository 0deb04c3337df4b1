#!/bin/bash
# Errors that name the real cause (issue 17), each message asserted exactly:
# - a malformed map-file line: the refused user is told the file, the line and the reason
#   (never the text of any rule), by setuid containerize and by containerize-shell;
# - the shell: named, with where it was chosen (.container/shell, the map rule), and a distinct
#   message for a tree with no shell at all; a shell that cannot be executed;
# - hooks that cannot start: CRLF in the #! line, no #! line, an interpreter that does not
#   exist (for profile: in the tree, though the host has it);
# - a group directory without .container says what to create;
# - a session whose container is ended by --stop says so, and by whom (root, sudo, for a
#   mapped user too, with a pid namespace too).
. "$(dirname "$0")/../lib/tap.sh"
. "$TAP_LIB/setuid-build.sh"
. "$TAP_LIB/users.sh"

setuid_fixture busybox
make_user err "$CZS" || bail "make_user"
U=$NEW_USER
TR=$CONTAINERIZE_TREES
C=$TR/g/.container
mounts_snapshot >"$T/before"

# --- a malformed map-file line
set_map "$U g c
nobody ux-debian bookworm /bin/bash extra"
run as_user "$U" "$CZU" g c touch /cz-ran
assert_eq "125:containerize: permission denied for $U: the map file grants nothing until it is fixed: $CZMAP:2: more than 4 fields (expected WHO GROUP CONTAINER [SHELL])" \
	"$status:$err" "setuid containerize: a malformed line is named (file, line, reason) as the cause of the refusal"
assert_not_contains "$err" "ux-debian" "... without the text of the line (another user's rule)"
assert_no_file "$TREE/cz-ran" "... and nothing ran"
run as_user "$U" "$CZS" -c 'touch /cz-ran'
assert_eq "125:containerize-shell: permission denied for $U: the map file grants nothing until it is fixed: $CZMAP:2: more than 4 fields (expected WHO GROUP CONTAINER [SHELL])" \
	"$status:$err" "containerize-shell: the same cause"
set_map "$U g c
$U g"
run as_user "$U" "$CZU" g c true
assert_eq "125:containerize: permission denied for $U: the map file grants nothing until it is fixed: $CZMAP:2: 2 fields (expected WHO GROUP CONTAINER [SHELL])" \
	"$status:$err" "a line with too few fields: its count"
set_map "$U g c
$U g ../c"
run as_user "$U" "$CZU" g c true
assert_eq "125:containerize: permission denied for $U: the map file grants nothing until it is fixed: $CZMAP:2: bad CONTAINER" \
	"$status:$err" "a bad CONTAINER field"
set_map "$U g c"
run as_user "$U" "$CZU" g c2 true
assert_eq "125:containerize: permission denied: no rule in $CZMAP gives $U the container g/c2" "$status:$err" \
	"a well-formed map file without a rule: the usual refusal"

# --- the shell
set_conf g shell zsh
run cz g c
assert_eq "127:containerize: the shell zsh (from $C/shell) was not found in g/c" "$status:$err" \
	"a shell file naming a shell the tree lacks: named, with the file"
printf 'echo x\n' >"$TREE/bin/cz-noexec"
chmod 644 "$TREE/bin/cz-noexec"
set_conf g shell /bin/cz-noexec
run cz g c
assert_eq "126:containerize: the shell /bin/cz-noexec (from $C/shell) cannot be run in g/c: Permission denied" "$status:$err" \
	"a shell that is not executable: 126, named"
rm -f "$C/shell" "$C/profile"	# profile is a /bin/sh script
mv "$TREE/bin/sh" "$TREE/bin/cz-sh"
run cz g c
assert_eq "127:containerize: g/c has no shell: no /bin/bash, /usr/bin/bash or /bin/sh in the tree (give a COMMAND, or name the shell in $C/shell)" \
	"$status:$err" "a tree with no shell at all: its own message"
run cz g c echo ok
assert_eq "0:ok" "$status:$out" "... while a COMMAND still runs"
mv "$TREE/bin/cz-sh" "$TREE/bin/sh"
write_hook g profile "echo \"profile \$0 $HOOKENV\" >>/root/profile.log"
run cz g c nosuchcmd
assert_eq "127:containerize: nosuchcmd: command not found" "$status:$err" "a COMMAND not found: as before"
set_map "$U g c /bin/zsh"
run as_user "$U" "$CZS" -c true
assert_eq "127:containerize-shell: the shell /bin/zsh (from line 1 of $CZMAP) was not found in g/c" "$status:$err" \
	"the map rule's shell: named, with its line"
set_map "$U g c"

# --- hooks that cannot start
bindlog() { hook_count unbind; }
printf '#!/bin/sh\r\necho hi\r\n' >"$C/bind"
run cz g c touch /cz-ran
assert_eq "125:containerize: bind hook $C/bind could not run: No such file or directory (its #! line ends with a carriage return: the file has DOS line endings; convert it with dos2unix or sed -i 's/\\r\$//')" \
	"$status:$err" "a hook with CRLF line endings: said so"
printf 'echo hi\n' >"$C/bind"
run cz g c touch /cz-ran
assert_eq "125:containerize: bind hook $C/bind could not run: Exec format error (it has no #! line: make its first line one, such as #!/bin/sh)" \
	"$status:$err" "a hook without #!: said so"
printf '#!/bin/cz-no-such-shell -e\necho hi\n' >"$C/bind"
run cz g c touch /cz-ran
assert_eq "125:containerize: bind hook $C/bind could not run: No such file or directory (its interpreter /bin/cz-no-such-shell does not exist)" \
	"$status:$err" "a hook whose interpreter is missing: named"
write_hook g bind "echo \"bind \$* $HOOKENV\" >>'$HOOKLOG'"
printf '#!/bin/bash\necho hi\n' >"$C/profile"
run cz g c touch /cz-ran
assert_eq "125:containerize: profile hook $C/profile could not run: No such file or directory (its interpreter /bin/bash does not exist in the tree: profile runs inside)" \
	"$status:$err" "profile whose interpreter the tree lacks (the host has it): said so"
write_hook g profile "echo \"profile \$0 $HOOKENV\" >>/root/profile.log"
assert_no_file "$TREE/cz-ran" "no command ran after a hook could not start"
assert_no_file "$CONTAINERIZE_RUNDIR/g/c" "nothing left in the run dir"

# --- a group directory without .container
mkdir -p "$TR/bare/c"
run cz bare c true
assert_eq "125:containerize: no group 'bare': $TR/bare has no .container directory (create $TR/bare/.container, owned by root, mode 755; every file in it is optional)" \
	"$status:$err" "a group directory without .container says what to create"

# --- sessions ended by --stop
cz_bg s1 g c sleep 60
S1=$BG_PID
wait_live g c || fail "the session is live"
run env SUDO_USER=czadmin "$CZ" --stop g c
assert_eq 0 "$status" "--stop (through sudo)" || diag "$err"
wait_exit "$S1" 20
assert_eq 137 "$status" "the stopped session ends with 128+SIGKILL"
assert_eq "containerize: g/c was stopped with --stop by root (sudo by czadmin)" "$(cat "$T/s1.err")" \
	"the stopped session says so, and by whom"
cz_bg s2 g c sleep 60
S2=$BG_PID
wait_live g c || fail "the session is live"
as_user "$U" "$CZU" g c sleep 60 >"$T/s3.out" 2>"$T/s3.err" </dev/null &
S3=$!
track_pid "$S3"
for i in $(seq 100); do [ "$(cz --list | awk '$1 == "g" { print $3 }')" = 2 ] && break; sleep 0.1; done
run env -u SUDO_USER "$CZ" --stop g c
wait_exit "$S2" 20
assert_eq "containerize: g/c was stopped with --stop by root" "$(cat "$T/s2.err")" "root's --stop: by root"
wait_exit "$S3" 20
assert_eq "containerize: g/c was stopped with --stop by root" "$(cat "$T/s3.err")" "a mapped user's session says so too"
make_group gp
make_container gp c
set_conf gp unshare-options --pid
cz_bg s4 gp c sleep 60
S4=$BG_PID
wait_live gp c || fail "the pid-namespace session is live"
run cz --stop gp c
wait_exit "$S4" 20
assert_eq "containerize: gp/c was stopped with --stop by root" "$(cat "$T/s4.err")" "with a pid namespace too"
run cz g c true
assert_eq "0:" "$status:$err" "a later session of the stopped container: nothing about the stop"

assert_eq "$(($(hook_count bind) + 3))" "$(hook_count unbind)" "every setup had its teardown (unbind also after the 3 binds that could not start)"
assert_clean g c "$T/before"
done_testing
