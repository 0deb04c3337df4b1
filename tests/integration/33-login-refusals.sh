#!/bin/bash
# What the setuid install refuses, and what a mapped user may do with setuid containerize:
# - no rule: containerize-shell refuses (125, "no container", the user's name), nothing set up;
# - setuid `containerize G C` only for containers a matching rule names (user, @group, *, %u);
#   anything else, --list and --stop: 125 "permission denied", before any hook runs;
# - CONTAINERIZE_TREES/RUNDIR/CONF from a non-root caller are ignored (a user-owned fake trees
#   dir's bind hook never runs);
# - hooks, .container, config files and the trees dir that are not root-owned or are writable
#   by group/others: 125 naming the offending file; a map file that is: ignored (user unmapped).
# Busybox trees: no Debian needed here.
. "$(dirname "$0")/../lib/tap.sh"
. "$TAP_LIB/setuid-build.sh"
. "$TAP_LIB/users.sh"
. "$TAP_LIB/debtree.sh"

setuid_fixture busybox
syslog_capture
make_container g c2
echo inside-c2 >"$CONTAINERIZE_TREES/g/c2/cz-marker"
make_unix_group team
TEAM=$NEW_GROUP
USER_TREES=("$TREE" "$CONTAINERIZE_TREES/g/c2")
make_user map "$CZS" || bail "make_user"
U=$NEW_USER UID_=$NEW_UID
make_user none "$CZS" || bail "make_user"
V=$NEW_USER
MAKE_USER_GROUPS=$TEAM make_user team "$CZS" || bail "make_user"
W=$NEW_USER WUID=$NEW_UID
add_shell "$CZS"
make_container g "$U"
user_into_tree "$U" "$CONTAINERIZE_TREES/g/$U"
set_map "$U g c
@$TEAM g c2"
mounts_snapshot >"$T/before"

nothing_set_up() { # nothing_set_up WHAT: no hook ran since the last mark, no run-dir entry
	assert_eq "$binds" "$(hook_count bind)" "$1: no hook ran"
	local e
	e=$(find "$CONTAINERIZE_RUNDIR" -mindepth 2 -maxdepth 2 2>/dev/null)
	assert_eq "" "$e" "$1: no run-dir entry"
}
mark() { binds=$(hook_count bind); }
su_() { timeout -k 5 30 su "$@"; }

# --- the mapped user, as a control
mark
run su_ - "$U" -c 'cat /cz-marker; id -u'
assert_eq $'inside-tree\n'"$UID_" "$out" "control: the mapped user's login shell works"
assert_eq $((binds + 1)) "$(hook_count bind)" "control: its login set the container up"

# --- a user with no rule
mark
run su_ - "$V" -c 'touch /cz-ran'
assert_eq 125 "$status" "unmapped user: su - user -c exits 125"
assert_contains "$err" "no container" "unmapped user: the message says no container is mapped"
assert_contains "$err" "$V" "unmapped user: the message names the user"
assert_no_file "$TREE/cz-ran" "unmapped user: the command did not run"
nothing_set_up "unmapped user"
run bash -c 'printf "touch /cz-ran\n" | timeout -k 5 30 su - "$1"' _ "$V"
assert_eq 125 "$status" "unmapped user: interactive su - exits 125"
run as_user "$V" "$CZU" g c touch /cz-ran
assert_eq 125 "$status" "unmapped user: setuid containerize g c: 125"
assert_contains "$err" "permission denied" "unmapped user: setuid containerize says permission denied"
nothing_set_up "unmapped user, setuid containerize"

# --- a mapped user asking for what the rules do not name
for gc in "g c2" "g other" "other c" "g $V"; do
	mark
	# shellcheck disable=SC2086
	run as_user "$U" "$CZU" $gc touch /cz-ran
	assert_eq 125 "$status" "mapped user, setuid containerize $gc: 125"
	assert_contains "$err" "permission denied" "mapped user, setuid containerize $gc: permission denied"
	nothing_set_up "mapped user, containerize $gc"
done
assert_no_file "$CONTAINERIZE_TREES/g/c2/cz-ran" "the command ran in no container"
run as_user "$U" "$CZU" --list
assert_eq 125 "$status" "mapped user: containerize --list: 125"
assert_contains "$err" "permission denied" "mapped user: --list says permission denied"
run as_user "$U" "$CZU" --stop g c
assert_eq 125 "$status" "mapped user: containerize --stop g c: 125"
assert_contains "$err" "permission denied" "mapped user: --stop says permission denied"

# --- what the rules do grant
run as_user "$U" "$CZU" g c id -u
assert_eq "0:$UID_" "$status:$out" "mapped user: setuid containerize g c id -u prints the user's uid"
run as_user "$U" "$CZU" g c sh -c 'id -G; grep "^CapEff:" /proc/self/status; cat /cz-marker'
assert_eq "$(id -G "$U")"$'\n'$'CapEff:\t0000000000000000\ninside-tree' "$out" \
	"mapped user: setuid containerize: the user's groups, no capabilities, inside"
