#!/bin/bash
# The command gets the caller's terminal as its controlling terminal, in the foreground;
# Ctrl-C reaches it once; an interactive shell inside has working job control.
. "$(dirname "$0")/../lib/tap.sh"

setup_std
mounts_snapshot >"$T/before"

# --- under script(1): a pty as the caller's terminal
cat >"$TREE/root/ttycheck" <<'EOF'
#!/bin/sh
tty
[ -t 0 ] && echo isatty
: >/dev/tty && echo has-ctty
awk '{ print ($5 == $8) ? "foreground" : "background" }' /proc/self/stat
EOF
chmod 755 "$TREE/root/ttycheck"
out=$(timeout -k 5 20 script -qec "tty; '$CZ' g c /root/ttycheck" /dev/null </dev/null | tr -d '\r')
host_tty=$(printf '%s\n' "$out" | sed -n 1p)
assert_match "$host_tty" '^/dev/pts/[0-9]+$' "control: script gives a pty"
assert_eq "$host_tty" "$(printf '%s\n' "$out" | sed -n 2p)" "the command's terminal is the caller's terminal"
assert_eq "isatty" "$(printf '%s\n' "$out" | sed -n 3p)" "the command's stdin is a terminal"
assert_eq "has-ctty" "$(printf '%s\n' "$out" | sed -n 4p)" "the command can open /dev/tty (it has a controlling terminal)"
assert_eq "foreground" "$(printf '%s\n' "$out" | sed -n 5p)" "the command is in the terminal's foreground process group"
assert_clean g c "$T/before"

# --- under tmux: an interactive bash as the caller, keys sent to it
TM=(tmux -L "cztest-${T##*.}" -f /dev/null)
test_cleanup() { "${TM[@]}" kill-server 2>/dev/null; }
# The caller's shell writes the last exit status to $T/rc before each prompt (an interactive
# bash abandons the rest of a command list after a Ctrl-C, so "cmd; echo $?" would not do).
"${TM[@]}" new-session -d -s t -x 160 -y 50 \
	"env HISTFILE=/dev/null PS1='host\$ ' PROMPT_COMMAND='echo rc=\$? >$T/rc.new; mv $T/rc.new $T/rc' bash --norc --noprofile -i"
send() { "${TM[@]}" send-keys -t t -l "$1" && "${TM[@]}" send-keys -t t Enter; }
pane() { "${TM[@]}" capture-pane -p -t t; }
wait_file "$T/rc" 10 || fail "control: the interactive bash in tmux started" "$(pane)"

# Ctrl-C ends a sleep in the container: 130
rm -f "$T/rc"
send "'$CZ' g c sh -c 'touch /root/up1; exec sleep 100'"
if wait_file "$TREE/root/up1" 10; then
	sleep 0.3
	"${TM[@]}" send-keys -t t C-c
	wait_file "$T/rc" 10
	assert_eq "rc=130" "$(cat "$T/rc" 2>/dev/null)" "Ctrl-C ends 'containerize g c sleep 100' with 130"
else
	fail "Ctrl-C test: the command started" "$(pane)"
fi
assert_clean g c "$T/before"

# Ctrl-C reaches the command once
rm -f "$T/rc"
send "'$CZ' g c sh -c 'trap \"echo int >>/root/ints\" INT; touch /root/up2; while [ ! -e /root/go2 ]; do sleep 0.1; done'"
if wait_file "$TREE/root/up2" 10; then
	sleep 0.3
	"${TM[@]}" send-keys -t t C-c
	sleep 0.8
	touch "$TREE/root/go2"
	wait_file "$T/rc" 10 || fail "the trapping command ended" "$(pane)"
	assert_eq "1" "$(grep -c int "$TREE/root/ints" 2>/dev/null)" "one Ctrl-C reaches the command exactly once"
else
	fail "Ctrl-C once test: the command started" "$(pane)"
fi
assert_clean g c "$T/before"

# Ctrl-Z suspends containerize with its command, the caller's shell gets its prompt back,
# fg resumes both, Ctrl-C then ends it
rm -f "$T/rc"
send "'$CZ' g c sh -c 'touch /root/up4; exec sleep 100'"
if wait_file "$TREE/root/up4" 10; then
	sleep 0.3
	"${TM[@]}" send-keys -t t C-z
	wait_file "$T/rc" 5
	assert_eq "rc=148" "$(cat "$T/rc" 2>/dev/null)" "Ctrl-Z stops containerize: the caller's shell is back (status 148)"
	rm -f "$T/rc"
	send "fg"
	sleep 0.5
	"${TM[@]}" send-keys -t t C-c
	wait_file "$T/rc" 10
	assert_eq "rc=130" "$(cat "$T/rc" 2>/dev/null)" "fg resumes it, Ctrl-C then ends it with 130"
	if [ ! -e "$T/rc" ]; then "${TM[@]}" send-keys -t t C-c; sleep 0.3; "${TM[@]}" send-keys -t t C-c; wait_file "$T/rc" 5; fi
else
	fail "Ctrl-Z test: the command started" "$(pane)"
fi
assert_clean g c "$T/before"

# an interactive shell inside: job control
rm -f "$T/rc"
send "'$CZ' g c /bin/sh -i"
send "touch /root/shell-up"
if wait_file "$TREE/root/shell-up" 10; then
	send "sleep 100 &"
	send "jobs >/root/jobs.out"
	wait_nonempty "$TREE/root/jobs.out" 5
	sleep 0.2
	assert_contains "$(cat "$TREE/root/jobs.out")" "sleep 100" "job control: 'jobs' lists the background sleep"
	send "fg"
	sleep 0.5
	"${TM[@]}" send-keys -t t C-c
	sleep 0.3
	send "echo fg=\$? >/root/fg.out"
	wait_nonempty "$TREE/root/fg.out" 5
	assert_eq "fg=130" "$(cat "$TREE/root/fg.out" 2>/dev/null)" "job control: fg then Ctrl-C ends the job with 130"
	send "exit"
	wait_file "$T/rc" 10
	assert_eq "rc=0" "$(cat "$T/rc" 2>/dev/null)" "the interactive shell exits, containerize returns 0"
	assert_not_contains "$(pane)" "job control turned off" "the shell inside did not turn job control off"
else
	fail "interactive shell started" "$(pane)"
fi
[ -e "$T/rc" ] || diag "$(pane)"
assert_clean g c "$T/before"
done_testing
