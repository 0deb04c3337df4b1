#!/bin/bash
# The C unit tests run clean under valgrind: no invalid access, no use of
# uninitialised memory, no leak.
. "$(dirname "$0")/../lib/tap.sh"

top=$(cd "$(dirname "$0")/../.." && pwd)
if ! command -v valgrind >/dev/null; then
	skip "valgrind on the unit tests" "valgrind is not installed"
	done_testing
	exit 0
fi
for t in "$top"/tests/unit/test_*.c; do
	bin=${t%.c}
	name=${bin##*/}
	if [ ! -x "$bin" ]; then
		fail "$name is built"
		continue
	fi
	if ldd "$bin" 2>/dev/null | grep -q libasan; then
		skip "$name under valgrind" "built with ASan"
		continue
	fi
	valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
		"$bin" >"$T/$name.out" 2>"$T/$name.vg"
	rc=$?
	if [ "$rc" = 0 ]; then
		pass "$name is clean under valgrind"
	else
		fail "$name is clean under valgrind (exit $rc)" "$(head -20 "$T/$name.vg")"
	fi
done
done_testing
