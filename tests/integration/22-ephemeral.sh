#!/bin/bash
# Throwaway instances (--ephemeral BASE GROUP NAME), --hold and --error-exit:
#   - writes go to an upper layer: visible to joiners (plain `containerize GROUP NAME`), gone
#     after the teardown; the base is never written (checksummed before and after);
#   - hooks run with TREE = TREES/GROUP/NAME, and `bind` already sees the overlay there;
#   - two instances of one base at once are isolated;
#   - the base is refused while an instance lives (naming it), and usable again after; an
#     instance is refused while the base is live, and possible again after;
#   - --hold prints "ready GROUP/NAME INSTANCE_PID", ends on stdin EOF and on SIGTERM;
#   - every bad input: exit 125, one line, nothing left (no run-dir entry, directory, mount);
#   - a full upper (ephemeral-size, and a full ephemeral-dir) that makes the setup fail says so;
#   - ephemeral-dir: the upper layer in a directory of the instance's own there, removed with
#     all in it at teardown (a deep tree, symlinks, a fifo, a device node); its bad values;
#   - --error-exit=N changes containerize's own failures only.
. "$(dirname "$0")/../lib/tap.sh"

make_group g
make_container g base
log_hooks g
B="$CONTAINERIZE_TREES/g/base"
echo original >"$B/root/file"
mounts_snapshot >"$T/before"
base_sum() { # content, metadata and timestamps of every file of the base
	(cd "$B" && find . -printf '%p %y %m %u %g %s %T@ %l\n' | sort && find . -type f -print0 | sort -z | xargs -0 sha256sum)
}
base_sum >"$T/base.sum"
# nothing_left NAME DESC: no directory, no run-dir entry for NAME or the base, mounts as before
nothing_left() {
	local left
	left=$(ls -A "$CONTAINERIZE_TREES/g" | grep -vx -e .container -e base -e 'plain')
	assert_eq "" "$left" "$2: no directory left in the group"
	assert_no_file "$CONTAINERIZE_RUNDIR/g/$1" "$2: no run-dir entry for g/$1"
	assert_no_file "$CONTAINERIZE_RUNDIR/g/base" "$2: no run-dir entry for the base"
	assert_mounts_as "$T/before" "$2: host mount table as before"
	left=$(find "$(cg2)/$CGNAME" -mindepth 1 -maxdepth 1 -type d 2>/dev/null)
	assert_eq "" "$left" "$2: no instance cgroup left"
}
# hold NAME ARGS...: containerize --hold ARGS in the background, stdin from a fifo whose
# writer this shell keeps open on fd 8+ (and no other process: EOF must come when it closes
# it); HOLD_PID and HOLD_FD
_fd=8
_fds=()
hold() {
	local name=$1 f; shift
	mkfifo "$T/$name.in"
	(for f in "${_fds[@]}"; do eval "exec $f>&-"; done
	 exec env --default-signal "$CZ" --hold "$@" <"$T/$name.in" >"$T/$name.out" 2>"$T/$name.err") &
	HOLD_PID=$!
	_fds+=("$_fd")
	track_pid "$HOLD_PID"
	eval "exec $_fd>'$T/$name.in'"
	HOLD_FD=$_fd
	_fd=$((_fd + 1))
	wait_nonempty "$T/$name.out" 10
}

# 1. one command in a throwaway instance
run cz --ephemeral base g e1 sh -c 'echo changed >/root/file; echo new >/root/new; rm /etc/group
	cat /root/file /root/new; test -e /etc/group || echo gone'
assert_eq 0 "$status" "a command runs in a throwaway instance"
assert_eq "changed
new
gone" "$out" "inside, the instance's root takes writes and removals"
assert_eq "" "$(base_sum | diff "$T/base.sum" -)" "the base is untouched"
assert_eq "bind $CONTAINERIZE_TREES/g/e1 g e1" "$(grep '^bind ' "$HOOKLOG" | sed 's/ |.*//')" \
	"bind got TREE = TREES/GROUP/NAME"
assert_eq 1 "$(hook_count unbind)" "unbind ran at the teardown"
assert_eq 1 "$(grep -c "^stop $CONTAINERIZE_TREES/g/e1 " "$HOOKLOG")" "stop got the instance's TREE"
nothing_left e1 "after one command"

