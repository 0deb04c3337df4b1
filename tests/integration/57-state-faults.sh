#!/bin/bash
# timeout: 480
# Errors of the moment at every read and write of a container's run-dir files never lose a
# container (SPEC 6, SECURITY.md "Errors of the moment"): an LD_PRELOAD shim
# (tests/faults/shim.c) makes the Nth open, read, write or rename of lock, state, state.new
# or ref fail once with EMFILE, ENOMEM, EIO, EINTR or EFBIG, for N = 1, 2, ... until the run
# makes no more such calls (which errno at which call: see the loops at the end). Two
# scenarios:
#   alone: the faulty run sets the container up and tears it down;
#   last:  the faulty run joins a session A holds, A ends, and the faulty run's end is the
#          teardown.
# After each: a normal run works; then every instance (by its pid in the hook log) had
# exactly one bind and one unbind, and a stop exactly when a command ran in it; the run-dir
# entry is gone, no process or cgroup of ours is left, the mount table is back, --list is
# empty. A run that failed said why in a line "containerize: ..." naming the error.
# Root's runs of a dynamically linked build (the loader ignores LD_PRELOAD under setuid).
. "$(dirname "$0")/../lib/tap.sh"

setup_std
if ! ldd "$CZ" >/dev/null 2>&1; then
	skip "fault injection" "$CZ is not dynamically linked (LD_PRELOAD cannot reach it)"
	done_testing
fi
cc -shared -fPIC -O2 -o "$T/shim.so" "$REPO/tests/faults/shim.c" -ldl || bail "cc shim.c"
mounts_snapshot >"$T/before"
RAN="$TREE/ran.log"
: >"$RAN"
LOGCMD='cat /proc/self/cgroup >>/ran.log'
FAULTLOG="$T/faults.log"

ran_count() { wc -l <"$RAN"; }
strerr() {
	case $1 in
	EMFILE) echo "Too many open files" ;; ENOMEM) echo "Cannot allocate memory" ;;
	EIO) echo "Input/output error" ;; EINTR) echo "Interrupted system call" ;;
	EFBIG) echo "File too large" ;;
	esac
}
faulty() { # faulty OP N ERRNO NAME ARGS...: containerize in the background with the shim
	local op=$1 n=$2 e=$3 name=$4
	shift 4
	# (a sanitizer build's runtime would refuse to come after the shim)
	env --default-signal LD_PRELOAD="$T/shim.so" CZ_FAULT_DIR="$CONTAINERIZE_RUNDIR" CZ_FAULT_OP="$op" \
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		CZ_FAULT_N="$n" CZ_FAULT_ERRNO="$e" CZ_FAULT_LOG="$FAULTLOG" \
		timeout -k 5 30 "$CZ" "$@" >"$T/$name.out" 2>"$T/$name.err" </dev/null &
	BG_PID=$!
	track_pid "$BG_PID"
}
wait_ran() { wait_lines "$RAN" "$@"; } # wait_ran COUNT PID: until COUNT commands ran, or PID ended

# problems: what is wrong after a case, one line each (empty: all is well); then the hook
# log and ran.log start afresh for the next case
problems() {
	[ -e "$CONTAINERIZE_RUNDIR/g/c" ] && echo "run-dir entry left: $(ls "$CONTAINERIZE_RUNDIR/g/c" | tr '\n' ' ')"
	# (cgroups, mounts and --list, which stay wrong once wrong: after each sweep)
	# per instance (its pid, P= in the hook log; the last field of the cgroup a command ran in)
	awk -v ranfile="$RAN" '
		BEGIN { while ((getline l < ranfile) > 0) { n = split(l, a, "/"); ran[a[n]] = 1 } }
		match($0, / P=[0-9]+ /) { p = substr($0, RSTART + 3, RLENGTH - 4); c[p, $1]++; seen[p] = 1 }
		END {
			for (p in seen) {
				r = (p in ran) ? 1 : 0
				if (c[p, "bind"] != 1 || c[p, "unbind"] != 1 || c[p, "stop"] != r)
					printf "instance %s: bind %d, unbind %d, stop %d, a command ran: %d\n", p,
						c[p, "bind"], c[p, "unbind"], c[p, "stop"], r
			}
		}' "$HOOKLOG"
	cat "$HOOKLOG" >>"$T/hooks.all"
	: >"$HOOKLOG"
	: >"$RAN"
}

# after_case OP N ERRNO NAME STATUS: the faulty run's message, the next run, the invariants
after_case() {
	local op=$1 n=$2 e=$3 name=$4 st=$5 bad
	if [ "$st" != 0 ] && ! grep -q "^containerize: .*$(strerr "$e")" "$T/$name.err"; then
		bad+="$op #$n $e: exit $st without a message naming the error: $(head -c 300 "$T/$name.err" | tr '\n' '|')"$'\n'
	fi
	# (a run that left nothing behind needs no next run to show that)
	if [ "$st" != 0 ] || [ -e "$CONTAINERIZE_RUNDIR/g/c" ]; then
		run cz g c sh -c "$LOGCMD"
		[ "$status" = 0 ] || bad+="$op #$n $e: the next run failed ($status): $err"$'\n'
	fi
	bad+=$(problems | sed "s/^/$op #$n $e: /")
	printf '%s' "$bad"
}

