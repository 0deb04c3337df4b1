#!/bin/bash
# A syslog daemon that listens on a stream socket at /dev/log (some syslog-ng setups) still gets
# containerize's messages: glibc's syslog(3) tries a datagram socket, and on EPROTOTYPE a stream
# one, ending each message with a NUL. Like 72-syslog.sh, the test binds
# /dev/log only when there is none, and removes it at exit (tests/lib/syslog.sh).
. "$(dirname "$0")/../lib/tap.sh"
. "$TAP_LIB/syslog.sh"

syslog_catch stream || { skip "stream syslog capture" "$SYSLOG_SKIP"; done_testing; }
LOG=$SYSLOG_LOG

setup_std
mounts_snapshot >"$T/before"
# in the background for its pid: other runs on this machine may log meanwhile
"$CZ" g c true >"$T/out" 2>"$T/err" &
pid=$!
wait "$pid"
assert_eq 0 "$?" "containerize g c true, with a stream socket at /dev/log"
assert_eq "" "$(cat "$T/err")" "nothing on stderr"
ours() { grep -F "containerize[$pid]: " "$LOG"; }
for _ in $(seq 50); do [ "$(ours | grep -c .)" -ge 2 ] && break; sleep 0.05; done
TS='[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2}'
assert_match "$LOG" "^<85>$TS containerize\\[[0-9]+\\]: set up g/c \\(instance [0-9]+\\) for root\$" \
	"the setup message arrives whole, NUL-terminated"
assert_match "$LOG" "^<85>$TS containerize\\[[0-9]+\\]: tore down g/c \\(instance [0-9]+\\) after the last session of root\$" \
	"the teardown message arrives whole, NUL-terminated"
assert_not_contains "$LOG" "<no NUL>" "no message without its NUL"
assert_eq 2 "$(ours | grep -c .)" "two messages, one record each" || diag "$(cat "$LOG")"
assert_clean g c "$T/before"
done_testing
