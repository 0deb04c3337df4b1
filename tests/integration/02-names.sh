#!/bin/bash
# GROUP and CONTAINER names: [A-Za-z0-9][A-Za-z0-9_.+-]*, at most 64 bytes; anything else is
# refused with 125 before anything happens (no hook, no run-dir entry). Missing groups too.
. "$(dirname "$0")/../lib/tap.sh"

setup_std
mounts_snapshot >"$T/before"

name64=$(printf 'n%.0s' $(seq 64))
name65=$(printf 'n%.0s' $(seq 65))

# printable bad names: the error must name them
for bad in .. . a/b .container -x ../c "$name65" 'a b' 'a*' '_a' '+a' 'a:b'; do
	run cz -- "$bad" c true
	assert_eq 125 "$status" "bad GROUP $(printf '%q' "$bad") is refused with 125"
	assert_contains "$err" "$bad" "the error names the bad GROUP $(printf '%q' "$bad")"
	run cz -- g "$bad" true
	assert_eq 125 "$status" "bad CONTAINER $(printf '%q' "$bad") is refused with 125"
	assert_contains "$err" "$bad" "the error names the bad CONTAINER $(printf '%q' "$bad")"
done
assert_error_line "$err" "the error is one line starting 'containerize: '"

# empty and control characters: refused (a message, however it renders them)
for bad in '' $'a\nb' $'a\tb' $'a\001b' $'a\177b' 'é'; do
	run cz -- g "$bad" true
	assert_eq 125 "$status" "CONTAINER $(printf '%q' "$bad") is refused with 125"
	assert_match "$err" '^containerize: ' "the refusal of $(printf '%q' "$bad") says why"
	run cz -- "$bad" c true
	assert_eq 125 "$status" "GROUP $(printf '%q' "$bad") is refused with 125"
done

assert_eq 0 "$(hook_count bind)" "no hook ran for any bad name"
if [ -z "$(ls -A "$CONTAINERIZE_RUNDIR/g" 2>/dev/null)" ]; then pass "no run-dir entry for any bad name"
else fail "no run-dir entry for any bad name" "$(ls -laR "$CONTAINERIZE_RUNDIR")"; fi
# Paths containerize builds are limited to 1023 bytes (CZ_PATH_MAX): a longer trees root or
# run dir is refused with one line saying so, before anything is set up.
long=$T/long; for i in 1 2 3 4 5; do long=$long/$(printf 'd%.0s' $(seq 200)); done
mkdir -p "$long/g/c"
cp -a "$CONTAINERIZE_TREES/g/.container" "$long/g/" 2>/dev/null || mkdir -p "$long/g/.container"
CONTAINERIZE_TREES=$long run cz g c true
assert_eq 125 "$status" "a trees path over 1023 bytes is refused with 125"
assert_contains "$err" "trees path too long" "the error says the trees path is too long"
assert_error_line "$err" "that error is one line starting 'containerize: '"
CONTAINERIZE_RUNDIR=$long/run run cz g c true
assert_eq 125 "$status" "a run dir path over 1023 bytes is refused with 125"
assert_contains "$err" "path too long" "the error says the run dir path is too long"
assert_eq 0 "$(hook_count bind)" "no hook ran for a path too long"
assert_mounts_as "$T/before" "host mount table unchanged by refusals"

# good names
for good in "a.b+c_d-e" "$name64" "0"; do
	make_container g "$good"
	run cz g "$good" echo ran
	assert_eq "ran" "$out" "CONTAINER name $(printf '%q' "$good") is accepted"
done
make_group "A1.b+c_d-e"
make_container "A1.b+c_d-e" c
run cz "A1.b+c_d-e" c echo ran
assert_eq "ran" "$out" "GROUP name with . + _ - is accepted"

# missing things
run cz nosuchgroup c true
assert_eq 125 "$status" "a group that does not exist is refused with 125"
assert_contains "$err" "nosuchgroup" "the error names the missing group"
mkdir -p "$CONTAINERIZE_TREES/nocfg/c"
make_busybox_tree "$CONTAINERIZE_TREES/nocfg/c"
run cz nocfg c true
assert_eq 125 "$status" "a group without .container is refused with 125"
assert_contains "$err" ".container" "the error mentions .container"
run cz g nosuchcontainer true
assert_eq 125 "$status" "a container tree that does not exist is refused with 125"
assert_contains "$err" "nosuchcontainer" "the error names the missing container"
assert_error_line "$err" "the error is one line starting 'containerize: '"

assert_eq "$(hook_count bind)" "$(hook_count unbind)" "bind and unbind counts match"
assert_clean g c "$T/before"
done_testing
