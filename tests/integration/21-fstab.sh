#!/bin/bash
# timeout: 480
# The group's fstab (.container/fstab): binds (rw, ro, rbind), a tmpfs made with x-mount.mkdir,
# an entry below /dev, targets that try to leave the tree (a symlink to a host directory, ../),
# failures (malformed line, unknown option, unknown type, missing source: 125 naming the file
# and line, the command never runs, nothing left mounted, unbind balances bind), and a mapped
# user's setuid run (and its refusal of an fstab writable by others).
. "$(dirname "$0")/../lib/tap.sh"

setup_std
FSTAB="$CONTAINERIZE_TREES/g/.container/fstab"
mkdir -p "$TREE/mnt/ro" "$T/src-rw" "$T/src-ro" "$T/src-r/sub" "$T/hostdir" "$T/hostdir2"
echo rw-file >"$T/src-rw/file"
echo ro-file >"$T/src-ro/file"
echo host-only >"$T/hostdir/host-file"
# a host mount below the rbind's source: the rbind takes it along, read-only too
mount -t tmpfs -o size=1m cztest-sub "$T/src-r/sub" || bail "tmpfs on $T/src-r/sub"
echo sub-file >"$T/src-r/sub/file"
on_cleanup "umount -l '$T/src-r/sub' 2>/dev/null"
# a read-only host mount: rw on its bind does not make it writable (as with mount(8))
mkdir -p "$T/src-romount"
mount -t tmpfs -o ro,size=1m cztest-ro "$T/src-romount" || bail "read-only tmpfs on $T/src-romount"
on_cleanup "umount -l '$T/src-romount' 2>/dev/null"
mounts_snapshot >"$T/before"

set_fstab() { printf '%b' "$1" >"$FSTAB"; chmod 644 "$FSTAB"; }

# ---------------------------------------------------------------- the mounts
set_fstab "# binds from the host, as schroot's profiles have them
$T/src-rw /mnt/rw none bind,x-mount.mkdir 0 0

$T/src-ro\t/mnt/ro\tnone\tbind,ro\t0\t0
  $T/src-r /mnt/r none rbind,ro,x-mount.mkdir
tmpfs /srv/new\\\\040dir/t tmpfs size=1m,mode=0700,x-mount.mkdir=0711,comment=ignored,x-other.option
tmpfs /dev/shm tmpfs nosuid,nodev,size=2m
tmpfs /tmp/below-tmp tmpfs x-mount.mkdir
$T/src-romount /mnt/romount none bind,rw,suid,x-mount.mkdir
"
cp "$FSTAB" "$T/fstab.main"
run cz g c sh -c '
	cat /mnt/rw/file /mnt/ro/file /mnt/r/sub/file
	echo from-inside >/mnt/rw/new && echo rw-write-ok
	echo x >/mnt/ro/new 2>/dev/null || echo ro-write-fails
	echo x >/mnt/r/new 2>/dev/null || echo rbind-write-fails
	echo x >/mnt/r/sub/new 2>/dev/null || echo rbind-submount-write-fails
	grep " /srv/new\\\\040dir/t " /proc/self/mountinfo | grep -q " - tmpfs .*size=1024k,mode=700" && echo tmpfs-made
	ls -ld "/srv/new dir" | cut -c1-10
	grep " /dev/shm " /proc/self/mountinfo | tail -n 1 | grep -q "nosuid,nodev.* - tmpfs .*size=2048k" && echo shm-ours
	grep -q " /tmp/below-tmp " /proc/self/mountinfo && echo below-tmp
	echo x >/mnt/romount/new 2>/dev/null || echo ro-source-stays-ro'
assert_eq 0 "$status" "a group with an fstab runs" || diag "$err"
assert_eq "rw-file
ro-file
sub-file
rw-write-ok
ro-write-fails
rbind-write-fails
rbind-submount-write-fails
tmpfs-made
drwx--x--x
shm-ours
below-tmp
ro-source-stays-ro" "$out" "binds rw and ro (a write to ro fails), rbind read-only with its submount, tmpfs with x-mount.mkdir=MODE (escaped space), an entry below /dev and one below /tmp, rw does not loosen a read-only source"
assert_eq from-inside "$(cat "$T/src-rw/new" 2>/dev/null)" "a write through the rw bind reaches the host directory"
assert_no_file "$T/src-ro/new" "nothing written through the ro bind"
assert_eq "1 1" "$(hook_count bind) $(hook_count unbind)" "bind and unbind ran once each"
assert_clean g c "$T/before"

# libmount is loaded (dlopen, seen by the loader's LD_DEBUG) to parse an fstab, and only then:
# a group without one, and a joiner, never load it.
run env LD_DEBUG=files "$CZ" g c true
assert_match "$err" 'file=libmount\.so\.1 .*dynamically loaded' "the setup of a group with an fstab loads libmount"
rm "$FSTAB"
run env LD_DEBUG=files "$CZ" g c true
assert_eq "0 0" "$status $(grep -c 'file=libmount' "$T/run.err")" "a group without an fstab never loads libmount"
cp "$T/fstab.main" "$FSTAB"