# 2. held instances: joiners, --list, isolation, refusals
write_hook g bind "echo \"bind \$* $HOOKENV\" >>'$HOOKLOG'
test -x \"\$1/bin/busybox\" && echo 'overlay seen by bind' >>'$HOOKLOG'"
: >"$HOOKLOG"
hold h1 --ephemeral base g e1
h1=$HOLD_PID h1fd=$HOLD_FD
assert_match "$(cat "$T/h1.out")" '^ready g/e1 [0-9]+$' "--hold prints 'ready GROUP/NAME INSTANCE_PID'"
assert_eq 1 "$(wc -l <"$T/h1.out")" "--hold prints exactly one line"
pid1=$(awk '{ print $3 }' "$T/h1.out")
assert_eq "$h1" "$pid1" "INSTANCE_PID is the holding (setup) session's pid"
assert_contains "$HOOKLOG" "overlay seen by bind" "the overlay is mounted before bind runs"
assert_eq "" "$(ls -A "$CONTAINERIZE_TREES/g/e1")" "on the host, the instance's directory is empty"

run cz g e1 sh -c 'echo from-joiner >/root/j; echo v2 >/root/file'
assert_eq 0 "$status" "a plain run joins the throwaway instance"
run cz g e1 cat /root/j /root/file
assert_eq "from-joiner
v2" "$out" "writes of one joiner are seen by the next"
run cz --ephemeral base g e1 cat /root/j
assert_eq "from-joiner" "$out" "--ephemeral with the same base joins the live instance"
run cz --list
assert_match "$out" "^g +e1 +1 +base +$pid1 " "--list: GROUP NAME SESSIONS BASE PID for the throwaway instance"
assert_match "$out" '^GROUP +CONTAINER +SESSIONS +BASE +PID' "--list header names the BASE column"

hold h2 --ephemeral base g e2
h2=$HOLD_PID h2fd=$HOLD_FD
run cz g e2 sh -c 'cat /root/file; test -e /root/j || echo no-j; echo e2 >/root/j2'
assert_eq "original
no-j" "$out" "a second instance of the base starts from the base, not from the first"
run cz g e1 sh -c 'test -e /root/j2 || echo isolated'
assert_eq "isolated" "$out" "the first instance does not see the second's writes"

run cz g base true
assert_eq 125 "$status" "the base is refused while instances of it live"
assert_error_line "$err" "the refusal is one line"
assert_contains "$err" "g/base is the base of 2 live throwaway instances" "the refusal says why"
assert_match "$err" '\((e1 e2|e2 e1)\)' "the refusal names the live instances"
run cz --ephemeral other g e1 true
assert_eq 125 "$status" "--ephemeral with another base on a live instance is refused"
make_container g plain
cz_bg p g plain sh -c 'touch /root/up; sleep 30' {h1fd}>&- {h2fd}>&-
p=$BG_PID
wait_file "$CONTAINERIZE_TREES/g/plain/root/up"
run cz --ephemeral base g plain true
assert_eq 125 "$status" "--ephemeral on a live plain container is refused"
assert_contains "$err" "g/plain is live and is not a throwaway instance" "and says so"
kill -TERM "$p"; wait_exit "$p"
rm -f "$CONTAINERIZE_TREES/g/plain/root/up"

# EOF ends one hold, SIGTERM the other
eval "exec $h1fd>&-"
wait_exit "$h1" 10
assert_eq 0 "$status" "--hold ends with exit 0 when stdin reaches end of file"
assert_no_file "$CONTAINERIZE_TREES/g/e1" "the instance's directory is gone after its teardown"
run cz g e1 true
assert_eq 125 "$status" "the ended instance cannot be joined"
run cz g base true
assert_eq 125 "$status" "the base is still refused while one instance lives"
assert_contains "$err" "(e2)" "the refusal names the one left"
kill -TERM "$h2"
wait_exit "$h2" 10
assert_eq 0 "$status" "--hold ends with exit 0 on SIGTERM"
eval "exec $h2fd>&-"
assert_eq "" "$(cat "$T/h1.err" "$T/h2.err")" "the holds printed no error"
assert_eq "3 3 3" "$(hook_count bind) $(hook_count stop) $(hook_count unbind)" "one setup and one teardown each (e1, e2, plain)"
assert_eq "" "$(base_sum | diff "$T/base.sum" -)" "the base is still untouched"
nothing_left e2 "after the holds"
run cz g base sh -c 'echo base-ok'
assert_eq "0 base-ok" "$status $out" "the base can be entered again once its instances ended"

