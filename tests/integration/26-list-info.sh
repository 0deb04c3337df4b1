#!/bin/bash
# containerize --list --all (-l) and --info GROUP [CONTAINER] (issue 17, schroot's -l and -i):
# every group and container under the trees root with its state (live, stale, down; sessions)
# and each group's hooks and files; a group's effective configuration with each entry's owner,
# mode and verdict (refused for everyone, refused under setuid, not used); a caller through the
# setuid bit sees only the containers the map file grants them, and learns nothing of other
# groups (same refusal as for a group that does not exist). Plain --list keeps its format.
. "$(dirname "$0")/../lib/tap.sh"
. "$TAP_LIB/setuid-build.sh"
. "$TAP_LIB/users.sh"

setuid_fixture busybox
make_user list "$CZS" || bail "make_user"
U=$NEW_USER
TR=$CONTAINERIZE_TREES
make_container g c2
make_group other
make_container other x
make_container other y
set_conf other propagation private
set_conf other shell /bin/sh
set_conf other unshare-options "--uts --pid"
set_conf other fstab "# nothing to mount"
echo notes >"$TR/other/.container/README"
chown "$U" "$TR/other/.container/README"
mkdir -p "$TR/nogroup/z"
ln -s "$TR/other" "$TR/alink"
set_map "$U g c
$U other x"
norm() { awk '{ $1 = $1; print }'; } # fields separated by one space

cz_bg hold g c sleep 60
HOLD=$BG_PID
for i in $(seq 100); do
	cz --list 2>/dev/null | awk 'NR > 1 { print $1, $2 }' | grep -qx "g c" && break
	sleep 0.1
done

# --- root: --list --all and -l
run cz --list --all
assert_eq 0 "$status" "--list --all: exit 0" || diag "$err"
exp_all="GROUP CONTAINER STATE SESSIONS HOOKS AND FILES
g - group - hooks=bind,profile,stop,unbind files=cgroup-name
g c live 1
g c2 down 0
nogroup - invalid - no .container directory
nogroup z down 0
other - group - hooks=- files=cgroup-name,fstab,propagation,shell,unshare-options
other x down 0
other y down 0"
assert_eq "$exp_all" "$(norm <<<"$out")" \
	"--list --all: every group (hooks, files used; no symlink) and container, sorted, with state and sessions"
assert_eq "" "$err" "--list --all: nothing on stderr"
run cz -l
assert_eq "0:$exp_all" "$status:$(norm <<<"$out")" "-l is --list --all"
run cz --list
assert_match "$(head -n 1 <<<"$out")" '^GROUP +CONTAINER +SESSIONS +BASE +PID +STARTED +CGROUP$' "--list keeps its header (BASE: a throwaway instance's base)"
assert_match "$out" "^g +c +1 +- +[0-9]+ " "--list keeps its lines: GROUP CONTAINER SESSIONS BASE PID ..."
assert_eq 2 "$(wc -l <<<"$out")" "--list shows live containers only"

# --- a mapped user sees only what the map file grants
run as_user "$U" "$CZU" --list --all
assert_eq "0:GROUP CONTAINER STATE SESSIONS HOOKS AND FILES
g - group - hooks=bind,profile,stop,unbind files=cgroup-name
g c live 1
other - group - hooks=- files=cgroup-name,fstab,propagation,shell,unshare-options
other x down 0" "$status:$(norm <<<"$out")" "mapped user: --list --all shows only the granted containers and their groups"
run as_user "$U" "$CZU" -l
assert_eq 0 "$status" "mapped user: -l works"
run as_user "$U" "$CZU" --list
assert_eq "125:containerize: permission denied: --list and --stop are for root" "$status:$err" \
	"mapped user: plain --list stays root's"