# The parts of the setup around the fstab: after /proc /sys /dev /tmp, before profile.
write_hook g profile 'grep -q " /mnt/rw " /proc/self/mountinfo && echo fstab-before-profile >/root/profile.log'
run cz g c cat /root/profile.log
assert_eq "fstab-before-profile" "$out" "profile sees the fstab's mounts"
log_hooks g

# A joiner mounts nothing more.
cz_bg first g c sh -c 'touch /root/up; while [ ! -e /root/go ]; do sleep 0.05; done'
first=$BG_PID
wait_file "$TREE/root/up" || fail "first session up" "$(cat "$T/first.err")"
run cz g c sh -c 'grep -c " /mnt/rw " /proc/self/mountinfo'
assert_eq 1 "$out" "a joiner adds no second copy of an entry"
run env LD_DEBUG=files "$CZ" g c true
assert_eq "0 0" "$status $(grep -c 'file=libmount' "$T/run.err")" "a joiner never loads libmount"
touch "$TREE/root/go"
wait_exit "$first"
assert_eq 0 "$status" "the first session ends"
rm -f "$TREE/root/up" "$TREE/root/go"
assert_clean g c "$T/before"

# ---------------------------------------------------------------- targets stay in the tree
# An absolute symlink to a host directory resolves inside the tree (TREE/$T/hostdir), and a
# target full of ../ stops at the tree's root.
mkdir -p "$TREE$T/hostdir"
ln -sfn "$T/hostdir" "$TREE/mnt/hostlink"
set_fstab "tmpfs /mnt/hostlink tmpfs size=1m
tmpfs ../../../../../../..$T/hostdir2 tmpfs size=1m,x-mount.mkdir"
run cz g c sh -c "echo in >/mnt/hostlink/written && echo in >'$T/hostdir2/written' &&
	grep -c ' $T/hostdir ' /proc/self/mountinfo; grep -c ' $T/hostdir2 ' /proc/self/mountinfo"
assert_eq 0 "$status" "symlinked and ../ targets: the run works" || diag "$err"
assert_eq $'1\n1' "$out" "both mounts are inside the container, at the tree's own paths"
assert_no_file "$T/hostdir/written" "nothing written into the host directory the symlink names"
assert_no_file "$T/hostdir2/written" "nothing written into the host directory the ../ target names"
assert_eq "host-file host-only" "$(ls "$T/hostdir") $(cat "$T/hostdir/host-file")" "the host directory is untouched"
assert_file_exists "$TREE$T/hostdir2" "x-mount.mkdir made the ../ target inside the tree"
assert_clean g c "$T/before"
# Without the directory in the tree, the symlink's target is missing: an error, not the host.
rmdir "$TREE$T/hostdir"
set_fstab "tmpfs /mnt/hostlink tmpfs size=1m"
run cz g c touch /cz-ran
assert_eq 125 "$status" "a symlinked target whose destination is not in the tree: 125"
assert_contains "$err" "fstab:1: target /mnt/hostlink: No such file or directory" "... naming the target"
assert_no_file "$TREE/cz-ran" "... and the command did not run"
assert_clean g c "$T/before"

# ---------------------------------------------------------------- a throwaway instance
# With --ephemeral the entries go over the instance's overlay: what x-mount.mkdir makes lands
# in its throwaway upper layer, not in the base tree.
set_fstab "tmpfs /srv/eph/t tmpfs size=1m,x-mount.mkdir\n$T/src-ro /mnt/eph-ro none bind,ro,x-mount.mkdir\n"
run cz --ephemeral c g e1 sh -c 'cat /mnt/eph-ro/file; grep -c " /srv/eph/t " /proc/self/mountinfo'
assert_eq 0 "$status" "a throwaway instance of a group with an fstab runs" || diag "$err"
assert_eq $'ro-file\n1' "$out" "its fstab's bind and tmpfs are there"
assert_no_file "$TREE/srv/eph" "x-mount.mkdir left the base tree alone"
assert_no_file "$TREE/mnt/eph-ro" "... for the bind's target too"
assert_clean g e1 "$T/before"

