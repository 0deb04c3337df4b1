#!/bin/bash
# One program: `make` builds shell/containerize-shell alone, linked dynamically with glibc (users
# and groups through NSS, as for every setuid tool; libmount is loaded only when a mount table
# must be read, so it is not among the libraries the program needs at start). Installed by hand
# as a new user would do it, `install -m 4755` of that one file and nothing else, it lets a
# mapped user in: as their login shell through `su -` and `runuser -l`, with `-c COMMAND`, and
# through a `containerize` symlink; a group with shared propagation (the mount table read with
# libmount, in a setuid process) works for the user too. No hand-off to any other program.
. "$(dirname "$0")/../lib/tap.sh"
. "$TAP_LIB/setuid-build.sh"
. "$TAP_LIB/users.sh"

setuid_area
mkdir -p "$S/src" "$S/bin" "$S/etc" "$S/trees" "$S/home" || bail "mkdir in $S"
for x in Makefile common shell pam_containerize; do cp -a "$REPO/$x" "$S/src/"; done
make -C "$S/src" clean >/dev/null 2>&1
make -C "$S/src" -j"$(nproc)" TREES="$S/trees" RUNDIR="$S/run" SYSCONFDIR="$S/etc" shell/containerize-shell \
	>"$S/build.log" 2>&1 || bail "make shell/containerize-shell" "$(tail -n 30 "$S/build.log")"
BIN="$S/bin/containerize-shell"
# --- the install: one file
install -m 4755 -o root -g root "$S/src/shell/containerize-shell" "$BIN" || bail "install -m 4755"
assert_eq "containerize-shell" "$(ls "$S/bin")" "one file installed"
: >"$S/etc/containerize.conf"
chmod 644 "$S/etc/containerize.conf"
chmod 755 "$S" "$S/bin" "$S/etc" "$S/trees"
export CONTAINERIZE_TREES="$S/trees" CONTAINERIZE_RUNDIR="$S/run" CONTAINERIZE_CONF="$S/etc/containerize.conf"
CZMAP=$CONTAINERIZE_CONF
# root's own calls (fixture, cleanup) through a name outside the install
ln -s "$BIN" "$T/containerize"
CZ="$T/containerize"

check "the program is dynamically linked (it has a program interpreter)" \
	sh -c "readelf -l '$BIN' | grep -q 'Requesting program interpreter'"
# (a sanitizer build, make check SANITIZE=1, also needs its runtimes)
needed=$(readelf -d "$BIN" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | grep -v '^lib\(a\|ub\)san\.' | xargs)
assert_eq "libc.so.6" "$needed" "it needs glibc only (libmount is loaded on first use)"
assert_eq "" "$(grep -rl 'libexec\|twin' "$S/src/shell" "$S/src/common" 2>/dev/null)" "no hand-off to a second program in the sources"

setup_std
printf '/bin/sh\n' >"$CONTAINERIZE_TREES/g/.container/shell"
chmod 644 "$CONTAINERIZE_TREES/g/.container/shell"
USER_TREES=("$TREE")
echo inside-tree >"$TREE/cz-marker"
make_user one "$BIN" || bail "make_user"
U=$NEW_USER UID_=$NEW_UID
add_shell "$BIN"
set_map "$U g c"
mounts_snapshot >"$T/before"

# --- a mapped user logs in
run timeout -k 5 30 su - "$U" -c 'cat /cz-marker; id -u'
assert_eq 0 "$status" "su - user -c CMD exits 0" || diag "stderr: $err"
assert_eq "inside-tree
$UID_" "$out" "su - user: the command ran in the container, as the user"
assert_eq 1 "$(hook_count bind)" "su - user: one setup"
wait_torn_down 1 || fail "torn down after su" "unbind count $(hook_count unbind)"
run timeout -k 5 30 runuser -l "$U" -c 'cat /cz-marker; id -u'
assert_eq 0 "$status" "runuser -l user -c CMD exits 0" || diag "stderr: $err"
assert_eq "inside-tree
$UID_" "$out" "runuser -l user: the command ran in the container, as the user"
# an interactive login shell reading its commands from stdin
run sh -c "printf 'cat /cz-marker\nexit 3\n' | timeout -k 5 30 su - '$U'"
assert_eq "3:inside-tree" "$status:$out" "su - user, commands on stdin: ran inside, exit status back" || diag "stderr: $err"
assert_clean g c "$T/before"

# --- the same program as `containerize`, through a symlink of the user's own
mkdir -p "$S/home/$U/bin"
ln -s "$BIN" "$S/home/$U/bin/containerize"
chown -h "$U" "$S/home/$U/bin" "$S/home/$U/bin/containerize"
run as_user "$U" "$S/home/$U/bin/containerize" g c /bin/sh -c 'cat /cz-marker; id -u'
assert_eq 0 "$status" "the user's containerize g c CMD exits 0" || diag "stderr: $err"
assert_eq "inside-tree
$UID_" "$out" "... ran inside, as the user"

# --- shared propagation: the mount table is read (libmount) in the setuid process
set_conf g propagation shared
binds=$(hook_count bind)
as_user "$U" "$S/home/$U/bin/containerize" g c /bin/sh -c 'sleep 3' >"$T/shared.out" 2>"$T/shared.err" &
upid=$!
track_pid "$upid"
for _ in $(seq 100); do
	[ "$(hook_count bind)" -gt "$binds" ] && cz --list | grep -q '^g  *c ' && break
	sleep 0.05
done
run cz g c mount -t tmpfs czshared /mnt
assert_eq 0 "$status" "root joins the user's container and mounts a tmpfs on /mnt" || diag "stderr: $err"
check "shared: the mount made inside appears on the host under the tree" mounted_at "$TREE/mnt"
wait "$upid"
assert_eq 0 "$?" "a mapped user's session of a group with shared propagation exits 0" || diag "stderr: $(cat "$T/shared.err")"
assert_eq "" "$(cat "$T/shared.err")" "... with nothing on stderr"
wait_torn_down 5 || fail "torn down after the shared session" "unbind count $(hook_count unbind)"
assert_clean g c "$T/before"
done_testing
