#!/bin/bash
# A syslog daemon that listens on a stream socket at /dev/log (some syslog-ng setups) still gets
# containerize's messages: the sender tries a datagram socket, and on EPROTOTYPE a stream one,
# ending each message with a NUL as glibc's syslog(3) does. Like 72-syslog.sh, the test binds
# /dev/log only when there is none, and removes it at exit.
. "$(dirname "$0")/../lib/tap.sh"

if [ -e /dev/log ] || [ -L /dev/log ]; then
	skip "stream syslog capture" "/dev/log exists (a syslog daemon, or another test's catcher): not touching it"
	done_testing
fi
command -v python3 >/dev/null || { skip "stream syslog capture" "no python3"; done_testing; }

LOG=$T/syslog
cat >"$T/catch.py" <<'PY'
import os, socket, sys
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
os.chmod(path, 0o666)
s.listen(16)
with open(out, 'a', buffering=1) as f:
    open(out + '.ready', 'w').close()
    while True:
        c, _ = s.accept()
        data = b''
        while True:
            d = c.recv(65536)
            if not d:
                break
            data += d
        c.close()
        # one line per message: NUL-terminated records; a missing final NUL shows as <no NUL>
        recs = data.split(b'\0')
        for r in recs[:-1]:
            f.write(r.decode('ascii', 'backslashreplace') + '\n')
        if recs[-1]:
            f.write(recs[-1].decode('ascii', 'backslashreplace') + ' <no NUL>\n')
PY
python3 "$T/catch.py" /dev/log "$LOG" </dev/null >/dev/null 2>"$T/catch.err" &
CATCH_PID=$!
wait_file "$LOG.ready" 10
LOG_INO=$(stat -c %i /dev/log 2>/dev/null)
on_cleanup "kill $CATCH_PID 2>/dev/null; wait $CATCH_PID 2>/dev/null; [ -S /dev/log ] && [ \"\$(stat -c %i /dev/log)\" = '$LOG_INO' ] && rm -f /dev/log"
[ -S /dev/log ] && alive "$CATCH_PID" || bail "a stream catcher on /dev/log" "$(cat "$T/catch.err")"

setup_std
mounts_snapshot >"$T/before"
run cz g c true
assert_eq 0 "$status" "containerize g c true, with a stream socket at /dev/log"
assert_eq "" "$err" "nothing on stderr"
for _ in $(seq 50); do [ "$(grep -c . "$LOG")" -ge 2 ] && break; sleep 0.05; done
TS='[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2}'
assert_match "$LOG" "^<85>$TS containerize\\[[0-9]+\\]: set up g/c \\(instance [0-9]+\\) for root\$" \
	"the setup message arrives whole, NUL-terminated"
assert_match "$LOG" "^<85>$TS containerize\\[[0-9]+\\]: tore down g/c \\(instance [0-9]+\\) after the last session of root\$" \
	"the teardown message arrives whole, NUL-terminated"
assert_not_contains "$LOG" "<no NUL>" "no message without its NUL"
assert_eq 2 "$(grep -c . "$LOG")" "two messages, one record each" || diag "$(cat "$LOG")"
assert_clean g c "$T/before"
done_testing