# case_alone OP N ERRNO: the faulty run is the only session. Prints problems.
case_alone() {
	faulty "$1" "$2" "$3" b g c sh -c "$LOGCMD"
	wait_exit "$BG_PID" 40
	after_case "$1" "$2" "$3" b "$status"
}

# case_last OP N ERRNO: A holds, the faulty run B joins, A ends, B's end tears down.
case_last() {
	local a r0
	rm -f "$TREE/release-a" "$TREE/release-b"
	r0=$(ran_count)
	env --default-signal "$CZ" g c sh -c "$LOGCMD; while [ ! -e /release-a ]; do sleep 0.05; done" \
		>"$T/a.out" 2>"$T/a.err" </dev/null &
	a=$!
	track_pid "$a"
	wait_ran $((r0 + 1)) "$a" || { echo "$1 #$2 $3: session A did not start: $(cat "$T/a.err")"; return; }
	faulty "$1" "$2" "$3" b g c sh -c "$LOGCMD; while [ ! -e /release-b ]; do sleep 0.05; done"
	wait_ran $((r0 + 2)) "$BG_PID"
	touch "$TREE/release-a"
	wait_exit "$a" 20
	[ "$status" = 0 ] || echo "$1 #$2 $3: session A ended with $status: $(cat "$T/a.err")"
	touch "$TREE/release-b"
	wait_exit "$BG_PID" 40
	after_case "$1" "$2" "$3" b "$status"
	rm -f "$TREE/release-a" "$TREE/release-b"
}

# sweep SCENARIO OP ERRNO: N = 1, 2, ... while the shim still finds an Nth call
sweep() {
	local sc=$1 op=$2 e=$3 n=0 bad="" made
	while :; do
		n=$((n + 1))
		made=$(wc -l <"$FAULTLOG" 2>/dev/null || echo 0)
		bad+=$("case_$sc" "$op" "$n" "$e")
		[ "$(wc -l <"$FAULTLOG" 2>/dev/null || echo 0)" = "$made" ] && break
		[ "$n" -ge 60 ] && { bad+="more than 60 calls?"; break; }
	done
	[ "$("$CZ" --list | awk 'NR > 1' | wc -l)" = 0 ] || bad+="--list: $("$CZ" --list | tail -n +2)"$'\n'
	[ -n "$(find "$(cg2)/$CGNAME" -mindepth 1 -maxdepth 1 -type d 2>/dev/null)" ] && bad+="instance cgroup left"$'\n'
	[ "$(mounts_snapshot)" = "$(cat "$T/before")" ] || bad+="mount table changed: $(diff "$T/before" <(mounts_snapshot))"
	if [ -z "$bad" ]; then pass "$sc: $e at each of the $((n - 1)) ${op}s of run-dir files: nothing lost"
	else fail "$sc: $e at each of the $((n - 1)) ${op}s of run-dir files: nothing lost" "$bad"; fi
}

# control: the shim reaches containerize and a fault shows
: >"$FAULTLOG"
faulty open 1 EMFILE b g c true
wait_exit "$BG_PID" 20
assert_eq 125 "$status" "control: EMFILE at the first open of the lock: exit 125"
assert_contains "$T/b.err" "Too many open files" "control: ... and it says why"
assert_contains "$FAULTLOG" "/lock" "control: the shim made the fault at the lock"
assert_eq "0 0" "$(hook_count bind) $(hook_count unbind)" "control: no hook ran"

# To the code the errors of the moment are one class, with two exceptions: EINTR on a read or
# write is retried, and a read that fails with EFBIG is a state too large to be one
# (malformed). So: each errno where it means something different, not every pair.
for oe in open:EMFILE open:ENOMEM open:EINTR read:EIO read:EINTR read:EFBIG read:ENOMEM \
	write:EFBIG write:EINTR write:EIO rename:EIO rename:ENOMEM; do
	[ "${CZ_SKIP_SLOW:-}" = 1 ] && case $oe in open:EMFILE | read:EFBIG | write:EFBIG | rename:EIO) ;; *) continue ;; esac
	sweep alone "${oe%:*}" "${oe#*:}"
done
for oe in open:EMFILE read:EIO write:EFBIG rename:EIO; do
	[ "${CZ_SKIP_SLOW:-}" = 1 ] && [ "$oe" != open:EMFILE ] && continue
	sweep last "${oe%:*}" "${oe#*:}"
done
assert_clean g c "$T/before"
done_testing
