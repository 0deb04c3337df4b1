#!/bin/bash
# Odds and ends: argv and stdin pass through untouched, multi-line unshare-options, a
# SIGKILL in the middle of the setup, leftovers in a pid namespace, non-root callers.
. "$(dirname "$0")/../lib/tap.sh"

setup_std
mounts_snapshot >"$T/before"

run cz g c printf '%s|' 'a b' '' 'c*' '$HOME' $'x\ny'
assert_eq $'a b||c*|$HOME|x\ny|' "$out" "arguments reach the command unchanged (spaces, empty, globs, \$, newline)"

out=$(printf 'line1\nline2\n' | cz g c cat)
assert_eq $'line1\nline2' "$out" "stdin reaches the command"

set_conf g unshare-options $'--uts\n--pid\n'
run cz g c sh -c 'hostname cztest-ml; echo $$'
assert_eq 0 "$status" "unshare-options spread over several lines works"
if [ -n "$out" ] && [ "$out" -lt 20 ] 2>/dev/null; then pass "multi-line unshare-options: --pid on the second line took effect"
else fail "multi-line unshare-options: --pid on the second line took effect" "pid $out" "$err"; fi
assert_ne "cztest-ml" "$(hostname)" "multi-line unshare-options: --uts took effect"

# leftovers inside a pid namespace are killed too
run cz g c sh -c 'sleep 1000 & exit 0'
assert_eq 0 "$status" "--pid: a command leaving a background process exits 0"
assert_clean g c "$T/before"
rm "$CONTAINERIZE_TREES/g/.container/unshare-options"

# SIGKILL of the setup session while its bind hook runs
: >"$HOOKLOG"
write_hook g bind "
echo \"bind \$* $HOOKENV\" >>'$HOOKLOG'
touch '$T/bind-started'
i=0; while [ ! -e '$T/bind-go' ] && [ \$i -lt 200 ]; do sleep 0.05; i=\$((i + 1)); done"
cz_bg k g c touch /root/killed-marker
k=$BG_PID
if wait_file "$T/bind-started" 10; then
	kill -KILL "$k"; wait_exit "$k"
	touch "$T/bind-go"
	sleep 0.3
	run cz g c echo after-kill-in-bind
	assert_eq "0 after-kill-in-bind" "$status $out" "a run after SIGKILL during the bind hook works"
	assert_no_file "$TREE/root/killed-marker" "the killed setup's command never ran"
	rm -f "$T/bind-go" "$T/bind-started"
else
	fail "bind hook started" "$(cat "$T/k.err")"
fi
log_hooks g
assert_no_file "$CONTAINERIZE_RUNDIR/g/c" "no run-dir entry left after the killed setup and the next run"
assert_mounts_as "$T/before" "host mount table as before"

# a group whose .container is writable by others: refused, or at least warned about
chmod 777 "$CONTAINERIZE_TREES/g/.container"
run cz g c true
assert_contains "$err" ".container" "a world-writable .container is refused or warned about, naming it"
chmod 755 "$CONTAINERIZE_TREES/g/.container"

# a non-root caller without a setuid install is refused and nothing happens
: >"$HOOKLOG"
chmod 755 "$T"
run setpriv --reuid=65534 --regid=65534 --clear-groups "$CZ" g c touch /root/nonroot-marker
assert_eq 125 "$status" "a non-root caller (not setuid) is refused with 125"
assert_match "$err" '^containerize: ' "the refusal says why"
assert_no_file "$TREE/root/nonroot-marker" "a non-root caller's command did not run"
assert_eq 0 "$(hook_count bind)" "no hook ran for a non-root caller"

assert_clean g c "$T/before"
done_testing
