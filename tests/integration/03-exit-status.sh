#!/bin/bash
# Exit status: COMMAND's; 128+N on signal N; 125 containerize failure; 126 not executable;
# 127 not found.
. "$(dirname "$0")/../lib/tap.sh"

setup_std
mounts_snapshot >"$T/before"

assert_status 0 cz g c true
assert_status 1 cz g c false
assert_status 7 cz g c sh -c 'exit 7'
assert_status 255 cz g c sh -c 'exit 255'
assert_status 143 cz g c sh -c 'kill -TERM $$'
assert_status 137 cz g c sh -c 'kill -KILL $$'
assert_status 138 cz g c sh -c 'kill -USR1 $$'

run cz g c /no/such/command
assert_eq 127 "$status" "a command path that does not exist: 127"
assert_contains "$err" "/no/such/command" "the error names the missing command"
assert_error_line "$err" "the error is one line starting 'containerize: '"

run cz g c no-such-command-anywhere
assert_eq 127 "$status" "a command not found in PATH: 127"
assert_contains "$err" "no-such-command-anywhere" "the error names the command not found"

# a command that exists on the host but not in the tree
run cz g c /usr/bin/gcc --version
assert_eq 127 "$status" "a host-only command is not found inside: 127"

printf 'echo hi\n' >"$TREE/root/noexec"
chmod 644 "$TREE/root/noexec"
run cz g c /root/noexec
assert_eq 126 "$status" "a file that is not executable: 126"
assert_contains "$err" "/root/noexec" "the error names the non-executable file"

run cz g c /root
assert_eq 126 "$status" "a directory as command: 126"

run cz nosuchgroup c true
assert_eq 125 "$status" "a bad group: 125"

assert_eq "$(hook_count bind)" "$(hook_count unbind)" "every setup was torn down (bind and unbind counts match)"
assert_clean g c "$T/before"
done_testing
