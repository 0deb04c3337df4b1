#!/bin/bash
# A failing bind or profile hook aborts the setup: the command does not run, exit 125, the
# error names the hook and its status, nothing stays mounted, no run-dir entry; unbind undoes
# bind (stop does not run); once the hook is fixed the next run works.
. "$(dirname "$0")/../lib/tap.sh"

setup_std
mounts_snapshot >"$T/before"
good_bind=$(cat "$CONTAINERIZE_TREES/g/.container/bind")

# bind mounts something, then fails with 3
write_hook g bind "
mount -t tmpfs cztest-failbind \"\$1/mnt\"
echo \"bind \$*\" >>'$HOOKLOG'
exit 3"
run cz g c touch /root/marker
assert_eq 125 "$status" "failing bind: exit 125"
assert_contains "$err" "bind" "failing bind: the error names the bind hook"
assert_contains "$err" "3" "failing bind: the error gives its exit status 3"
assert_match "$err" '^containerize: ' "failing bind: the error starts 'containerize: '"
assert_no_file "$TREE/root/marker" "failing bind: the command did not run"
assert_eq "1 0 1" "$(hook_count bind) $(hook_count stop) $(hook_count unbind)" \
	"failing bind: unbind ran to undo it, stop did not"
assert_no_file "$TREE/root/profile.log" "failing bind: profile did not run"
assert_clean g c "$T/before"
assert_eq "" "$(mounts_under "$TREE")" "failing bind: nothing mounted under the tree on the host"

printf '%s\n' "$good_bind" >"$CONTAINERIZE_TREES/g/.container/bind"
run cz g c touch /root/marker
assert_eq 0 "$status" "after fixing bind the next run works"
assert_file_exists "$TREE/root/marker" "after fixing bind the command runs"
rm -f "$TREE/root/marker"
assert_clean g c "$T/before"

# profile fails with 4
: >"$HOOKLOG"
write_hook g profile 'echo profile-ran >>/root/profile.log; exit 4'
run cz g c touch /root/marker
assert_eq 125 "$status" "failing profile: exit 125"
assert_contains "$err" "profile" "failing profile: the error names the profile hook"
assert_contains "$err" "4" "failing profile: the error gives its exit status 4"
assert_file_exists "$TREE/root/profile.log" "failing profile: profile did run"
assert_no_file "$TREE/root/marker" "failing profile: the command did not run"
assert_eq "1 0 1" "$(hook_count bind) $(hook_count stop) $(hook_count unbind)" \
	"failing profile: unbind ran after bind, stop did not"
assert_clean g c "$T/before"

write_hook g profile 'exit 0'
assert_status 0 cz g c touch /root/marker
assert_file_exists "$TREE/root/marker" "after fixing profile the command runs"

# no profile hook at all is fine
rm "$CONTAINERIZE_TREES/g/.container/profile"
assert_status 0 cz g c true

# a failing bind while another session is live cannot happen (joiners run no hook), but a
# failure on the first session must not block later sessions:
write_hook g bind 'exit 3'
run cz g c true
assert_eq 125 "$status" "bind failing again: 125"
printf '%s\n' "$good_bind" >"$CONTAINERIZE_TREES/g/.container/bind"
run cz g c echo again
assert_eq "again" "$out" "and the next run after that works"

assert_clean g c "$T/before"
done_testing
