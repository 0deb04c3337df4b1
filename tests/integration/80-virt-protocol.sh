#!/bin/bash
# autopkgtest-virt-containerize over its own protocol (stdin/stdout, as autopkgtest and sbuild
# drive it) on busybox trees: capabilities; open gives a throwaway instance of the base held
# until close; the exec command runs as root with a fixed PATH, plumbs stdin/stdout, returns
# the command's status and 255 when containerize itself fails; state (files, /tmp, background
# processes) lasts from one command to the next; revert gives a clean instance with the same
# scratch dir; close and quit leave nothing; the server's death (EOF, SIGKILL) ends its
# instance, and one left by a crash of server and holder together is swept at the next open.
. "$(dirname "$0")/../lib/tap.sh"
. "$TAP_LIB/virt.sh"

if ! [ -r /usr/share/autopkgtest/lib/VirtSubproc.py ] || ! command -v python3 >/dev/null; then
	skip "autopkgtest-virt-containerize" "autopkgtest (VirtSubproc) or python3 missing"
	done_testing
fi

make_group g
make_container g base
BASE="$CONTAINERIZE_TREES/g/base"
find "$BASE" -printf '%p %M %U %s %T@\n' | sort >"$T/base.before"
mounts_snapshot >"$T/before"

# what is in the group's directory besides the base
others() { local f; for f in "$CONTAINERIZE_TREES/g"/*; do [ "${f##*/}" = base ] || echo "${f##*/}"; done; }
# live instances of group g: NAME SESSIONS (from --list)
live() { "$CZ" --list 2>/dev/null | awk 'NR > 1 && $1 == "g" { print $2, $3 }'; }

virt_start srv g base
assert_eq ok "$reply" "the server greets with ok"
virt_send capabilities
caps=" ${reply#ok } "
for c in root-on-testbed revert revert-full-system; do
	assert_contains "$caps" " $c " "capability $c"
done
assert_not_contains "$caps" "isolation-" "no isolation-* capability (host network, no init)"

virt_send open
assert_match "$reply" '^ok /tmp/autopkgtest\.[A-Za-z0-9]+$' "open answers ok SCRATCH"
scratch=${reply#ok }
inst=$(live | awk '{ print $1 }')
assert_match "$inst" '^base-apt-[0-9]+-1$' "open set up one throwaway instance of g/base, held ($inst)"
virt_send print-execute-command
assert_match "$reply" '^ok [^ ]+$' "print-execute-command answers ok PROGRAM,ARG,..."
virt_aux
x() { timeout -k 5 60 "${AUX[@]}" "$@"; }

run x id -u
assert_eq "0 0" "$status $out" "a command runs as root in the testbed"
run x sh -c 'exit 3'
assert_eq 3 "$status" "the command's exit status comes back (3)"
run x sh -c 'kill -TERM $$'
assert_eq 143 "$status" "a command killed by SIGTERM gives 128+15"
run env -i "${AUX[@]}" sh -c 'echo "$PATH"'
assert_eq "0 /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "$status $out" \
	"a caller without PATH (as sbuild) gets a fixed PATH"
run env CZ_LEAK=1 "${AUX[@]}" sh -c 'echo "${CZ_LEAK:-unset}"'
assert_eq unset "$out" "the caller's environment is not passed in"
got=$(printf 'line1\nline2\n' | x sh -c 'cat; echo err >&2' 2>"$T/x.err")
assert_eq "line1
line2 err" "$got $(cat "$T/x.err")" "stdin, stdout and stderr are plumbed through"
run x sh -c "test -d '$scratch' && stat -c %a '$scratch'"
assert_eq "0 1777" "$status $out" "the scratch dir exists, mode 1777"
mkdir -p "$T/nowhere/deep"
out=$(cd "$T/nowhere/deep" && x pwd 2>"$T/x.err")
assert_eq "/ " "$out $(cat "$T/x.err")" "a caller's working directory missing inside: runs in /, says nothing"

# state lasts from one command to the next until revert
x sh -c 'echo mark >/root/mark; echo tmp >/tmp/t; setsid sleep 300 </dev/null >/dev/null 2>&1 & echo $! >/root/bg'
bg=$(x cat /root/bg)
run x sh -c "cat /root/mark /tmp/t && kill -0 $bg && echo alive"
assert_eq "0 mark
tmp
alive" "$status $out" "files, /tmp and a background process last between commands"
assert_no_file "$BASE/root/mark" "the base tree is not written"
assert_eq 1 "$(live | wc -l)" "all those commands joined the one instance"

# several commands at once
par=()
for i in 1 2 3; do x sh -c "sleep 0.3; echo $i >/tmp/par$i" & par+=($!); done
wait "${par[@]}"
run x cat /tmp/par1 /tmp/par2 /tmp/par3
assert_eq "1 2 3" "${out//$'\n'/ }" "several commands may run at once"

# revert
t0=$(date +%s%N)
virt_send revert
t1=$(date +%s%N)
assert_eq "ok $scratch" "$reply" "revert answers ok with the same scratch dir"
diag "revert took $(((t1 - t0) / 1000000)) ms"
inst2=$(live | awk '{ print $1 }')
assert_match "$inst2" '^base-apt-[0-9]+-2$' "revert set up a fresh instance ($inst2) and ended the old one"
virt_send print-execute-command
old=("${AUX[@]}")
virt_aux
run x sh -c 'test ! -e /root/mark && test ! -e /tmp/t && test -d "$1" && echo clean' sh "$scratch"
assert_eq "0 clean" "$status $out" "after revert: no mark, no /tmp file, the scratch dir is there"
if wait_gone "$bg" 10; then pass "revert ended the background process"; else fail "revert ended the background process"; fi
run timeout 30 "${old[@]}" true
assert_eq 255 "$status" "the exec command of the old instance exits 255 (containerize failed)"
assert_contains "$err" "containerize: " "... saying why"
assert_no_file "$CONTAINERIZE_TREES/g/$inst" "nothing of the old instance is left in the group"

# a command still running at revert is ended with its instance
x sh -c 'sleep 300' 2>"$T/slow.err" &
slow=$!
sleep 0.5
virt_send revert
assert_eq "ok $scratch" "$reply" "revert while a command runs"
if wait_exit "$slow" 10 && [ "$status" != timeout ]; then pass "the running command ended with its instance"
else fail "the running command ended with its instance"; fi
assert_eq 1 "$(live | wc -l)" "one instance is live after that revert"

virt_send close
assert_eq ok "$reply" "close answers ok"
assert_eq "" "$(live)" "close: the instance is gone"
virt_send quit
virt_end
assert_eq 0 "$status" "the server exits 0 after quit"
virt_aux_after=$(timeout 30 "${AUX[@]}" true 2>/dev/null; echo $?)
assert_eq 255 "$virt_aux_after" "the exec command after close exits 255"
assert_mounts_as "$T/before" "host mount table as before"
assert_eq "" "$(others)" "nothing left in the group's directory"

# EOF on the server's stdin (its caller died) while open: the server closes and exits
virt_start eof g base
virt_send open
assert_eq "ok" "${reply%% *}" "open (second server)"
assert_eq 1 "$(live | wc -l)" "its instance is live"
virt_end 30
assert_ne timeout "$status" "EOF on stdin: the server exits (does not spin)"
assert_eq "" "$(live)" "EOF on stdin: the instance is gone"

# SIGKILL of the server: the holder sees EOF and ends the instance
virt_start kill g base
virt_send open
assert_eq "ok" "${reply%% *}" "open (third server)"
{ kill -KILL "$VPID"; wait "$VPID"; } 2>/dev/null # reaped quietly
i=0; while [ -n "$(live)" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
assert_eq "" "$(live)" "SIGKILL of the server ends its instance"

# SIGKILL of server and holder together: a stale instance, swept at the next open
virt_start kill2 g base
virt_send open
assert_eq "ok" "${reply%% *}" "open (fourth server)"
holder=$(pgrep -P "$VPID" | head -n 1)
{ kill -KILL "$VPID" $holder; wait "$VPID"; } 2>/dev/null
sleep 0.5
stale=$(live)
diag "after SIGKILL of server and holder: ${stale:-nothing live}"
virt_start sweep g base
virt_send open
assert_eq "ok" "${reply%% *}" "open (fifth server)"
assert_eq "1 1" "$(live | wc -l) $(live | awk '{ print $2 }')" \
	"the next open swept the stale instance: one live instance, held by one session"
virt_send close
virt_send quit
virt_end
assert_eq "" "$(live)" "nothing live at the end"

# options and bad input
virt_start norfs --no-revert-full-system g base
virt_send capabilities
assert_not_contains "$reply" "revert-full-system" "--no-revert-full-system drops revert-full-system"
assert_contains "$reply" " revert" "... and keeps revert"
virt_send quit
virt_end
virt_start nobase g missing
virt_send open
assert_ne ok "${reply%% *}" "open of a missing base fails"
virt_end
assert_ne 0 "$status" "... and the server exits non-zero"
assert_contains "$T/nobase.err" "containerize" "... saying why"
assert_eq "" "$(others)" "... leaving nothing in the group"

find "$BASE" -printf '%p %M %U %s %T@\n' | sort >"$T/base.after"
if cmp -s "$T/base.before" "$T/base.after"; then pass "the base tree is untouched"
else fail "the base tree is untouched" "$(diff "$T/base.before" "$T/base.after" | head)"; fi
assert_mounts_as "$T/before" "host mount table as before, at the end"
assert_eq "" "$(live)" "no instance left"
done_testing