# ---------------------------------------------------------------- failures
# fails NAME FSTAB LINE REASON BIND_RAN: 125, one line naming the file, line and reason, the
# command never ran, host mounts as before, unbind balanced bind (which ran iff BIND_RAN)
fails() {
	local name=$1 text=$2 line=$3 reason=$4 ran=$5 b0 u0
	b0=$(hook_count bind) u0=$(hook_count unbind)
	set_fstab "$text"
	run cz g c touch /cz-ran
	assert_eq 125 "$status" "$name: exit 125"
	assert_error_line "$err" "$name: one line on stderr"
	assert_contains "$err" "containerize: $FSTAB:$line: $reason" "$name: names the file, line $line and the reason"
	assert_no_file "$TREE/cz-ran" "$name: the command did not run"
	assert_eq "$((b0 + ran)) $((u0 + ran))" "$(hook_count bind) $(hook_count unbind)" \
		"$name: bind ran $ran time(s), unbind as often"
	assert_clean g c "$T/before"
}
fails "malformed line" "tmpfs /mnt tmpfs\n# comment\n\nthis-line-is /malformed\ntmpfs /srv tmpfs\n" 4 \
	"malformed line" 0
fails "malformed last line" "tmpfs /mnt tmpfs\ntmpfs /srv tmpfs defaults 0 x" 2 "malformed line" 0
fails "unknown option" "tmpfs /mnt tmpfs size=1m\n$T/src-rw /srv none bind,nofail\n" 2 \
	"unsupported option 'nofail'" 0
fails "refused fs option" "tmpfs /mnt tmpfs size=1m,bogus=1\n" 1 \
	"option 'bogus=1' refused: tmpfs: Unknown parameter 'bogus'" 1
fails "unknown type" "tmpfs /mnt tmpfs\n\n# below\ncztest /srv nosuchfstype defaults\n" 4 \
	"unknown file system type 'nosuchfstype'" 1
fails "missing source" "$T/src-rw /mnt/rw none bind\n$T/no-such-dir /srv none bind\n" 2 \
	"source $T/no-such-dir: No such file or directory" 1
fails "missing target" "tmpfs /no/such/dir tmpfs\n" 1 "target /no/such/dir: No such file or directory" 1
fails "target on the tree's root" "tmpfs /.. tmpfs\n" 1 "target /.. is the tree's root" 1
rm -rf "$TREE/mnt/rw" "$TREE/mnt/r" "$TREE/mnt/romount" "$TREE/srv/new dir" "$TREE/var"

# An fstab that is a symlink is refused like any group file.
ln -s /etc/fstab "$FSTAB.link" && rm -f "$FSTAB" && mv "$FSTAB.link" "$FSTAB"
run cz g c touch /cz-ran
assert_eq 125 "$status" "an fstab that is a symlink: 125"
assert_contains "$err" "$FSTAB: not a regular file" "... named"
rm -f "$FSTAB"

# ---------------------------------------------------------------- a mapped user, setuid
. "$TAP_LIB/setuid-build.sh"
. "$TAP_LIB/users.sh"
setuid_fixture busybox
: >"$HOOKLOG"
make_user fstab /bin/sh
U=$NEW_USER
set_map "$U g c"
mkdir -p "$S/src"
echo setuid-src >"$S/src/file"
printf '%s\n' "$S/src /mnt/src none bind,ro,x-mount.mkdir" "tmpfs /srv/t tmpfs size=1m,x-mount.mkdir" \
	>"$CONTAINERIZE_TREES/g/.container/fstab"
chmod 644 "$CONTAINERIZE_TREES/g/.container/fstab"
# (the run dir's private mount, made once, stays)
s_mounts() { mounts_under "$S" | grep -vx "$S/run"; }
s_mounts >"$T/s-before"
mounts_snapshot >"$T/before"
run as_user "$U" "$CZU" g c sh -c 'cat /mnt/src/file; touch /mnt/src/x 2>/dev/null || echo ro; grep -c " /srv/t " /proc/self/mountinfo; id -u'
assert_eq 0 "$status" "a mapped user's setuid run of a group with an fstab" || diag "$err"
assert_eq "setuid-src
ro
1
$NEW_UID" "$out" "the user sees the fstab's mounts (the ro bind read-only) and runs as themselves"
assert_eq "1 1" "$(hook_count bind) $(hook_count unbind)" "setuid: hooks balanced"
assert_eq "$(cat "$T/s-before")" "$(s_mounts)" "setuid: nothing left mounted under the build's area"
assert_mounts_as "$T/before" "setuid: host mount table as before"

chmod 666 "$CONTAINERIZE_TREES/g/.container/fstab"
run as_user "$U" "$CZU" g c touch /srv/cz-ran
assert_eq 125 "$status" "an fstab writable by others is refused under setuid"
assert_contains "$err" "refusing $CONTAINERIZE_TREES/g/.container/fstab: writable by group or others" "... and named"
assert_no_file "$TREE/srv/cz-ran" "... the command did not run"
assert_eq "1 1" "$(hook_count bind) $(hook_count unbind)" "... and no hook ran"
run cz g c true
assert_eq 0 "$status" "root (not setuid) is only warned about it"
assert_contains "$err" "fstab is writable by group or others" "... with a warning"
assert_eq "$(cat "$T/s-before")" "$(s_mounts)" "nothing left mounted under the build's area"
done_testing
