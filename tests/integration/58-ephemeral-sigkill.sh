#!/bin/bash
# Throwaway instances and SIGKILL: a session killed at any moment (setup, command, join,
# teardown; the --hold that set the instance up) leaves nothing that the next run of the
# instance, the next instance of the base, or the next entry of the base does not clean up:
# no mount (the host mount table as before: no pin under the run dir, hence no namespace
# holding the overlay and its tmpfs), no process in the instance cgroups (hence no process
# pinning a namespace and the upper's memory), no directory in the group (nor in the group's
# ephemeral-dir), no run-dir entry; the base is never written; --stop ends a throwaway
# instance like any other; a teardown killed around its stop or unbind still runs each once.
#
# The random part runs for CZ_CHAOS_SECS seconds (default 15; 8 in the sanitizer pass): on a
# few instance names of one base, sessions (setups, joins, --hold, entries of the base) start
# and about half of them are SIGKILLed after 0-40 ms; bind and stop hooks sleep a few ms so
# that kills land in the setup and the teardown too. Only pids this file started are killed.
. "$(dirname "$0")/../lib/tap.sh"

make_group g
make_container g base
log_hooks g
rm "$CONTAINERIZE_TREES/g/.container/profile"	# it writes into the tree: the base's, when entered
B="$CONTAINERIZE_TREES/g/base"
mounts_snapshot >"$T/before"
base_sum() { (cd "$B" && find . -printf '%p %y %m %u %g %s %T@ %l\n' | sort && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
base_sum >"$T/base.sum"

# nothing_left DESC: no directory but the base, no run-dir entry, mounts as before, no cgroup
nothing_left() {
	local left
	left=$(ls -A "$CONTAINERIZE_TREES/g" | grep -vx -e .container -e base)
	assert_eq "" "$left" "$1: no directory left in the group"
	left=$(ls -A "$CONTAINERIZE_RUNDIR/g" 2>/dev/null)
	assert_eq "" "$left" "$1: no run-dir entry left"
	assert_mounts_as "$T/before" "$1: host mount table as before (no pin, no mount)"
	left=$(find "$(cg2)/$CGNAME" -mindepth 1 -maxdepth 1 -type d 2>/dev/null)
	assert_eq "" "$left" "$1: no instance cgroup left (no process)"
	assert_eq "" "$(base_sum | diff "$T/base.sum" -)" "$1: the base is untouched"
}
# held NAME ARGS...: containerize --hold ARGS with stdin a fifo that never ends (this shell
# keeps it open, read-write, on fd 9), ready; HOLD_PID
mkfifo "$T/hold.in"
exec 9<>"$T/hold.in"
held() {
	local name=$1; shift
	rm -f "$T/$name.out"
	env --default-signal "$CZ" --hold "$@" <"$T/hold.in" >"$T/$name.out" 2>"$T/$name.err" &
	HOLD_PID=$!
	track_pid "$HOLD_PID"
	wait_nonempty "$T/$name.out" 10 || diag "hold $name: $(cat "$T/$name.err")"
}
kill_hold() { kill -KILL "$1"; wait_exit "$1" 2>/dev/null; }

# 1. the holder of an instance killed: the next entry of the base sweeps it
held h1 --ephemeral base g h1
h1=$HOLD_PID
run cz g h1 sh -c 'dd if=/dev/zero of=/root/big bs=1M count=4 2>/dev/null; echo x >/root/x'
kill_hold "$h1"
run cz --list
assert_match "$out" '^g +h1 +0 +base ' "--list shows the killed instance with 0 sessions and its base"
run cz g base sh -c 'echo base-ok'
assert_eq "0 base-ok" "$status $out" "the base is entered once its killed instance is swept"
assert_no_file "$CONTAINERIZE_TREES/g/h1" "the swept instance's directory is gone"
assert_eq 1 "$(grep -c "^unbind $CONTAINERIZE_TREES/g/h1" "$HOOKLOG")" "the swept instance's teardown ran unbind"
nothing_left "killed holder, base entered"

# 2. ... or the next instance of the base sweeps it
held h1 --ephemeral base g h1
kill_hold "$HOLD_PID"
run cz --ephemeral base g h2 true
assert_eq 0 "$status" "another instance of the base starts after a killed one"
assert_no_file "$CONTAINERIZE_TREES/g/h1" "and the killed one is swept"
nothing_left "killed holder, another instance"

# 3. ... or its own name: joined plainly, it is ended; with --ephemeral, it starts afresh
held h1 --ephemeral base g h1
run cz g h1 sh -c 'echo x >/root/x'
kill_hold "$HOLD_PID"
run cz g h1 true
assert_eq 125 "$status" "a plain entry of a killed throwaway instance fails"
assert_contains "$err" "it was a throwaway instance of base, now ended" "and says why"
held h1 --ephemeral base g h1
run cz g h1 sh -c 'test -e /root/x || echo fresh'
assert_eq "fresh" "$out" "--ephemeral on the name of a killed instance starts a fresh one"
run cz --stop g h1
assert_eq 0 "$status" "--stop ends a throwaway instance"
wait_exit "$HOLD_PID" 10
assert_eq 0 "$status" "the --hold of a stopped instance ends, exit 0"
assert_contains "$T/h1.err" "g/h1 ended under the hold" "and says why"
assert_no_file "$CONTAINERIZE_TREES/g/h1" "--stop removed its directory"
nothing_left "killed, then --stop"

# 3b. with ephemeral-dir (the upper layer in a directory of the instance's own on the host):
# a killed holder's directory is removed by the next run, and so is that of sessions killed
# at random moments of their setup, command and teardown
U=$T/upper
mkdir -m 755 "$U"
set_conf g ephemeral-dir "$U"
held h1 --ephemeral base g h1
run cz g h1 sh -c 'mkdir -p /root/a/b/c; dd if=/dev/zero of=/root/a/b/c/big bs=1M count=2 2>/dev/null'
assert_eq "g.h1.$HOLD_PID" "$(ls -A "$U")" "ephemeral-dir: the instance's upper directory is there"
kill_hold "$HOLD_PID"
run cz --ephemeral base g h2 true
assert_eq 0 "$status" "ephemeral-dir: another instance starts after a killed one"
assert_eq "" "$(ls -A "$U")" "ephemeral-dir: the killed instance's upper directory is removed by the sweep"
for i in $(seq 12); do
	env --default-signal "$CZ" --ephemeral base g h3 sh -c 'echo x >/root/x; sleep 0.05' >/dev/null 2>&1 </dev/null &
	p=$!
	sleep "0.0$((RANDOM % 10))$((RANDOM % 10))"
	{ kill -KILL "$p"; wait "$p"; } 2>/dev/null
done
run cz --ephemeral base g h3 true
assert_eq 0 "$status" "ephemeral-dir: after sessions killed at random moments, the name starts"
assert_eq "" "$(ls -A "$U")" "ephemeral-dir: nothing of the killed sessions is left in it"
rm "$CONTAINERIZE_TREES/g/.container/ephemeral-dir"
nothing_left "ephemeral-dir, killed"

# 4. a teardown killed right before or right after it starts stop or unbind (an LD_PRELOAD
# shim SIGKILLs the process at its posix_spawn of that hook): the next run of the name still
# runs the hook that had not started, and never one that had, for a throwaway instance as for
# its base entered plainly.  (A record of the hook's start made before the spawn lost the hook
# for good when the SIGKILL fell in between: each instance ran bind and never unbind.)
cat >"$T/killshim.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
typedef int spawn_fn(pid_t *, const char *, const posix_spawn_file_actions_t *,
		     const posix_spawnattr_t *, char *const[], char *const[]);
/* CZ_KILL_HOOK=NAME CZ_KILL_WHEN=before|after: SIGKILL ourselves around the spawn of
   .../NAME */
int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
		const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	spawn_fn *real = (spawn_fn *)dlsym(RTLD_NEXT, "posix_spawn");
	const char *hook = getenv("CZ_KILL_HOOK"), *when = getenv("CZ_KILL_WHEN"), *base = strrchr(path, '/');
	int hit = hook && when && base && strcmp(base + 1, hook) == 0, r;

	if (hit && strcmp(when, "before") == 0)
		raise(SIGKILL);
	r = real(pid, path, fa, attr, argv, envp);
	if (hit && strcmp(when, "after") == 0)
		raise(SIGKILL);
	return r;
}
C
if ! ldd "$CZ" >/dev/null 2>&1; then
	skip "a teardown killed around its hooks" "$CZ is not dynamically linked (LD_PRELOAD cannot reach it)"
elif ! cc -shared -fPIC -O2 -o "$T/killshim.so" "$T/killshim.c" -ldl 2>"$T/cc.err"; then
	bail "cc killshim.c: $(cat "$T/cc.err")"
else
	# count HOOK PID: lines of HOOK for the instance PID in the hook log
	count() { grep -c "^$1 .* P=$2 " "$HOOKLOG"; }
	for hook in stop unbind; do
		for when in before after; do
			for how in throwaway base; do
				if [ $how = throwaway ]; then args=(--ephemeral base g k); else args=(g base); fi
				# (a sanitizer build's runtime would refuse to come after the shim; bash's
				# report of the kill stays out of the TAP output)
				{ run env --default-signal LD_PRELOAD="$T/killshim.so" CZ_KILL_HOOK=$hook CZ_KILL_WHEN=$when \
					ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
					"$CZ" "${args[@]}" true; } 2>/dev/null
				p=$(sed -n 's/^bind .* P=\([0-9]*\) .*/\1/p' "$HOOKLOG" | tail -n 1)
				what="$how, killed $when its $hook hook starts"
				assert_eq 137 "$status" "$what: SIGKILLed" || diag "$err"
				# the next run of the name (a hook that started may still be running: wait for its line)
				run cz "${args[@]}" true
				assert_eq 0 "$status" "$what: the next run of the name works" || diag "$err"
				[ "$when" = after ] && for _ in $(seq 50); do [ "$(count "$hook" "$p")" = 1 ] && break; sleep 0.1; done
				assert_eq "1 1 1 3" "$(count bind "$p") $(count stop "$p") $(count unbind "$p") $(grep -c " P=$p " "$HOOKLOG")" \
					"$what: bind, stop and unbind each ran once for that instance" || diag "$(grep " P=$p " "$HOOKLOG")"
			done
		done
	done
	nothing_left "teardowns killed around their hooks"
fi

diag "deterministic part: $SECONDS s"
# 5. random kills
secs=${CZ_CHAOS_SECS:-15}
[ -n "${CZ_SKIP_SLOW:-}" ] && [ -z "${CZ_CHAOS_SECS:-}" ] && secs=8
write_hook g bind "echo \"bind \$* $HOOKENV\" >>'$HOOKLOG'
sleep 0.0\$((\$\$ % 2))\$((\$\$ / 3 % 10))"
write_hook g stop "echo \"stop \$* $HOOKENV\" >>'$HOOKLOG'
sleep 0.0\$((\$\$ % 2))\$((\$\$ / 5 % 10))"
names=(r1 r2 r3)
end=$((SECONDS + secs))
n=0 killed=0 odd=()
pids=()
while [ "$SECONDS" -lt "$end" ]; do
	name=${names[RANDOM % 3]}
	case $((RANDOM % 5)) in
	0 | 1) env --default-signal "$CZ" --ephemeral base g "$name" sh -c 'echo $$ >/root/w; dd if=/dev/zero of=/root/big bs=64k count=16 2>/dev/null; sleep 0.0$((RANDOM % 5))' >/dev/null 2>>"$T/chaos.err" </dev/null & ;;
	2) env --default-signal "$CZ" g "$name" sh -c 'cat /root/w' >/dev/null 2>>"$T/chaos.err" </dev/null & ;;
	3) env --default-signal "$CZ" --hold --ephemeral base g "$name" >/dev/null 2>>"$T/chaos.err" < <(exec sleep 0.0$((RANDOM % 10)) >/dev/null 2>&1) & ;;
	4) env --default-signal "$CZ" g base true >/dev/null 2>>"$T/chaos.err" </dev/null & ;;
	esac
	p=$!
	track_pid "$p"
	pids+=("$p")
	n=$((n + 1))
	if [ $((RANDOM % 2)) = 0 ]; then
		sleep "0.0$((RANDOM % 4))$((RANDOM % 10))"
		kill -KILL "$p" 2>/dev/null && killed=$((killed + 1))
	fi
	# keep a handful running at once
	while [ "$(jobs -rp | wc -l)" -gt 6 ]; do sleep 0.02; done
