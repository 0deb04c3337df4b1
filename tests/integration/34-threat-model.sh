#!/bin/bash
# SECURITY.md claims not covered elsewhere:
# - a user cannot kill(2) their own setuid containerize (it runs as root entirely);
# - a map file that is a symbolic link is not read (the user is unmapped);
# - root inside reaches the host through the host's /proc (/proc/1/root): not a boundary,
#   as documented; with a pid namespace (its own /proc) that route is closed;
# - the PAM module applies the strict ownership rule: a hook writable by others is refused.
. "$(dirname "$0")/../lib/tap.sh"
. "$TAP_LIB/setuid-build.sh"
. "$TAP_LIB/users.sh"
. "$TAP_LIB/debtree.sh"

setuid_fixture busybox
make_user tm "$CZS" || bail "make_user"
U=$NEW_USER
add_shell "$CZS"
set_map "$U g c"
echo "host-only-$$" >"$S/host-marker"

# --- kill(2) from the user gets EPERM
as_user "$U" "$CZU" g c sleep 30 >/dev/null 2>&1 &
sub=$!
track_pid "$sub"
cz_pid=
for i in $(seq 100); do
	# as_user is a function: $! is its subshell; containerize is below it
	cz_pid=$(pgrep -P "$sub" -x containerize)
	[ -n "$cz_pid" ] && [ -n "$(pgrep -P "$cz_pid")" ] && break
	sleep 0.1
done
track_pid "$cz_pid"
run as_user "$U" kill -TERM "$cz_pid"
assert_ne 0 "$status" "the user's kill -TERM of their setuid containerize fails"
assert_contains "$err" "ermitted" "the error is EPERM"
if kill -0 "$cz_pid" 2>/dev/null; then pass "containerize still runs"; else fail "containerize still runs"; fi
kill -TERM "$cz_pid"
wait_exit "$sub"
assert_eq 143 "$status" "root's SIGTERM is passed on and the session ends (143)"

# --- hooks started for a setuid caller run as root in full, with none of the caller's
# environment
cp "$CONTAINERIZE_TREES/g/.container/bind" "$T/bind.saved"
cat >"$CONTAINERIZE_TREES/g/.container/bind" <<HOOK
#!/bin/sh
echo "ids \$(id -u) \$(id -ru) \$(id -g) \$(id -rg) groups=\$(id -G) home=\${HOME-unset} secret=\${CZ_SECRET-unset} umask=\$(umask)" >>"$T/setuid-hook.log"
HOOK
chmod 755 "$CONTAINERIZE_TREES/g/.container/bind"
run as_user "$U" env CZ_SECRET=leak "$CZU" g c true
assert_eq 0 "$status" "setuid containerize by the user (hook ids probe)"
assert_eq "ids 0 0 0 0 groups=0 home=unset secret=unset umask=0022" "$(cat "$T/setuid-hook.log")" \
	"a hook started for a setuid caller runs as root in full, without the caller's environment"
cp "$T/bind.saved" "$CONTAINERIZE_TREES/g/.container/bind"

# --- the tree swapped for a symbolic link during the setup (after the group was loaded): the
# bind hook renames it and puts a link to /etc in its place; the setup must refuse, never
# mount over /etc
mounts_snapshot >"$T/before-swap"
cat >"$CONTAINERIZE_TREES/g/.container/bind" <<'HOOK'
#!/bin/sh
mv "$1" "$1.real" && ln -s /etc "$1"
HOOK
cat >"$CONTAINERIZE_TREES/g/.container/unbind" <<'HOOK'
#!/bin/sh
[ -L "$1" ] && rm "$1" && mv "$1.real" "$1"
exit 0
HOOK
chmod 755 "$CONTAINERIZE_TREES/g/.container/bind" "$CONTAINERIZE_TREES/g/.container/unbind"
run "$CZ" g c true
assert_eq 125 "$status" "a tree swapped for a symlink during the setup: refused (125)"
assert_contains "$err" "$CONTAINERIZE_TREES/g/c" "the error names the tree"
assert_mounts_as "$T/before-swap" "nothing mounted (not over /etc)"
if [ -d "$CONTAINERIZE_TREES/g/c" ] && [ ! -L "$CONTAINERIZE_TREES/g/c" ]; then
	pass "unbind ran and put the tree back"
else
	fail "unbind ran and put the tree back"
fi
cp "$T/bind.saved" "$CONTAINERIZE_TREES/g/.container/bind"
log_hooks g

# --- a map file given as a symbolic link is not read
cp "$CZMAP" "$S/etc/real.conf"
mv "$CZMAP" "$S/etc/saved.conf"
ln -s real.conf "$CZMAP"
run as_user "$U" "$CZU" g c true
assert_eq 125 "$status" "a symlinked map file: the user is refused (125)"
rm -f "$CZMAP"
mv "$S/etc/saved.conf" "$CZMAP"
run as_user "$U" "$CZU" g c true
assert_eq 0 "$status" "control: with the real map file the user gets in"

# --- root inside: /proc/PID/root of a host process is the host's root (not a boundary; the
# documented route is /proc/1/root; here PID 1 may itself be confined, so the command's host
# parent is used), unless --pid
run "$CZ" g c sh -c 'cat "/proc/$PPID/root$1"' _ "$S/host-marker"
assert_eq "host-only-$$" "$out" "root inside reads a host file through the host's /proc (documented)"
echo "--pid" >"$CONTAINERIZE_TREES/g/.container/unshare-options"
run "$CZ" g c sh -c 'cat "/proc/$PPID/root$1"' _ "$S/host-marker"
assert_ne 0 "$status" "with --pid (its own /proc) that route is closed"
assert_ne "host-only-$$" "$out" "with --pid the host file is not readable"
rm -f "$CONTAINERIZE_TREES/g/.container/unshare-options"

# --- the PAM module applies the strict rule (as the setuid front ends do)
if [ -n "${PAM_BUILT:-}" ] && [ -x "$TAP_LIB/../unit/pam/pamtest" ] || [ -f "$TAP_LIB/../unit/pam/pamtest.c" ]; then
	cc -o "$T/pamtest" "$TAP_LIB/../unit/pam/pamtest.c" -lpam 2>"$T/cc.err" || true
fi
if [ -x "$T/pamtest" ] && [ -n "${PAM_BUILT:-}" ]; then
	mkdir -p "$T/pam.d"
	printf 'session required %s group=g container=c trees=%s rundir=%s\nsession optional pam_permit.so\n' \
		"$PAMMOD" "$CONTAINERIZE_TREES" "$CONTAINERIZE_RUNDIR" >"$T/pam.d/strict"
	chmod 666 "$CONTAINERIZE_TREES/g/.container/bind"
	run "$T/pamtest" "$T/pam.d" strict "$U" true
	chmod 755 "$CONTAINERIZE_TREES/g/.container/bind"
	assert_contains "$out" "PAM_SESSION_ERR" "PAM: a hook writable by others is refused (PAM_SESSION_ERR)"
else
	skip "PAM strict rule" "the PAM module or its driver could not be built"
fi
done_testing
