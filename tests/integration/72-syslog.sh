#!/bin/bash
# What containerize and pam_containerize.so log, caught for real: every setup, join, departure,
# stop, teardown, refusal and failure goes to syslog with facility authpriv (<8*10+severity>:
# <85> notice, <84> warning, <83> err), ident containerize[PID] (for the module: the PAM
# application, with the pam_containerize(SERVICE:session) prefix of pam_syslog), naming the
# user, the group and the container; text the user controls (names, SUDO_USER) never puts a
# control character into a message.
#
# A fresh Debian has no syslog daemon, and glibc drops messages when /dev/log is missing. The
# test binds its own datagram socket at /dev/log (only when there is none: otherwise it skips)
# and removes it at exit. Every byte outside printable ASCII, and the backslash, is written
# to the capture as \xNN, so a raw control character in a message shows as \x0a, \x1b...
. "$(dirname "$0")/../lib/tap.sh"
. "$TAP_LIB/users.sh"
. "$TAP_LIB/syslog.sh"

syslog_catch dgram || { skip "syslog capture" "$SYSLOG_SKIP"; done_testing; }
LOG=$SYSLOG_LOG

# The PAM module checks the trees root and every directory above it (root-owned, not
# writable by others): the whole test uses an area under /var/lib.
P=$(mktemp -d /var/lib/cztest-syslog.XXXXXX) || bail "mktemp /var/lib"
chmod 755 "$P"
on_cleanup "_area_cleanup"
_area_cleanup() {
	local m p
	rm -f "/etc/pam.d/$SVC"
	m=$(mounts_under "$P" | awk '{ print length($0), $0 }' | sort -rn | cut -d' ' -f2-)
	[ -n "$m" ] && while IFS= read -r p; do umount -l "$p"; done <<<"$m"
	[ -z "$(mounts_under "$P")" ] && rm -rf --one-file-system "$P"
}
SVC=$(printf 'cztest-syslog-%s' "${P##*.}" | tr '[:upper:]' '[:lower:]')
export CONTAINERIZE_TREES="$P/trees" CONTAINERIZE_RUNDIR="$P/run"
mkdir -p "$CONTAINERIZE_TREES"
chmod 755 "$CONTAINERIZE_TREES"
setup_std

mark() { wc -l <"$LOG"; }
# since MARK [IDENT]: the messages after MARK (of IDENT's lines only, when given)
since() {
	sleep 0.2
	tail -n +"$(($1 + 1))" "$LOG" | if [ -n "${2:-}" ]; then grep -F -- " $2"; else cat; fi
}
TS='[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2}'
CZID="$TS containerize\\[[0-9]+\\]: "
INST='\(instance [0-9]+\)'

# --- setup and teardown
m=$(mark)
run cz g c true
assert_eq 0 "$status" "containerize g c true"
msgs=$(since "$m" "containerize[")
assert_match "$msgs" "^<85>${CZID}set up g/c $INST for root\$" "setup: <85> (authpriv.notice) 'set up g/c (instance N) for root'"
assert_match "$msgs" "^<85>${CZID}tore down g/c $INST after the last session of root\$" "teardown: <85> 'tore down g/c ... root'"

# --- join, departure, --stop
cz_bg holder g c sleep 30
i=0
until cz --list 2>/dev/null | awk 'NR > 1 { print $1, $2 }' | grep -qx 'g c'; do
	i=$((i + 1)); [ $i -gt 100 ] && break
	sleep 0.1
done
m=$(mark)
# in the background for its pid: other runs on this machine may set up their own g/c meanwhile
"$CZ" g c true >/dev/null 2>&1 &
jpid=$!
wait "$jpid"
msgs=$(since "$m" "containerize[$jpid]")
assert_match "$msgs" "^<85>${CZID}joined g/c $INST for root\$" "join: <85> 'joined g/c (instance N) for root'"
assert_match "$msgs" "^<85>${CZID}left g/c $INST for root\$" "departure: <85> 'left g/c (instance N) for root'"
assert_not_contains "$msgs" "set up" "a join logs no setup"
m=$(mark)
run cz --stop g c
assert_eq 0 "$status" "containerize --stop g c"
wait_exit "$BG_PID" 20
msgs=$(since "$m" "containerize[")
assert_match "$msgs" "^<85>${CZID}stopped g/c $INST for root\$" "--stop: <85> 'stopped g/c (instance N) for root'"

# --- refusals and failures
m=$(mark)
run cz nosuch c true
assert_eq 125 "$status" "a missing group is refused"
run cz g nosuchc true
msgs=$(since "$m" "containerize[")
assert_match "$msgs" "^<84>${CZID}refused root for nosuch/c: .*nosuch" "refusal of a missing group: <84> (authpriv.warning) naming user, group and container"
assert_match "$msgs" "^<84>${CZID}refused root for g/nosuchc: .*nosuchc" "refusal of a missing container: <84> naming user, group and container"
assert_not_contains "$err" "refused" "the audit line is not repeated on stderr"

make_group bad
make_container bad c
write_hook bad bind 'exit 3'
m=$(mark)
run cz bad c true
assert_eq 125 "$status" "a failing bind hook fails the run"
msgs=$(since "$m" "containerize[")
assert_match "$msgs" "^<83>${CZID}setup of bad/c for root failed: .*bind" "failed setup: <83> (authpriv.err) naming user, group, container and the hook"

# --- who: sudo
m=$(mark)
SUDO_USER=alice run cz g c true
msgs=$(since "$m" "containerize[")
assert_match "$msgs" "^<85>${CZID}set up g/c $INST for root \\(sudo by alice\\)\$" "run through sudo: the message names the sudo user"

