#!/bin/bash
# timeout: 1500
# A host run by systemd (a Debian 12 guest booted with systemd-nspawn, tests/lib/guest.sh),
# driven over ssh inside it as its users would: root's containerize from a login session lands
# in a transient scope unit with Delegate=yes (the instance in its leaf `payload`), named after
# group and container; the unit is gone after the last session; `systemctl stop` of the unit
# ends the container and the next run works, bind and unbind balanced; a SIGKILLed session's
# orphaned unit is stopped by the next run; a D-Bus error (a masked slice) and an unreachable
# systemd (no /run/systemd/private) give one line naming it, exit 125, nothing left; a PAM
# login (sshd's stack with pam_containerize after pam_systemd) lands in the container while
# sshd's session process stays in logind's session scope and the host's mount namespace,
# logind lists the session, and after logout the teardown is complete, the unit gone, and
# neither pam_systemd nor pam_containerize logs an error; a PAM login when systemd refuses the
# scope (a masked slice) is refused with the PAM error and one line of pam_containerize naming
# systemd's refusal in the journal, nothing left behind.
. "$(dirname "$0")/../lib/tap.sh"
. "$TAP_LIB/guest.sh"

if [ -n "${CZ_SKIP_SLOW:-}" ]; then
	skip "systemd host tests" "CZ_SKIP_SLOW is set (the sanitizer pass)"
	done_testing
fi
test_cleanup() { guest_stop; }
if ! guest_make 2>"$T/guest-make.err"; then
	skip "systemd host tests" "no guest tree could be made: $(tail -n 3 "$T/guest-make.err" | tr '\n' ' ')"
	done_testing
fi
guest_install || bail "make install into the guest" "$(tail -n 20 "$T/guest-install.log")"

# The container: a busybox tree with a marker, hooks that log with the cgroup they are given.
G=$GUEST
HL=$G/var/log/czhooks.log
make_busybox_tree "$G/trees/g/c"
echo inside-tree >"$G/trees/g/c/cz-marker"
mkdir -p "$G/trees/g/.container"
chmod 755 "$G/trees" "$G/trees/g" "$G/trees/g/.container"
for h in bind unbind stop; do
	printf '#!/bin/sh\necho "%s $* C=$CONTAINERIZE_CGROUP" >>/var/log/czhooks.log\n' "$h" \
		>"$G/trees/g/.container/$h"
	chmod 755 "$G/trees/g/.container/$h"
done
hooks() { if [ -f "$HL" ]; then grep -c "^$1 " "$HL"; else echo 0; fi; }
balanced() { [ "$(hooks bind)" = "$(hooks unbind)" ]; }

guest_boot || bail "the guest boots to running" "$(tail -n 20 "$T/guest-boot.log")"
pass "the guest boots (systemd $(gin systemctl --version | head -n 1 | cut -d' ' -f2))"

# the slices stay, as the <cgroup-name> directory does elsewhere
units() { gin systemctl list-units --all --plain --no-legend 'containerize-*' | awk '{ print $1 }'; }
# wait_unit: until g/c is live (--list shows it: set up and pinned); its unit in $UNIT
wait_unit() {
	local i
	for i in $(seq 100); do
		UNIT=$(units | head -n 1)
		[ -n "$UNIT" ] && gin containerize --list | grep -q '^g  *c ' && return 0
		sleep 0.1
	done
	return 1
}
wait_no_unit() { local i; for i in $(seq 50); do [ -z "$(units)" ] && return 0; sleep 0.1; done; return 1; }
# the guest's mount table, but for what logins and services mount meanwhile
guest_mounts() {
	gin cat /proc/1/mountinfo | awk '$5 !~ "^/run/(user|credentials)/" { $1 = ""; $2 = ""; print }' | sort
}
bg_session() { # bg_session NAME CMD: a root login session running CMD, in the background
	gsh "$2" >"$T/$1.out" 2>"$T/$1.err" &
	BG=$!
	track_pid "$BG"
}

