#!/bin/bash
# Basic use: options, running a command, what the command sees, default shell, clean host.
. "$(dirname "$0")/../lib/tap.sh"

setup_std
mounts_snapshot >"$T/before"

run cz --help
assert_eq 0 "$status" "--help exits 0"
assert_contains "$out$err" "GROUP" "--help shows the usage"
run cz -V
assert_eq 0 "$status" "-V exits 0"
assert_ne "" "$out" "-V prints a version"
run cz --version
assert_eq 0 "$status" "--version exits 0"

run cz --list
assert_eq 0 "$status" "--list exits 0 with nothing set up"
assert_match "$out" '^GROUP' "--list prints a header starting with GROUP"
assert_eq 1 "$(printf '%s\n' "$out" | grep -c .)" "--list shows no container when none is set up"

run cz --bogus-option g c true
assert_eq 125 "$status" "an unknown option is refused with 125"
assert_contains "$err" "--bogus-option" "the error names the unknown option"

for args in "" "g" "--stop g" "--list x"; do
	# shellcheck disable=SC2086 # split on purpose
	run cz $args
	assert_eq 125 "$status" "usage error '$args': 125"
	assert_error_line "$err" "usage error '$args': one line 'containerize: ...'"
done

run cz g c true
assert_eq 0 "$status" "'containerize g c true' exits 0"
assert_eq "" "$err" "a successful run prints nothing on stderr"

run cz g c echo hello world
assert_eq "hello world" "$out" "the command's output comes through"

run cz -- g c echo after-dashdash
assert_eq "after-dashdash" "$out" "'--' ends the options"

run cz g c sh -c 'id -u; pwd'
assert_eq $'0\n/' "$out" "the command runs as root with cwd /"

CZTEST_VAR='a b' run cz g c sh -c 'echo "$CZTEST_VAR"'
assert_eq "a b" "$out" "the command gets the caller's environment"

echo tree-marker >"$TREE/etc/marker"
run cz g c cat /etc/marker
assert_eq "tree-marker" "$out" "/ is the tree"

run cz g c sh -c 'test -r /proc/self/status && test -d /sys/kernel && test -c /dev/null && echo ok'
assert_eq "ok" "$out" "/proc, /sys and /dev are there"

run cz g c sh -c 'grep " /tmp " /proc/self/mountinfo'
assert_contains "$out" "tmpfs" "/tmp is a tmpfs"
run cz g c sh -c 'echo x >/tmp/left-behind; ls -A /tmp'
run cz g c ls -A /tmp
assert_eq "0:" "$status:$out" "/tmp is new and empty on every setup"
assert_no_file "$TREE/tmp/left-behind" "/tmp content does not land in the tree"

# default command: no bash in the tree, so /bin/sh
run bash -c 'echo "echo from-default-shell" | timeout 20 "$1" g c' _ "$CZ"
assert_eq 0 "$status" "no COMMAND: the default shell runs"
assert_eq "from-default-shell" "$out" "no COMMAND, no bash in the tree: /bin/sh reads stdin"

# the group's shell file
printf '#!/bin/sh\necho "myshell $#"\n' >"$TREE/bin/myshell"
chmod 755 "$TREE/bin/myshell"
set_conf g shell /bin/myshell
run cz g c
assert_eq "myshell 0" "$out" "the 'shell' file names the default command"
rm "$CONTAINERIZE_TREES/g/.container/shell"

assert_eq "$(hook_count bind)" "$(hook_count unbind)" "every setup had its teardown (bind and unbind counts match)"
assert_clean g c "$T/before"
done_testing