run as_user "$U" "$CZU" g c sh -c 'exit 5'
assert_eq 5 "$status" "mapped user: setuid containerize: the command's exit status"
run as_user "$W" "$CZU" g c2 id -u
assert_eq "0:$WUID" "$status:$out" "@group rule: a member may run setuid containerize g c2"
run su_ - "$W" -c 'cat /cz-marker; id -u'
assert_eq $'inside-c2\n'"$WUID" "$out" "@group rule: a member's login shell lands in g c2"
run as_user "$W" "$CZU" g c id -u
assert_eq 125 "$status" "@group rule: not g c"
set_map "$U g %u"
run as_user "$U" "$CZU" g "$U" id -u
assert_eq "0:$UID_" "$status:$out" "%u rule: setuid containerize g \$USER works"
run su_ - "$U" -c 'id -u; test -e /cz-marker || echo own-tree'
assert_eq "$UID_"$'\n'"own-tree" "$out" "%u rule: the login shell lands in g/\$USER"
run as_user "$U" "$CZU" g c id -u
assert_eq 125 "$status" "%u rule: not g c"
set_map "# everyone
* g c2"
run as_user "$V" "$CZU" g c2 id -u
assert_eq 0 "$status" "* rule: any user may enter the named container"
run su_ - "$V" -c 'cat /cz-marker'
assert_eq "0:inside-c2" "$status:$out" "* rule: any user's login shell lands there"
set_map "$U g c"

# --- the command's own failures: 126 not executable, 127 not found (as for root)
printf '#!/bin/sh\necho no\n' >"$TREE/cz-noexec"
chmod 644 "$TREE/cz-noexec"
run as_user "$U" "$CZU" g c /cz-noexec
assert_eq 126 "$status" "setuid containerize, COMMAND not executable: 126"
run as_user "$U" "$CZU" g c /no/such/command
assert_eq 127 "$status" "setuid containerize, COMMAND not found: 127"

# --- the rule names a container that is not there, or a hook fails: 125, nothing left
set_map "$U g nosuchcontainer"
mark
run su_ - "$U" -c 'true'
assert_eq 125 "$status" "rule naming a missing container: login refused with 125"
assert_contains "$err" "nosuchcontainer" "rule naming a missing container: the error names it"
nothing_set_up "rule naming a missing container"
set_map "$U g c"
cp -p "$CONTAINERIZE_TREES/g/.container/bind" "$T/bind.saved"
write_hook g bind "echo \"bind \$* $HOOKENV\" >>'$HOOKLOG'; echo bind-says-no >&2; exit 3"
mark
run su_ - "$U" -c 'touch /cz-ran'
assert_eq 125 "$status" "failing bind hook: login refused with 125"
assert_contains "$err" "bind" "failing bind hook: the error names the hook"
assert_no_file "$TREE/cz-ran" "failing bind hook: the command did not run"
assert_no_file "$CONTAINERIZE_RUNDIR/g/c" "failing bind hook: no run-dir entry"
assert_eq "$((binds + 1)) $((binds + 1))" "$(hook_count bind) $(hook_count unbind)" "failing bind hook: unbind ran to undo it"
cp -p "$T/bind.saved" "$CONTAINERIZE_TREES/g/.container/bind"
assert_mounts_as "$T/before" "failing bind hook: host mount table as before"

# --- map file syntax: comments, blank lines, tabs and spaces; the first matching rule wins
printf '%s\n' "  # a comment line" "" "	$U	g	c2	  # trailing comment" "$U g c" "#$V g c" >"$CZMAP"
run su_ - "$U" -c 'cat /cz-marker'
assert_eq "0:inside-c2" "$status:$out" "map file with comments, blanks and tabs: the first matching rule is the login's"
run as_user "$U" "$CZU" g c cat /cz-marker
assert_eq "0:inside-tree" "$status:$out" "setuid containerize: a later matching rule also grants its container"
run su_ - "$V" -c 'true'
assert_eq 125 "$status" "a commented-out rule grants nothing"
# @group matches the user's primary group too (not only the member lists in /etc/group)
set_map "@$(id -gn "$U") g c"
run su_ - "$U" -c 'cat /cz-marker'
assert_eq "0:inside-tree" "$status:$out" "@group rule naming the user's primary group matches"
set_map "$U g c"
for bad in "../trees/g c" "g ../c" "g c/.." ". c" "g ."; do
	mark
	# shellcheck disable=SC2086
	run as_user "$U" "$CZU" $bad true
	assert_eq 125 "$status" "setuid containerize with a bad name ($bad): 125"
done
nothing_set_up "bad names"

