#!/bin/bash
# Chaos: for about CZ_CHAOS_SECS seconds (default 40), and at least until each kind of session
# below has run a few times (a loaded machine runs fewer a second: how many is no test's
# business, bench/run measures throughput), 1 to 10 sessions at a time on one
# container are started, join each other and end, and about half of them are signalled at a
# random moment: SIGKILL (about 3 in 4 of those) or SIGTERM, so kills land during the setup
# (the bind hook sleeps a few ms), the command, and the teardown (the stop hook sleeps a
# little). Only the containerize processes this file started are signalled, by pid.
#
# Documented behaviour checked afterwards:
#   - every session that was not signalled exits 0; a SIGTERMed one exits 0 or 143 (a
#     SIGTERM during setup or teardown is held until that is done);
#   - once all have ended, a normal run works (exit 0);
#   - nothing is left: host mount table as before, no instance cgroup and no process in one,
#     no run-dir entry for g/c;
#   - exactly one teardown per setup: for every instance (CONTAINERIZE_PID), unbind ran once
#     if and only if bind ran (unbind runs whenever bind started), and stop ran at most once
#     (it is skipped when the setup was interrupted before the command ran).
. "$(dirname "$0")/../lib/tap.sh"

setup_std
mounts_snapshot >"$T/before"
secs=${CZ_CHAOS_SECS:-40}
# The sanitizer pass of CI (CZ_SKIP_SLOW) runs a shorter chaos: the same code, slower.
[ -n "${CZ_SKIP_SLOW:-}" ] && [ -z "${CZ_CHAOS_SECS:-}" ] && secs=15
mkdir "$T/chaos"

# bind: 0-29 ms, stop: 10-59 ms (dash has no $RANDOM: the hook's pid picks the delay)
write_hook g bind "echo \"bind \$* $HOOKENV\" >>'$HOOKLOG'
sleep 0.0\$((\$\$ % 3))\$((\$\$ / 3 % 10))"
write_hook g stop "echo \"stop \$* $HOOKENV\" >>'$HOOKLOG'
sleep 0.0\$((\$\$ % 5 + 1))\$((\$\$ / 5 % 10))"
write_hook g unbind "echo \"unbind \$* $HOOKENV\" >>'$HOOKLOG'"

now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }

# live[pid]=index; fate[pid]=none|KILL|TERM; due[pid]=ms when to signal; sent[pid]=signal sent
declare -A live=() fate=() due=() sent=()
n=0 n_kill=0 n_term=0 n_none=0 n_reaped=0 bad=""
# Our live children only: a pid we have not reaped yet cannot be reused, so killing it is safe.
test_cleanup() { local p; for p in "${!live[@]}"; do kill -KILL "$p" 2>/dev/null; done; run_cleanups; }

start_one() {
	local cmd r=$((RANDOM % 100)) p
	if [ $((RANDOM % 4)) = 0 ]; then cmd=(true); else cmd=(sleep "0.$((RANDOM % 3))$((RANDOM % 10))"); fi
	env --default-signal "$CZ" g c "${cmd[@]}" >/dev/null 2>"$T/chaos/$n.err" </dev/null &
	p=$!
	live[$p]=$n
	n=$((n + 1))
	if [ "$r" -lt 38 ]; then fate[$p]=KILL; elif [ "$r" -lt 50 ]; then fate[$p]=TERM
	else fate[$p]=none n_none=$((n_none + 1)); fi
	# mostly early (setup), sometimes later (command, teardown)
	if [ $((RANDOM % 2)) = 0 ]; then due[$p]=$(($(now_ms) + RANDOM % 40)); else due[$p]=$(($(now_ms) + RANDOM % 400)); fi
}

reap() { # reap PID: collect the exit status and judge it
	local p=$1 i=${live[$1]} st
	wait "$p"; st=$?
	case "${sent[$p]:-none}:$st" in
	none:0 | KILL:0 | KILL:137 | TERM:0 | TERM:143) ;;
	*) bad+="session $i (${sent[$p]:-not signalled}) exited $st: $(head -c 300 "$T/chaos/$i.err")"$'\n' ;;
	esac
	unset "live[$p]" "fate[$p]" "due[$p]" "sent[$p]"
	n_reaped=$((n_reaped + 1))
}