# --- root: --info
run cz --info other
exp_other="group: other
directory: $TR/other/.container
setuid callers: accepted
propagation: private
unshare-options: --uts --pid
shell: /bin/sh (from $TR/other/.container/shell)
cgroup-name: $CGNAME
entries:
README other $U:root 0644 not used by containerize
cgroup-name file root:root 0644 ok
fstab file root:root 0644 ok
propagation file root:root 0644 ok
shell file root:root 0644 ok
unshare-options file root:root 0644 ok
containers:
x down
y down"
assert_eq "0:$exp_other" "$status:$(norm <<<"$out")" "--info GROUP: settings in effect, entries with owner, mode, verdict; containers"
run cz --info g c
assert_contains "$out" "shell:           bash, else /bin/sh (the default: no .container/shell)" "--info: the default shell"
assert_contains "$out" "propagation:     slave" "--info: the default propagation"
assert_contains "$out" "unshare-options: none" "--info: no unshare-options"
assert_eq "containers:
c live, 1 session" "$(sed -n '/^containers:/,$p' <<<"$out" | norm)" "--info GROUP CONTAINER: that container only, live with its sessions"
chmod 775 "$TR/other/.container/shell"
chmod 644 "$TR/g/.container/stop"
run cz --info other
assert_contains "$(norm <<<"$out")" "shell file root:root 0775 refused under setuid: writable by group or others" \
	"--info: a file writable by its group is refused under setuid"
assert_contains "$out" "setuid callers:  refused: $TR/other/.container/shell: writable by group or others" \
	"--info: the first reason a setuid caller is refused"
run cz --info g
assert_contains "$(norm <<<"$out")" "stop hook root:root 0644 refused: not executable" "--info: a hook that is not executable"
assert_contains "$out" "unusable:        $TR/g/.container/stop: not executable" "--info: a group nobody can use says why"
chmod 755 "$TR/g/.container/stop"
chmod 644 "$TR/other/.container/shell"
set_conf other propagation sideways
run cz --info other x
assert_contains "$out" "unusable:        $TR/other/.container/propagation: invalid value 'sideways' (expected slave, private or shared)" \
	"--info: a bad value"
set_conf other propagation private

run cz --info nosuch
assert_eq "125:containerize: no group 'nosuch': $TR/nosuch: No such file or directory" "$status:$err" "--info of a missing group: 125"
run cz --info nogroup
assert_eq "125:containerize: no group 'nogroup': $TR/nogroup has no .container directory (create $TR/nogroup/.container, owned by root, mode 755; every file in it is optional)" \
	"$status:$err" "--info of a directory without .container: says what to create"
run cz --info g nosuch
assert_eq "125:containerize: no container 'nosuch' in group 'g': $TR/g/nosuch is not a directory (symlinks are refused)" \
	"$status:$err" "--info of a missing container: 125"
run cz --info alink
assert_eq 125 "$status" "--info of a symlinked group: 125"
run cz --info ..
assert_eq "125:containerize: invalid group name (allowed: [A-Za-z0-9][A-Za-z0-9_.+-]*, at most 64 bytes)" "$status:$err" \
	"--info ..: invalid name"
for args in "--info" "--info g c extra" "--all" "--all g c true" "-d / --info g" "-u root -l"; do
	# shellcheck disable=SC2086
	run cz $args
	assert_eq 125 "$status" "usage error: $args"
	assert_error_line "$err" "usage error '$args': one line"
done

# --- --info as a mapped user
run as_user "$U" "$CZU" --info other
assert_eq 0 "$status" "mapped user: --info of a group with a granted container" || diag "$err"
assert_eq "containers:
x down" "$(sed -n '/^containers:/,$p' <<<"$out" | norm)" "mapped user: --info shows only the granted containers"
run as_user "$U" "$CZU" --info other x
assert_eq 0 "$status" "mapped user: --info GROUP CONTAINER, granted"
run as_user "$U" "$CZU" --info other y
assert_eq "125:containerize: permission denied: no rule in $CZMAP gives $U the container other/y" "$status:$err" \
	"mapped user: --info of a container not granted: refused"
run as_user "$U" "$CZU" --info nogroup
assert_eq "125:containerize: permission denied: no rule in $CZMAP gives $U a container of the group nogroup" "$status:$err" \
	"mapped user: --info of a group with nothing granted: refused"
run as_user "$U" "$CZU" --info nosuch
assert_eq "125:containerize: permission denied: no rule in $CZMAP gives $U a container of the group nosuch" "$status:$err" \
	"mapped user: a missing group gets the same refusal (nothing learnt)"

# --- stale: the session's holder killed, its command still there
kill -KILL "$HOLD"
wait "$HOLD" 2>/dev/null
run cz -l
assert_contains "$(norm <<<"$out")" $'\ng c stale 0\n' "a container whose sessions were all killed: stale, 0 sessions"
run cz --stop g c
assert_eq 0 "$status" "--stop the stale container" || diag "$err"
run cz -l
assert_contains "$(norm <<<"$out")" $'\ng c down 0\n' "after --stop: down"
done_testing