# --- user-controlled text never carries a control character
m=$(mark)
run cz g $'c\nevil: set up g/c for mallory' true
assert_eq 125 "$status" "a container name with a newline is refused"
run cz g $'c\e[31mred' true
run cz $'g\nx' c true
run cz g $'c\r' true
run cz g "$(printf 'c\x7f')" true
SUDO_USER=$'alice\nFAKE: set up' run cz g c true
assert_eq 0 "$status" "a SUDO_USER with a newline does not stop root"
msgs=$(since "$m" "containerize[")
n=$(grep -c 'refused root for' <<<"$msgs")
assert_eq 5 "$n" "each invalid name is refused in syslog (5 lines)"
assert_match "$msgs" "^<84>${CZID}refused root for g/\\(invalid\\): invalid container name" "an invalid container name is logged as (invalid) in the user/group/container part"
assert_match "$msgs" "^<84>${CZID}refused root for \\(invalid\\)/c: invalid group name" "an invalid group name is logged as (invalid)"
assert_eq "" "$(grep -E '\\x(0[0-9a-f]|1[0-9a-f]|7f)' <<<"$msgs")" "no message carries a raw control character (newline, ESC, CR, DEL)"
assert_not_contains "$msgs" "FAKE" "a SUDO_USER with a newline is not put into the message"
assert_match "$msgs" "^<85>${CZID}set up g/c $INST for root\$" "... the run is logged for plain root instead"

# --- every line of containerize's is authpriv
all=$(grep -E "^<[0-9]+>${CZID}" "$LOG")
bad=$(sed -E 's/^<([0-9]+)>.*/\1/' <<<"$all" | awk '$1 < 80 || $1 > 87')
assert_eq "" "$bad" "every containerize message has facility authpriv (priority 80-87)"

# --- the PAM module, through pamtester
PAMMOD=$REPO/pam_containerize/pam_containerize.so
if [ ! -f "$PAMMOD" ]; then
	skip "PAM module logging" "pam_containerize.so not built"
elif ! command -v pamtester >/dev/null && ! make -C "$REPO" -s deps DEPS=pamtester >/dev/null 2>&1; then
	skip "PAM module logging" "no pamtester"
else
	make_user sl || bail "make_user"
	U=$NEW_USER
	pamsvc() {
		printf '%s\n' "auth sufficient pam_rootok.so" "account required pam_permit.so" \
			"session required $PAMMOD $*" "session optional pam_permit.so" >"/etc/pam.d/$SVC"
	}
	PAMID="$TS pamtester: pam_containerize\\($SVC:session\\): "
	pamsvc group=g container=c trees="$CONTAINERIZE_TREES" rundir="$CONTAINERIZE_RUNDIR"
	m=$(mark)
	run timeout -k 5 30 pamtester "$SVC" "$U" open_session close_session
	assert_eq 0 "$status" "pamtester $SVC $U open_session close_session" || diag "$out" "$err"
	msgs=$(since "$m" "pamtester")
	assert_match "$msgs" "^<85>${PAMID}set up g/c $INST for $U\$" "PAM setup: <85> pam_containerize($SVC:session): 'set up g/c (instance N) for USER'"
	assert_match "$msgs" "^<85>${PAMID}tore down g/c $INST after the last session of $U\$" \
		"PAM teardown at close_session: <85> with the module's pam_syslog prefix, naming the user"
	pamsvc group=nosuch container=c trees="$CONTAINERIZE_TREES" rundir="$CONTAINERIZE_RUNDIR"
	m=$(mark)
	run timeout -k 5 30 pamtester "$SVC" "$U" open_session close_session
	assert_ne 0 "$status" "PAM: a missing group fails the session"
	msgs=$(since "$m" "pamtester")
	assert_match "$msgs" "^<84>${PAMID}refused $U for nosuch/c: " "PAM refusal: <84> naming user, group and container"
	assert_match "$msgs" "^<83>${PAMID}cannot enter container nosuch/c for $U: " "PAM failure: <83> naming user, group and container"
	# a container= with an escape sequence, an unknown option with one, a user name with one
	pamsvc group=g container=$'c\e[31m' trees="$CONTAINERIZE_TREES" rundir="$CONTAINERIZE_RUNDIR" bogus=$'\e[2J'
	m=$(mark)
	run timeout -k 5 30 pamtester "$SVC" "$U" open_session close_session
	assert_ne 0 "$status" "PAM: an invalid container= fails the session"
	pamsvc group=g container=c trees="$CONTAINERIZE_TREES" rundir="$CONTAINERIZE_RUNDIR"
	run timeout -k 5 30 pamtester "$SVC" $'nosuchuser\e[2J\rroot' open_session close_session
	assert_ne 0 "$status" "PAM: an unknown user fails the session"
	msgs=$(since "$m" "pamtester")
	assert_ne "" "$msgs" "PAM: the failures are logged"
	assert_match "$msgs" "unknown option: bogus=" "PAM: the unknown option is logged"
	assert_eq "" "$(grep -F 'unknown option' <<<"$msgs" | grep -E '\\x(0[0-9a-f]|1[0-9a-f]|7f)')" \
		"PAM: an unknown option's text carries no raw control character into the log"
	assert_match "$msgs" "unknown user nosuchuser" "PAM: the unknown user is logged"
	assert_eq "" "$(grep -F 'unknown user' <<<"$msgs" | grep -E '\\x(0[0-9a-f]|1[0-9a-f]|7f)')" \
		"PAM: a user name (PAM_USER) carries no raw control character into the log"
	assert_eq "" "$(grep -vE 'unknown (option|user)' <<<"$msgs" | grep -E '\\x(0[0-9a-f]|1[0-9a-f]|7f)')" \
		"PAM: no other message carries a raw control character"
	rm -f "/etc/pam.d/$SVC"
fi

done_testing