# --- root from a login session
run gsh 'cat /proc/self/cgroup | grep ^0::; containerize g c sh -c "grep ^0:: /proc/self/cgroup; cat /cz-marker"'
assert_eq 0 "$status" "root: containerize g c from a login session exits 0" || diag "$err"
assert_match "$(sed -n 1p "$T/run.out")" '^0::/user\.slice/user-0\.slice/session-[0-9]+\.scope$' \
	"root: the login session is in logind's session scope"
assert_match "$(sed -n 2p "$T/run.out")" '^0::/containerize\.slice/containerize-g-c-[0-9]+\.scope/payload$' \
	"root: the command runs in the leaf of a containerize scope unit in containerize.slice"
assert_eq inside-tree "$(sed -n 3p "$T/run.out")" "root: ... inside the tree"
assert_match "$(grep '^bind ' "$HL")" "C=/sys/fs/cgroup/containerize\.slice/containerize-g-c-[0-9]+\.scope/payload$" \
	"CONTAINERIZE_CGROUP names the real cgroup directory"
assert_eq "" "$(units)" "the unit is gone after the last session"
assert_eq "" "$(gin find /sys/fs/cgroup/containerize.slice -name 'containerize-*' 2>/dev/null)" \
	"its cgroup is gone too"
assert_eq "1 1 1" "$(hooks bind) $(hooks stop) $(hooks unbind)" "bind, stop and unbind ran once each"
assert_eq "" "$(gin pgrep -x cz-scope-hold)" "no process of ours left"
mounts0=$(guest_mounts)

# --- a live instance: the unit, delegation, --list
bg_session live 'containerize g c sleep 300'
if wait_unit; then
	pass "a live instance has a unit that systemctl list-units 'containerize*' shows"
	assert_match "$UNIT" '^containerize-g-c-[0-9]+\.scope$' "the unit is named after group and container: $UNIT"
	run gin systemctl show -p Delegate -p Slice -p ActiveState -p Description "$UNIT"
	assert_eq "ActiveState=active
