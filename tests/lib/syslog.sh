# tests/lib/syslog.sh: catch what is logged to /dev/log, for real (sourced after tap.sh).
#
#   syslog_catch [dgram|stream]   when nothing provides /dev/log, binds a catcher there (a
#                                 datagram socket, as journald and rsyslog serve, or a stream
#                                 one, as some syslog-ng setups do) and removes it at exit.
#                                 Messages go one a line to $SYSLOG_LOG; every byte outside
#                                 printable ASCII, and the backslash, as \xNN, so a raw control
#                                 character shows as \x0a, \x1b...  On a stream every message
#                                 must end with a NUL; one that does not is marked " <no NUL>".
#                                 Returns 1 with the reason in $SYSLOG_SKIP if it cannot: /dev/log
#                                 exists (not ours to touch), or no python3.
# shellcheck shell=bash disable=SC2034

SYSLOG_LOG=
SYSLOG_SKIP=

syslog_catch() {
	local kind=${1:-dgram} pid ino
	if [ -e /dev/log ] || [ -L /dev/log ]; then
		SYSLOG_SKIP="/dev/log exists (a syslog daemon, or another test's catcher): not touching it"
		return 1
	fi
	command -v python3 >/dev/null || { SYSLOG_SKIP="no python3"; return 1; }
	SYSLOG_LOG=$T/syslog
	cat >"$T/syslog-catch.py" <<'PY'
import os, socket, sys
kind, path, out = sys.argv[1], sys.argv[2], sys.argv[3]
def esc(b):
    return ''.join(chr(c) if 0x20 <= c < 0x7f and c != 0x5c else '\\x%02x' % c for c in b)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM if kind == 'stream' else socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
with open(out, 'a', buffering=1) as f:
    if kind != 'stream':
        open(out + '.ready', 'w').close()
        while True:
            f.write(esc(s.recv(65536)) + '\n')
    # one thread per connection: a sender that keeps its connection open
    # (any other containerize on the machine) must not hold up the others
    import threading
    lock = threading.Lock()
    def serve(c):
        data = b''
        while True:
            d = c.recv(65536)
            if not d:
                break
            data += d
        c.close()
        recs = data.split(b'\0')
        with lock:
            for r in recs[:-1]:
                f.write(esc(r) + '\n')
            if recs[-1]:
                f.write(esc(recs[-1]) + ' <no NUL>\n')
    s.listen(16)
    open(out + '.ready', 'w').close()
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
	python3 "$T/syslog-catch.py" "$kind" /dev/log "$SYSLOG_LOG" </dev/null >/dev/null 2>"$T/syslog-catch.err" &
	pid=$!
	wait_file "$SYSLOG_LOG.ready" 10
	ino=$(stat -c %i /dev/log 2>/dev/null)
	# remove /dev/log at exit only if it is still the socket made here
	on_cleanup "kill $pid 2>/dev/null; wait $pid 2>/dev/null; [ -S /dev/log ] && [ \"\$(stat -c %i /dev/log)\" = '$ino' ] && rm -f /dev/log"
	[ -S /dev/log ] && alive "$pid" || bail "a $kind catcher on /dev/log" "$(cat "$T/syslog-catch.err")"
}
