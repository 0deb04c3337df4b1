#!/bin/bash
# timeout: 480
# libFuzzer on every parser (map file lines, unshare-options, propagation,
# cgroup-name and shell, names, state file, the group fstab) for a bounded time, when clang
# is present; then every saved regression input is replayed.
. "$(dirname "$0")/../lib/tap.sh"

top=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${CZ_FUZZ_SECONDS:-5}
targets="mapfile unshare propagation names state fstab"

if [ -n "${CZ_SKIP_SLOW:-}" ]; then
	skip "fuzzing" "CZ_SKIP_SLOW is set (the sanitizer pass of CI)"
	done_testing
	exit 0
fi
if ! command -v clang >/dev/null; then
	for t in $targets; do skip "fuzz $t" "clang is not installed"; done
	done_testing
	exit 0
fi

work=$T/fuzz
mkdir -p "$work"
for t in $targets; do
	bin=$work/fuzz_$t
	if ! clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-D_GNU_SOURCE -DTARGET_"$t" -DCZ_TREES='"/trees"' -DCZ_RUNDIR='"/run/containerize"' \
		-DCZ_CONF='"/etc/containerize.conf"' -I"$top/common" $(pkg-config --cflags mount) \
		-o "$bin" "$top/tests/fuzz/fuzz_targets.c" "$top"/common/*.c $(pkg-config --libs mount) \
		>"$work/$t.build" 2>&1; then
		fail "fuzz $t builds" "$(tail -5 "$work/$t.build")"
		continue
	fi
	mkdir -p "$work/corpus-$t" "$top/tests/fuzz/regressions/$t"
	# Replay saved regressions first: every crash found becomes one.
	if ls "$top/tests/fuzz/regressions/$t"/* >/dev/null 2>&1; then
		"$bin" "$top/tests/fuzz/regressions/$t"/* >"$work/$t.replay" 2>&1
		assert_eq 0 $? "fuzz $t: regression inputs replay cleanly"
	fi
	(cd "$work" && "$bin" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=1024 \
		-artifact_prefix="$work/crash-$t-" "$work/corpus-$t" >"$work/$t.log" 2>&1)
	rc=$?
	if [ "$rc" != 0 ]; then
		for c in "$work"/crash-"$t"-*; do
			[ -e "$c" ] && cp "$c" "$top/tests/fuzz/regressions/$t/"
		done
		fail "fuzz $t for ${seconds}s finds no crash" "$(grep -m5 -E 'ERROR|SUMMARY|runtime error' "$work/$t.log")"
	else
		pass "fuzz $t for ${seconds}s finds no crash ($(grep -oE '#[0-9]+' "$work/$t.log" | tail -1 | tr -d '#') runs)"
	fi
done
done_testing
