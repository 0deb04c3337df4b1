#!/bin/bash
# The run dir becomes a private tmpfs of containerize's own on the first setup and stays; the
# instance cgroup goes at teardown, the group's <cgroup-name> directory above it stays.
. "$(dirname "$0")/../lib/tap.sh"

setup_std
run "$CZ" g c true
assert_eq 0 "$status" "a run"
line=$(awk -v d="$CONTAINERIZE_RUNDIR" '$5 == d' /proc/self/mountinfo)
assert_contains "$line" " - tmpfs " "the run dir is a tmpfs"
case $line in *shared:*) fail "the run dir mount is private" "$line" ;; *) pass "the run dir mount is private" ;; esac
run "$CZ" g c true
assert_eq 1 "$(awk -v d="$CONTAINERIZE_RUNDIR" '$5 == d' /proc/self/mountinfo | wc -l)" "a second run mounts nothing more"
if [ -d "$(cg2)/$CGNAME" ]; then pass "the <cgroup-name> directory stays"; else fail "the <cgroup-name> directory stays"; fi
assert_eq "" "$(find "$(cg2)/$CGNAME" -mindepth 1 -maxdepth 1 -type d)" "no instance cgroup is left"
done_testing