# Phases of 0.5 to 2 s, each with its own limit of concurrent sessions: with 1 or 2 the
# container is torn down and set up again all the time, with 10 sessions mostly join.
pars=(1 1 1 2 2 3 5 10)
exec 3>&2 2>/dev/null # no "Killed" job notices from bash
end=$((SECONDS + secs)) phase_end=0
while [ "$SECONDS" -lt "$end" ] || [ "$n_none" -lt 10 ] || [ "$n_kill" -lt 10 ] || [ "$n_term" -lt 3 ]; do
	if [ "$(now_ms)" -ge "$phase_end" ]; then
		maxpar=${pars[RANDOM % ${#pars[@]}]}
		phase_end=$(($(now_ms) + 500 + RANDOM % 1500))
	fi
	k=$((RANDOM % 4 + 1))
	while [ "$k" -gt 0 ] && [ "${#live[@]}" -lt "$maxpar" ]; do start_one; k=$((k - 1)); done
	sleep "0.00$((RANDOM % 10))"
	t=$(now_ms)
	for p in "${!live[@]}"; do
		if [ -z "${sent[$p]:-}" ] && [ "${fate[$p]}" != none ] && [ "$t" -ge "${due[$p]}" ]; then
			kill -"${fate[$p]}" "$p" 2>/dev/null
			sent[$p]=${fate[$p]}
			if [ "${fate[$p]}" = KILL ]; then n_kill=$((n_kill + 1)); else n_term=$((n_term + 1)); fi
		fi
		alive "$p" || reap "$p"
	done
done

# wait for all (bounded): a session that hangs is a failure
i=0
while [ "${#live[@]}" -gt 0 ] && [ "$i" -lt 600 ]; do
	for p in "${!live[@]}"; do alive "$p" || reap "$p"; done
	sleep 0.05; i=$((i + 1))
done
exec 2>&3 3>&-
hung=""
for p in "${!live[@]}"; do
	hung+="session ${live[$p]} (pid $p, ${sent[$p]:-not signalled}) still running after 30 s"$'\n'
	kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; unset "live[$p]"
done
diag "chaos: $n sessions in $((SECONDS - end + secs))s, $n_none not to be signalled, $n_kill SIGKILLed, $n_term SIGTERMed"
assert_eq "" "$hung" "chaos: every session ended"
assert_eq "$n" "$n_reaped" "chaos: every session started was waited for and its exit status judged"
assert_eq "" "$bad" "chaos: unsignalled sessions exit 0, SIGTERMed ones 0 or 143, SIGKILLed ones 0 or 137"

run cz g c true
assert_eq 0 "$status" "chaos: a normal run afterwards exits 0" || diag "stderr: $err"
sleep 0.3 # hooks orphaned by a SIGKILLed teardown may still be logging

assert_clean g c "$T/before"
assert_no_file "$CONTAINERIZE_RUNDIR/g" "no run-dir entry left for group g"
procs_left() { # live (not zombie) processes in a cgroup below $CGNAME, with what they run
	local f p
	for f in $(grep -l "/$CGNAME/" /proc/[0-9]*/cgroup 2>/dev/null); do
		p=${f#/proc/}; p=${p%/cgroup}
		alive "$p" && echo "pid $p: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) ($(cat "$f" 2>/dev/null))"
	done
}
for i in $(seq 20); do left=$(procs_left); [ -z "$left" ] && break; sleep 0.05; done
assert_eq "" "$left" "no process left in any instance cgroup of the group"

nb=$(hook_count bind) ns=$(hook_count stop) nu=$(hook_count unbind)
diag "hooks: bind $nb, stop $ns, unbind $nu"
# unbind runs once bind was started, even if the setup was killed before the
# bind hook wrote its first line: so unbind may exceed the logged binds (by
# the setups killed in that window), never the other way round.
if [ "$nu" -ge "$nb" ]; then pass "every bind run has its unbind"; else fail "every bind run has its unbind" "bind $nb unbind $nu"; fi
if [ "$ns" -le "$nb" ]; then pass "no more stop than bind runs"; else fail "no more stop than bind runs" "bind $nb stop $ns"; fi
# per instance: the hook log names CONTAINERIZE_PID
awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^P=/) { p = substr($i, 3); c[p] = 1; n[$1 " " p]++ } }
	END { for (p in c) {
		b = n["bind " p] + 0; s = n["stop " p] + 0; u = n["unbind " p] + 0
		if (u > 1 || b > 1 || (b > 0 && u != 1)) print "instance " p ": bind " b ", unbind " u
		if (s > 1) print "instance " p ": stop " s } }' "$HOOKLOG" | sort >"$T/per-instance"
if [ ! -s "$T/per-instance" ]; then pass "per instance: unbind at most once and always after a bind, stop at most once"
else
	fail "per instance: unbind at most once and always after a bind, stop at most once" "$(head -20 "$T/per-instance")" \
		"($(wc -l <"$T/per-instance") instances; their hook log lines, with line numbers:)" \
		"$(for p in $(awk '{ print $2 }' "$T/per-instance" | tr -d : | sort -u | head -5); do
			grep -n "P=$p " "$HOOKLOG" | sed 's/ T=[^ ]*//; s/ C=.*//; s|'"$TREE"'|TREE|'; done)"
fi
done_testing