# a SIGHUP ends a hold too; a hold of a plain container
hold h3 g plain
h3=$HOLD_PID
assert_match "$(cat "$T/h3.out")" '^ready g/plain [0-9]+$' "--hold works for a plain container"
kill -HUP "$h3"
wait_exit "$h3" 10
assert_eq 0 "$status" "--hold ends with exit 0 on SIGHUP"
eval "exec $HOLD_FD>&-"

# 3. the base live: no instance; possible again after
cz_bg b g base sh -c 'touch /root/up; sleep 30'
b=$BG_PID
wait_file "$B/root/up"
run cz --ephemeral base g e3 true
assert_eq 125 "$status" "an instance cannot start while the base is live"
assert_error_line "$err" "that refusal is one line"
assert_contains "$err" "g/base is in use (instance $b, 1 session)" "it names the base's instance"
assert_no_file "$CONTAINERIZE_TREES/g/e3" "the refused instance left no directory"
kill -TERM "$b"; wait_exit "$b"
rm -f "$B/root/up"
base_sum >"$T/base.sum"
run cz --ephemeral base g e3 sh -c 'echo ok'
assert_eq "0 ok" "$status $out" "an instance starts once the base ended"
nothing_left e3 "after the base was live"

# 4. bad input: exit 125, one line, nothing left
bad() { # bad DESC NEEDLE ARGS...
	local desc=$1 needle=$2; shift 2
	run cz "$@"
	assert_eq 125 "$status" "$desc: exit 125"
	assert_error_line "$err" "$desc: one error line"
	assert_contains "$err" "$needle" "$desc: the message says why"
}
bad "missing base" "no base tree 'nosuch' in group 'g'" --ephemeral nosuch g e4 true
nothing_left e4 "missing base"
bad "NAME equal to BASE" "needs a name other than its base's ('base')" --ephemeral base g base true
bad "bad base name" "invalid base name '../x'" --ephemeral ../x g e4 true
bad "bad instance name" "invalid container name '.e'" --ephemeral base g .e true
bad "bad group name" "invalid group name 'a/b'" --ephemeral base a/b e4 true
bad "no BASE" "--ephemeral needs an argument" --ephemeral
bad "--hold with a command" "--hold runs no COMMAND" --hold g base true
bad "--ephemeral with --list" "--hold and --ephemeral go with GROUP and CONTAINER only" --ephemeral base --list
ln -s base "$CONTAINERIZE_TREES/g/link"
bad "a symlinked base" "not a directory (symlinks are refused)" --ephemeral link g e4 true
rm "$CONTAINERIZE_TREES/g/link"
bad "NAME is an existing tree" "g/plain exists: a throwaway instance needs a name that is not a tree" \
	--ephemeral base g plain true
assert_file_exists "$CONTAINERIZE_TREES/g/plain/bin/busybox" "the existing tree is untouched"
nothing_left plain "NAME an existing tree"
set_conf g propagation shared
bad "shared propagation" "a throwaway instance cannot have shared propagation" --ephemeral base g e4 true
rm "$CONTAINERIZE_TREES/g/.container/propagation"
set_conf g ephemeral-size 12q
bad "a bad ephemeral-size" "ephemeral-size: invalid size '12q'" --ephemeral base g e4 true
rm "$CONTAINERIZE_TREES/g/.container/ephemeral-size"
nothing_left e4 "bad input"

# an empty directory left by a crash (or a reboot) is taken over and removed
mkdir "$CONTAINERIZE_TREES/g/e5"
run cz --ephemeral base g e5 sh -c 'echo in-e5'
assert_eq "0 in-e5" "$status $out" "an empty directory of the instance's name is taken over"
nothing_left e5 "after taking over an empty directory"

# 5. a full upper: the setup that fills it fails and says so; a command gets ENOSPC
set_conf g ephemeral-size 1m
write_hook g profile 'dd if=/dev/zero of=/root/big bs=64k count=64 2>/dev/null'
bad "a full upper during the setup" "the upper layer of the throwaway instance is full" --ephemeral base g e6 true
nothing_left e6 "after a full upper"
rm "$CONTAINERIZE_TREES/g/.container/profile"
run cz --ephemeral base g e6 sh -c 'dd if=/dev/zero of=/root/big bs=64k count=64 2>&1; echo dd=$?'
assert_contains "$out" "No space left on device" "a command that fills the upper gets ENOSPC"
assert_eq 0 "$status" "and the instance still ends normally"
nothing_left e6 "after a command filled the upper"
rm "$CONTAINERIZE_TREES/g/.container/ephemeral-size"
assert_eq "" "$(base_sum | diff "$T/base.sum" -)" "the base is untouched after all that"