# --- the environment overrides are ignored for a non-root caller
F="$T/fake"
mkdir -p "$F/g/.container" "$F/run"
printf '#!/bin/sh\ntouch %s/fake-bind-ran\n' "$F" >"$F/g/.container/bind"
chmod 755 "$F/g/.container/bind"
make_busybox_tree "$F/g/c"
echo fake-tree >"$F/g/c/cz-marker"
printf '%s g c\n%s g c\n' "$U" "$V" >"$F/conf"
chown -R "$U" "$F"
run as_user "$U" CONTAINERIZE_TREES="$F" CONTAINERIZE_RUNDIR="$F/run" CONTAINERIZE_CONF="$F/conf" "$CZU" g c cat /cz-marker
assert_eq "0:inside-tree" "$status:$out" "CONTAINERIZE_TREES from the user: ignored, the build's trees are used"
run as_user "$U" CONTAINERIZE_TREES="$F" CONTAINERIZE_RUNDIR="$F/run" CONTAINERIZE_CONF="$F/conf" "$CZS" -c 'cat /cz-marker'
assert_eq "0:inside-tree" "$status:$out" "containerize-shell: CONTAINERIZE_TREES from the user ignored"
run as_user "$V" CONTAINERIZE_TREES="$F" CONTAINERIZE_RUNDIR="$F/run" CONTAINERIZE_CONF="$F/conf" "$CZS" -c 'cat /cz-marker'
assert_eq 125 "$status" "CONTAINERIZE_CONF from an unmapped user: ignored (still refused)"
assert_no_file "$F/fake-bind-ran" "the fake trees dir's bind hook never ran"
assert_eq "" "$(ls -A "$F/run")" "the fake run dir was not used"

# --- unsafe hooks, config files, directories: refused, naming the file
G="$CONTAINERIZE_TREES/g/.container"
refused() { # refused DESC OFFENDING_PATH: a mapped login and setuid containerize are refused
	mark
	run su_ - "$U" -c 'touch /cz-ran'
	assert_eq 125 "$status" "$1: login refused with 125"
	assert_contains "$err" "$2" "$1: the error names $2"
	run as_user "$U" "$CZU" g c touch /cz-ran
	assert_eq 125 "$status" "$1: setuid containerize refused with 125"
	assert_contains "$err" "$2" "$1: setuid containerize names $2"
	assert_no_file "$TREE/cz-ran" "$1: the command did not run"
	assert_eq "$binds" "$(hook_count bind)" "$1: no hook ran"
	assert_no_file "$CONTAINERIZE_RUNDIR/g/c" "$1: no run-dir entry"
}
chmod o+w "$G/bind"
refused "bind hook writable by others" "$G/bind"
chmod 755 "$G/bind"
chmod g+w "$G/unbind"
refused "unbind hook writable by group" "$G/unbind"
chmod 755 "$G/unbind"
chown "$U" "$G/stop"
refused "stop hook owned by the user" "$G/stop"
chown root "$G/stop"
chmod 755 "$G/stop"
chmod 757 "$G"
refused ".container writable by others" "$G"
chmod 755 "$G"
chmod 666 "$G/cgroup-name"
refused "config file cgroup-name writable by others" "$G/cgroup-name"
chmod 644 "$G/cgroup-name"
chmod 777 "$CONTAINERIZE_TREES/g"
refused "group dir writable by others" "$CONTAINERIZE_TREES/g"
chmod 755 "$CONTAINERIZE_TREES/g"
chmod 777 "$CONTAINERIZE_TREES"
refused "trees dir writable by others" "$CONTAINERIZE_TREES"
chmod 755 "$CONTAINERIZE_TREES"

# --- a map file that is not safe is ignored: nobody is mapped, and the user is told why
for how in "chmod 646" "chown $U"; do
	set_map "$U g c"
	$how "$CZMAP"
	m=$(syslog_mark)
	mark
	run su_ - "$U" -c 'touch /cz-ran'
	assert_eq 125 "$status" "map file after '$how': ignored, the login is refused (125)"
	assert_eq "containerize-shell: permission denied for $U: the map file grants nothing until it is fixed: $CZMAP is ignored: not owned by root or writable by others" \
		"$err" "map file after '$how': refused, and told why"
	run as_user "$U" "$CZU" g c touch /cz-ran
	assert_eq 125 "$status" "map file after '$how': setuid containerize refused"
	nothing_set_up "map file after '$how'"
	if [ -n "$SYSLOG_FILE" ]; then
		assert_contains "$(syslog_since "$m")" "$CZMAP" "map file after '$how': a syslog line names it"
	else
		skip "map file after '$how': syslog line" "no private syslog (a syslog daemon owns /dev/log)"
	fi
done
set_map "$U g c"

# --- after all that, the mapped user still works, and nothing is left
run su_ - "$U" -c 'cat /cz-marker'
assert_eq "0:inside-tree" "$status:$out" "the mapped user's login works again"
assert_eq "$(hook_count bind)" "$(hook_count unbind)" "every setup had its teardown"
assert_clean g c "$T/before"
done_testing
