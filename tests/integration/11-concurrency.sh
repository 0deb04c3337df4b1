#!/bin/bash
# 20 sessions started at the same instant: all succeed, setups and teardowns pair up exactly,
# nothing left afterwards.
. "$(dirname "$0")/../lib/tap.sh"

setup_std
mounts_snapshot >"$T/before"

run_wave() { # run_wave N: start N sessions at once, wait for all; prints failures
	local i pids=() bad=0
	for i in $(seq "$1"); do
		cz_bg "w$i" g c sh -c 'sleep 0.3'
		pids+=("$BG_PID")
	done
	for i in $(seq "$1"); do
		wait_exit "${pids[$((i - 1))]}" 30
		if [ "$status" != 0 ]; then
			bad=$((bad + 1))
			echo "session $i exited $status: $(head -c 300 "$T/w$i.err")"
		fi
	done
	return "$bad"
}

for wave in 1 2; do
	run_wave 20 >"$T/wave.log"
	if [ ! -s "$T/wave.log" ]; then pass "wave $wave: 20 concurrent sessions all exit 0"
	else fail "wave $wave: 20 concurrent sessions all exit 0" "$(cat "$T/wave.log")"; fi
	nb=$(hook_count bind) ns=$(hook_count stop) nu=$(hook_count unbind)
	if [ "$nb" -ge "$wave" ] && [ "$nb" = "$ns" ] && [ "$nb" = "$nu" ]; then
		pass "wave $wave: bind ran as often as stop and unbind ($nb)"
	else
		fail "wave $wave: bind ran as often as stop and unbind" "bind $nb stop $ns unbind $nu" "$(cat "$HOOKLOG")"
	fi
	# setups never overlap: in the log, each bind is followed by its stop and unbind
	if sed 's/ .*//' "$HOOKLOG" | tr '\n' ' ' | grep -qE '^(bind stop unbind )*$'; then
		pass "wave $wave: setups and teardowns strictly alternate"
	else
		fail "wave $wave: setups and teardowns strictly alternate" "$(sed 's/ |.*//' "$HOOKLOG")"
	fi
	assert_clean g c "$T/before"
done

# chaos: 20 concurrent sessions, 6 of them SIGKILLed at random moments (during setup, join,
# run or teardown); the others succeed, a later run works, and nothing is left.
pids=()
for i in $(seq 20); do cz_bg "k$i" g c sh -c 'sleep 0.4'; pids+=("$BG_PID"); done
victims=$(shuf -i 0-19 -n 6)
for v in $victims; do sleep "0.0$((RANDOM % 10))"; kill -KILL "${pids[$v]}" 2>/dev/null; done
bad=""
for i in $(seq 0 19); do
	wait_exit "${pids[$i]}" 30
	# shellcheck disable=SC2086,SC2116 # newlines to spaces
	case " $(echo $victims) " in *" $i "*) continue ;; esac
	[ "$status" = 0 ] || bad="$bad session $i: exit $status $(head -c 200 "$T/k$((i + 1)).err")"
done
assert_eq "" "$bad" "chaos: every session that was not killed exits 0"
run cz g c echo after-chaos
assert_eq "0 after-chaos" "$status $out" "chaos: a run afterwards works"
diag "chaos: bind $(hook_count bind) stop $(hook_count stop) unbind $(hook_count unbind)"
assert_clean g c "$T/before"

# concurrent sessions on different containers of one group
make_container g d
pids=() names=()
for i in $(seq 10); do
	for ctr in c d; do cz_bg "x$ctr$i" g "$ctr" sh -c 'sleep 0.2'; pids+=("$BG_PID"); names+=("x$ctr$i"); done
done
bad=0 why=()
for i in "${!pids[@]}"; do
	wait_exit "${pids[$i]}" 30
	[ "$status" = 0 ] || { bad=$((bad + 1)); why+=("${names[$i]}: exit $status $(head -c 300 "$T/${names[$i]}.err")"); }
done
assert_eq 0 "$bad" "10+10 concurrent sessions on two containers all exit 0" || diag "${why[@]}"
assert_eq "$(hook_count bind)" "$(hook_count unbind)" "bind and unbind counts match across containers"
assert_clean g c "$T/before"
assert_clean g d "$T/before"
done_testing