# 6. --error-exit=N: containerize's own failures only
run cz --error-exit=255 g nosuch true
assert_eq 255 "$status" "--error-exit=255: a missing container exits 255"
run cz --error-exit 254 --ephemeral nosuch g e7 true
assert_eq 254 "$status" "--error-exit 254: a missing base exits 254"
run cz --error-exit=254 --ephemeral base g e7 sh -c 'exit 125'
assert_eq 125 "$status" "--error-exit leaves the command's own 125 alone"
run cz --error-exit=254 g base sh -c 'exit 3'
assert_eq 3 "$status" "--error-exit leaves the command's status alone"
run cz --error-exit=254 g base /no/such/command
assert_eq 127 "$status" "a command not found stays 127 (the command's failure)"
run cz --error-exit=254 g base /etc/passwd
assert_eq 126 "$status" "a command not executable stays 126"
run cz --error-exit=254 --hold --ephemeral nosuch g e7
assert_eq 254 "$status" "--hold's failure exits N too"
run cz --error-exit=254 --bogus g base true
assert_eq 254 "$status" "a bad option after --error-exit exits N"
for v in 0 256 -1 x ''; do
	run cz "--error-exit=$v" g base true
	assert_eq 125 "$status" "--error-exit='$v' is refused with 125"
done
assert_error_line "$err" "the refusal of a bad --error-exit is one line"
nothing_left e7 "after --error-exit"
# 7. ephemeral-dir: the upper layer in a directory of the instance's own on the host, removed
# with everything in it at teardown; bad values refused with one line, nothing left
U=$T/upper
mkdir -m 755 "$U"
set_conf g ephemeral-dir "$U"
hold h4 --ephemeral base g d1
h4=$HOLD_PID
run cz g d1 sh -c 'dd if=/dev/zero of=/root/big bs=1M count=8 2>/dev/null; echo v3 >/root/file; cat /root/file'
assert_eq "0 v3" "$status $out" "ephemeral-dir: a throwaway instance takes writes"
assert_eq "g.d1.$h4" "$(ls -A "$U")" "its upper layer is a directory GROUP.NAME.INSTANCE_PID in ephemeral-dir"
assert_eq 8388608 "$(stat -c %s "$U/g.d1.$h4/upper/root/big" 2>&1)" "the instance's writes are in it, on disk"
run cz g d1 sh -c 'd=/root/deep; mkdir -p $d; for i in $(seq 40); do d=$d/d$i; done; mkdir -p $d
	ln -s /etc/passwd /root/deep/link; ln -s / /root/deep/d1/root; mkfifo /root/deep/fifo
	mknod /root/deep/null c 1 3 && ls $d >/dev/null && echo nested'
assert_eq "0 nested" "$status $out" "a deep tree, symlinks out of it, a fifo and a device node in the upper"
# what the instance's root could do through the overlay (chattr is not in the busybox tree:
# done from the host, on the upper layer, to the same effect)
d1up=$U/g.d1.$h4/upper/root
if chattr +i "$d1up/file" 2>/dev/null; then
	on_cleanup "chattr -R -i -a '$U' 2>/dev/null"
	chattr +a "$d1up/deep" && chattr +i "$d1up/deep/d1" && chattr +i "$d1up/.."
	flags=1
else
	skip "immutable and append-only files in the upper layer" "chattr does not work on $U"
	flags=
fi
run cz --ephemeral base g d2 sh -c 'cat /root/file; test -e /root/big || echo no-big'
assert_eq "original
no-big" "$out" "a second instance with ephemeral-dir starts from the base"
eval "exec $HOLD_FD>&-"
wait_exit "$h4" 10
assert_eq 0 "$status" "the held instance ends"
assert_eq "" "$(ls -A "$U")" "ephemeral-dir: nothing of either instance is left in it after the teardown"
[ -n "$flags" ] && assert_eq "" "$err$(cat "$T/h4.err")" "... immutable and append-only ones too, without a word"
assert_file_exists /etc/passwd "what the upper's symlinks pointed to is untouched"
assert_eq "" "$(base_sum | diff "$T/base.sum" -)" "the base is untouched with ephemeral-dir"
nothing_left d1 "after ephemeral-dir"

