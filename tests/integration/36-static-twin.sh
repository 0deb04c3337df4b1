#!/bin/bash
# The static build (STATIC=1, the default): root runs the static-pie binary itself, with no
# second exec; a caller who comes through the setuid bit (a mapped user, a login shell) is
# handed at once to the dynamically linked twin in LIBEXECDIR, because the static binary is
# linked with musl, which reads users only from /etc/passwd (no NSS modules). The twin's path
# is checked from / without following symlinks: missing, group-writable, not root's or a
# symlink means a clear refusal (125) that names it, and nothing is set up.
. "$(dirname "$0")/../lib/tap.sh"
. "$TAP_LIB/setuid-build.sh"
. "$TAP_LIB/users.sh"

setuid_fixture busybox
TWIN="$S/libexec/containerize-shell"
if readelf -l "$CZS" 2>/dev/null | grep -q 'Requesting program interpreter'; then
	skip "the static build and its twin" "this build is dynamic (STATIC=0 or a sanitizer build): no twin"
	done_testing
fi
make_user tw /bin/sh || bail "make_user"
U=$NEW_USER UID_=$NEW_UID
set_map "$U g c"
mounts_snapshot >"$T/before"

# --- the two binaries
assert_eq "" "$(readelf -d "$CZS" | grep NEEDED)" "the setuid binary is static (no shared library needed)"
check "it is position independent (static-pie)" sh -c "readelf -h '$CZS' | grep -q 'DYN'"
check "the twin is dynamically linked" sh -c "readelf -l '$TWIN' | grep -q 'Requesting program interpreter'"
assert_eq "755 root" "$(stat -c '%a %U' "$TWIN")" "the twin is installed 755 root, not setuid"

# --- root: the static binary itself, one exec for the command and none for a twin
if command -v strace >/dev/null || make -C "$REPO" -s deps DEPS=strace >/dev/null 2>&1; then
	strace -f -qq -e trace=execve,execveat -o "$T/strace" "$CZU" g c /bin/true
	assert_eq 0 "$?" "root: g c /bin/true exits 0 under strace"
	execs=$(grep -o 'execve[a-z]*("[^"]*"' "$T/strace" | sed 's/.*("//; s/"$//')
	assert_eq "$CZU" "$(printf '%s\n' "$execs" | head -n 1)" "root: containerize itself runs first"
	assert_contains "$execs" "/bin/true" "root: the command runs"
	assert_not_contains "$T/strace" "$TWIN" "root: the twin is never executed"
	assert_not_contains "$T/strace" "execveat" "root: no hand-off at all"
else
	skip "root runs no twin" "strace cannot be installed"
fi

# --- a mapped user: through the twin
as_user "$U" "$CZU" g c /bin/sh -c 'sleep 2; id -u' >"$T/user.out" 2>"$T/user.err" &
upid=$!
track_pid "$upid"
found=
for _ in $(seq 100); do
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/exe" 2>/dev/null)" = "$TWIN" ] && found=$p
	done
	[ -n "$found" ] && break
	sleep 0.02
done
if [ -n "$found" ]; then
	pass "a mapped user's containerize process is the twin ($TWIN)"
	assert_eq "$CZU" "$(tr '\0' ' ' <"$found/cmdline" | cut -d' ' -f1)" "... with the argv[0] the user gave"
	assert_eq "containerize" "$(cat "$found/comm")" "... and the name it was called by (ps, pgrep -x containerize)"
else
	fail "a mapped user's containerize process is the twin ($TWIN)" "no process runs it"
fi
wait "$upid"
assert_eq "0:$UID_" "$?:$(cat "$T/user.out")" "the mapped user's command ran inside, as the user" || diag "stderr: $(cat "$T/user.err")"
run as_user "$U" "$CZS" -c 'id -u; cat /etc/hostname 2>/dev/null; echo ok'
assert_eq 0 "$status" "containerize-shell -c as the user exits 0 (through the twin)" || diag "stderr: $err"
assert_contains "$out" "ok" "... and ran the command"
assert_clean g c "$T/before"

# --- the twin's path, checked
refused() { # refused DESC WHY [PROGRAM]: the user is refused, naming the twin and WHY
	local prog=${3:-containerize} bin=$CZU
	[ "$prog" = containerize-shell ] && bin=$CZS
	local before_bind
	before_bind=$(hook_count bind)
	if [ "$prog" = containerize-shell ]; then
		run as_user "$U" "$bin" -c 'touch /twin-ran'
	else
		run as_user "$U" "$bin" g c /bin/touch /twin-ran
	fi
	assert_eq 125 "$status" "$1: exit 125"
	assert_eq "$prog: cannot run $TWIN: $2" "$err" "$1: one line naming the twin and why"
	assert_no_file "$TREE/twin-ran" "$1: the command did not run"
	assert_eq "$before_bind" "$(hook_count bind)" "$1: nothing was set up (no bind hook)"
}
mv "$TWIN" "$TWIN.away"
refused "twin missing" "$TWIN: No such file or directory"
refused "twin missing, login shell" "$TWIN: No such file or directory" containerize-shell
run "$CZU" g c /bin/true
assert_eq 0 "$status" "twin missing: root is not affected" || diag "stderr: $err"
cp -p "$TWIN.away" "$TWIN"
chmod 775 "$S/libexec"
refused "twin's directory group-writable" "$S/libexec: writable by group or others"
chmod 755 "$S/libexec"
chmod 757 "$TWIN"
refused "twin writable by others" "$TWIN: writable by group or others"
chmod 755 "$TWIN"
chown "$U" "$TWIN"
refused "twin owned by the user" "$TWIN: not owned by root"
chown root "$TWIN"
rm -f "$TWIN"
ln -s containerize-shell.away "$TWIN"
refused "twin a symlink (to a good copy)" "$TWIN: not a plain file or directory (symlinks are not followed)"
rm -f "$TWIN"
mv "$TWIN.away" "$TWIN"
run as_user "$U" "$CZU" g c /bin/true
assert_eq 0 "$status" "the twin restored: the user gets in again" || diag "stderr: $err"
assert_clean g c "$T/before"
done_testing