done
for p in "${pids[@]}"; do
	wait_exit "$p" 30
	case $status in 0 | 1 | 125 | 137) ;; *) odd+=("pid $p: $status") ;; esac
done
diag "$n sessions, $killed SIGKILLs sent; $SECONDS s"
assert_eq "" "${odd[*]}" "every session exited 0, 1 (the command), 125 (refused: base or instance in use) or 137 (killed)"
assert_eq "" "$(grep -v -e 'is the base of' -e 'is in use' -e 'now ended' -e 'no container' -e "can't open" \
	-e 'is live and is not' -e 'removed meanwhile' -e ' Killed  ' "$T/chaos.err" | sort | uniq -c)" "no error but the expected refusals"

# the next runs clean up whatever the kills left
for name in "${names[@]}"; do
	run cz --ephemeral base g "$name" true
	assert_eq 0 "$status" "after the chaos, an instance $name starts and ends" || diag "$err"
done
run cz g base true
assert_eq 0 "$status" "after the chaos, the base is entered" || diag "$err"
nothing_left "after the chaos"
# Per instance (P=): every bind has exactly one unbind, and no instance is undone twice.  An
# unbind without a logged bind is right: a SIGKILL can land after the setup recorded that bind
# started (the marker) and before the hook wrote its line; unbind then still undoes it.
hook_pids() { sed -n "s/^$1 .* P=\([0-9]*\) .*/\1/p" "$HOOKLOG" | sort; }
assert_eq "" "$(comm -23 <(hook_pids bind | uniq) <(hook_pids unbind | uniq))" \
	"every setup was torn down: each instance that ran bind ran unbind"
assert_eq "" "$(hook_pids bind | uniq -d)" "no instance ran bind twice"
# In total: as many unbinds as binds, plus one per setup killed between its bind marker and
# its bind hook's line (an unbind for an instance with no bind line).
nb=$(hook_pids bind | wc -l) nu=$(hook_pids unbind | wc -l)
early=$(comm -13 <(hook_pids bind | uniq) <(hook_pids unbind | uniq) | wc -l)
diag "$nb binds, $nu unbinds, $early of them for setups killed before their bind hook's line"
assert_eq "$nu" "$((nb + early))" "the total count balances: unbinds = binds + those early kills"
assert_eq "" "$(hook_pids unbind | uniq -d)" "no instance ran unbind twice"

done_testing