chmod 775 "$U"
run cz --ephemeral base g d3 sh -c 'echo ok'
assert_eq "0 ok" "$status $out" "root may use an ephemeral-dir writable by its group..."
assert_contains "$err" "ephemeral-dir $U is writable by group or others" "... with a warning"
chmod 755 "$U"
set_conf g ephemeral-size 1g
bad "ephemeral-size and ephemeral-dir" "ephemeral-size (a tmpfs) and ephemeral-dir (a directory) exclude each other" \
	--ephemeral base g d4 true
rm "$CONTAINERIZE_TREES/g/.container/ephemeral-size"
bad_dir() { # bad_dir VALUE DESC NEEDLE: ephemeral-dir VALUE is refused
	set_conf g ephemeral-dir "$1"
	bad "$2" "$3" --ephemeral base g d4 true
}
bad_dir upper "a relative ephemeral-dir" "ephemeral-dir: invalid directory 'upper'"
bad_dir "$T/../x" "an ephemeral-dir with .." "ephemeral-dir: invalid directory '$T/../x'"
bad_dir "$T/nosuch" "a missing ephemeral-dir" "ephemeral-dir $T/nosuch: No such file or directory"
ln -s "$U" "$T/upper-link"
bad_dir "$T/upper-link" "a symlinked ephemeral-dir" "a symbolic link on the path (refused)"
bad_dir "$T/upper-link/sub" "a symlink on ephemeral-dir's path" "a symbolic link on the path (refused)"
bad_dir "$B/root/file" "an ephemeral-dir that is a file" "Not a directory"
# on an overlay, which overlayfs does not take as an upper layer
mkdir -p "$T/ovl/l" "$T/ovl/u" "$T/ovl/w" "$T/ovl/m"
if mount -t overlay overlay -o "lowerdir=$T/ovl/l,upperdir=$T/ovl/u,workdir=$T/ovl/w" "$T/ovl/m" 2>/dev/null; then
	on_cleanup "umount -l '$T/ovl/m' 2>/dev/null"
	mounts_snapshot >"$T/before.ovl"
	mkdir -m 755 "$T/ovl/m/up"
	bad_dir "$T/ovl/m/up" "an ephemeral-dir on an overlay" "(its upper layer in $T/ovl/m/up, ephemeral-dir)"
	assert_eq "" "$(ls -A "$T/ovl/m/up")" "... and nothing is left in it"
	assert_mounts_as "$T/before.ovl" "... nor mounted"
	umount "$T/ovl/m"
else
	skip "an ephemeral-dir on an overlay" "cannot mount an overlay here"
fi
# a full ephemeral-dir (here a 1 MiB file system of its own): the setup that fills it fails and
# says so, a command gets ENOSPC, and the instance's directory goes either way
mkdir -m 755 "$T/small"
if mount -t tmpfs -o size=1m,mode=755 czsmall "$T/small"; then
	on_cleanup "umount -l '$T/small' 2>/dev/null"
	mounts_snapshot >"$T/before.small"
	set_conf g ephemeral-dir "$T/small"
	write_hook g profile 'dd if=/dev/zero of=/root/big bs=64k count=64 2>/dev/null'
	bad "a full ephemeral-dir during the setup" \
		"the upper layer of the throwaway instance is full: see ephemeral-dir" --ephemeral base g d5 true
	assert_eq "" "$(ls -A "$T/small")" "... nothing is left in that ephemeral-dir"
	rm "$CONTAINERIZE_TREES/g/.container/profile"
	run cz --ephemeral base g d5 sh -c 'dd if=/dev/zero of=/root/big bs=64k count=64 2>&1; echo dd=$?'
	assert_contains "$out" "No space left on device" "a command that fills ephemeral-dir gets ENOSPC"
	assert_eq 0 "$status" "... and the instance still ends normally"
	assert_eq "" "$(ls -A "$T/small")" "... and its directory is removed"
	assert_mounts_as "$T/before.small" "a full ephemeral-dir: host mount table as before"
	umount "$T/small"
else
	skip "a full ephemeral-dir" "cannot mount a tmpfs here"
fi
set_conf g ephemeral-dir "$U"
run cz --ephemeral base g d4 sh -c 'echo again'
assert_eq "0 again" "$status $out" "after the bad values, a good ephemeral-dir works again"
rm "$CONTAINERIZE_TREES/g/.container/ephemeral-dir"
assert_eq "" "$(ls -A "$U")" "nothing is left in ephemeral-dir after the bad values"
nothing_left d4 "after ephemeral-dir's bad values"

done_testing