Delegate=yes
Description=containerize g/c (instance ${UNIT//[!0-9]/})
Slice=containerize.slice" "$(sort "$T/run.out")" "the scope is active, delegated, in containerize.slice"
	run gin containerize --list
	assert_contains "$out" "/sys/fs/cgroup/containerize.slice/$UNIT/payload" "--list names the leaf of the scope"
	assert_eq "" "$(gin cat "/sys/fs/cgroup/containerize.slice/$UNIT/cgroup.procs")" \
		"no process in the scope's own cgroup (processes only in the leaf)"
	holder=$(gin pgrep -x cz-scope-hold)
	assert_eq "0::/containerize.slice/$UNIT/payload" "$(gin grep ^0:: "/proc/$holder/cgroup")" \
		"the process that keeps the scope alive is in the leaf too"
	sleeper=$(gin pgrep -x sleep | head -n 1)
	assert_eq "0::/containerize.slice/$UNIT/payload" "$(gin grep ^0:: "/proc/$sleeper/cgroup")" \
		"the command's process is in the leaf"
	# systemctl stop ends it like --stop; the session's teardown runs unbind
	run gin systemctl stop "$UNIT"
	assert_eq 0 "$status" "systemctl stop $UNIT" || diag "$err"
	wait_exit "$BG" 30
	assert_eq 143 "$status" "the session ends: its command got SIGTERM from systemd (128+15)"
	assert_eq "" "$(gin pgrep -x sleep)" "the container's processes are gone"
	wait_no_unit
	assert_eq "" "$(units)" "no unit left after systemctl stop"
	assert_eq "2 2 2" "$(hooks bind) $(hooks stop) $(hooks unbind)" \
		"the session's teardown ran stop and unbind"
	assert_no_file "$G/run/containerize/g/c" "no run-dir entry left"
	run gsh 'containerize g c cat /cz-marker'
	assert_eq "0 inside-tree" "$status $out" "the next run works"
	balanced && pass "bind and unbind balanced ($(hooks bind))" || fail "bind and unbind balanced" "$(cat "$HL")"
else
	fail "a live instance has a unit" "$(cat "$T/live.err")"
	kill "$BG" 2>/dev/null
fi

# --- a SIGKILLed session: its orphaned unit is stopped by the next run
bg_session killed 'containerize g c sleep 300'
if wait_unit; then
	gin pkill -KILL -x containerize
	wait_exit "$BG" 30
	assert_eq "$UNIT" "$(units)" "after SIGKILL of the session: its unit lives on, orphaned"
	run gsh 'containerize g c cat /cz-marker'
	assert_eq "0 inside-tree" "$status $out" "the next run works" || diag "$err"
	assert_eq "" "$(units)" "... and stopped the orphaned unit"
	assert_eq "" "$(gin pgrep -x sleep)" "... whose processes are gone"
	balanced && pass "bind and unbind balanced ($(hooks bind))" || fail "bind and unbind balanced" "$(cat "$HL")"
	assert_eq "$mounts0" "$(guest_mounts)" "the guest's mount table is as before"
else
	fail "a live instance has a unit" "$(cat "$T/killed.err")"
	kill "$BG" 2>/dev/null
fi

# --- systemd says no: a masked slice; no systemd to talk to
nothing_left() { # nothing_left WHAT: no unit, run-dir entry, process of ours, hook
	assert_eq "" "$(units)" "$1: no unit left"
	assert_no_file "$G/run/containerize/g/c" "$1: no run-dir entry left"
	assert_eq "" "$(gin pgrep -x cz-scope-hold)" "$1: no process of ours left"
	balanced && pass "$1: bind and unbind balanced" || fail "$1: bind and unbind balanced" "$(cat "$HL")"
}
gin systemctl mask --quiet containerize.slice
run gsh 'containerize g c true'
assert_eq 125 "$status" "a masked slice: exit 125"
assert_error_line "$err" "a masked slice: one error line"
assert_match "$err" '^containerize: systemd refused to start containerize-g-c-[0-9]+\.scope: .*masked' \
	"a masked slice: the error names systemd, the unit and why"
nothing_left "a masked slice"
gin systemctl unmask --quiet containerize.slice

run gsh 'unshare -m sh -c "mount --bind /dev/null /run/systemd/private && exec containerize g c true"'
assert_eq 125 "$status" "no systemd at /run/systemd/private: exit 125"
assert_error_line "$err" "no systemd at /run/systemd/private: one error line"
assert_match "$err" '^containerize: cannot reach systemd at /run/systemd/private: ' \
	"no systemd at /run/systemd/private: the error names it"
nothing_left "no systemd at /run/systemd/private"
# --- PAM: an sshd login of a mapped user
guest_user builder || bail "a user in the guest"
echo "builder g c" >"$G/etc/containerize.conf"
chmod 644 "$G/etc/containerize.conf"
grep -q '^@include common-session' "$G/etc/pam.d/sshd" || bail "sshd's stack includes common-session"
echo "session required pam_containerize.so" >>"$G/etc/pam.d/sshd"
grep -q pam_systemd "$G/etc/pam.d/common-session" && pass "pam_systemd is in common-session, before pam_containerize"
since=$(gin date +%s)
binds=$(hooks bind)
# (the session lasts long enough for the checks below on a busy machine, where a login alone
# can take seconds)
gsh_as builder 'cat /cz-marker; grep ^0:: /proc/self/cgroup; id -u; sleep 8' >"$T/pam.out" 2>"$T/pam.err" &
BG=$!
track_pid "$BG"
for i in $(seq 150); do
	gin loginctl list-sessions --no-legend | grep -q builder &&
		mon=$(gin pgrep -f '^sshd: builder \[priv\]' | head -n 1) && [ -n "$mon" ] && break
	sleep 0.1
done
assert_match "$(gin loginctl list-sessions --no-legend)" ' builder ' "logind lists the PAM session while it is open"
assert_match "$(gin grep ^0:: "/proc/$mon/cgroup")" '^0::/user\.slice/user-[0-9]+\.slice/session-[0-9]+\.scope$' \
	"sshd's session process stays in logind's session scope"
assert_eq "$(gin readlink /proc/1/ns/mnt)" "$(gin readlink "/proc/$mon/ns/mnt")" \
	"... and in the host's mount namespace"
wait_exit "$BG" 30
assert_eq 0 "$status" "the PAM login's command exits 0" || diag "$(cat "$T/pam.err")"
assert_eq "inside-tree" "$(sed -n 1p "$T/pam.out")" "the login lands in the container"
assert_match "$(sed -n 2p "$T/pam.out")" '^0::/containerize\.slice/containerize-g-c-[0-9]+\.scope/payload$' \
	"... in the leaf of its scope unit"
assert_eq "$(gin id -u builder)" "$(sed -n 3p "$T/pam.out")" "... as the user"
for i in $(seq 100); do [ "$(hooks unbind)" -gt "$binds" ] && break; sleep 0.1; done
assert_eq "$((binds + 1)) $((binds + 1)) $((binds + 1))" "$(hooks bind) $(hooks stop) $(hooks unbind)" \
	"after logout: the teardown ran (bind, stop, unbind once each)"
wait_no_unit
assert_eq "" "$(units)" "after logout: no unit left"
assert_no_file "$G/run/containerize/g/c" "after logout: no run-dir entry left"
assert_eq "" "$(gin pgrep -x cz-scope-hold)" "after logout: no process of ours left"
assert_eq "$mounts0" "$(guest_mounts)" "after logout: the guest's mount table is as before"
for i in $(seq 50); do gin loginctl list-sessions --no-legend | grep -q builder || break; sleep 0.1; done
assert_not_contains "$(gin loginctl list-sessions --no-legend)" " builder " "after logout: logind dropped the session"
journal=$(gin journalctl -q -b --since "@$since" --no-pager)
assert_contains "$journal" "tore down g/c" "the teardown is logged by the process that did it"
assert_not_contains "$journal" "Failed to connect to system bus" "pam_systemd's close logs no bus error"
assert_not_contains "$(printf '%s\n' "$journal" | grep -E 'pam_systemd|pam_containerize' | grep -iE 'fail|error|cannot')" \
	"pam" "neither pam_systemd nor pam_containerize logs an error"

# --- PAM when systemd says no (a masked slice): the login is refused with the PAM error
# (PAM_SESSION_ERR, which sshd logs), pam_containerize logs why: the failed setup's audit record
# and one error line naming systemd's refusal; nothing of ours is left
gin systemctl mask --quiet containerize.slice
since=$(gin date +%s)
run gsh_as builder 'cat /cz-marker'
assert_ne 0 "$status" "PAM, a masked slice: the login is refused"
assert_not_contains "$out" "inside-tree" "PAM, a masked slice: nothing ran in the container"
for i in $(seq 50); do
	journal=$(gin journalctl -q -b --since "@$since" --no-pager -o cat)
	grep -q 'pam_open_session' <<<"$journal" && break
	sleep 0.1
done
refusal=$(grep -F 'pam_containerize(sshd:session): cannot enter container g/c for builder: ' <<<"$journal")
assert_eq 1 "$(grep -c . <<<"$refusal")" "PAM, a masked slice: pam_containerize logs one error line" ||
	diag "$journal"
assert_match "$refusal" 'systemd refused to start containerize-g-c-[0-9]+\.scope: .*masked' \
	"... naming systemd, the unit and why"
assert_contains "$journal" "pam_open_session(): Cannot make/remove an entry for the specified session" \
	"PAM, a masked slice: sshd gets PAM_SESSION_ERR"
nothing_left "PAM, a masked slice"
for i in $(seq 50); do gin loginctl list-sessions --no-legend | grep -q builder || break; sleep 0.1; done
assert_not_contains "$(gin loginctl list-sessions --no-legend)" " builder " "PAM, a masked slice: logind has no session left"
gin systemctl unmask --quiet containerize.slice

done_testing
