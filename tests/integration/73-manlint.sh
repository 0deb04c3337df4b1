#!/bin/bash
# The man pages (doc/*.1, doc/*.5, doc/*.8): mandoc -T lint and man --warnings say nothing;
# containerize.1 documents every option of `containerize --help` and `containerize-shell
# --help` and every exit status that --help names; pam_containerize.8 documents every option
# the module parses.
. "$(dirname "$0")/../lib/tap.sh"

if ! command -v mandoc >/dev/null || ! command -v man >/dev/null; then
	make -C "$REPO" -s deps DEPS="mandoc man-db" >"$T/deps.log" 2>&1
fi
if ! command -v mandoc >/dev/null || ! command -v man >/dev/null; then
	skip "man page lint" "mandoc or man-db missing and cannot be installed"
	done_testing
fi

pages=("$REPO"/doc/*.1 "$REPO"/doc/*.5 "$REPO"/doc/*.8)
check "there are man pages in sections 1, 5 and 8" test -f "${pages[0]}" -a -f "${pages[1]}" -a -f "${pages[2]}"
for f in "${pages[@]}"; do
	name=${f#"$REPO"/}
	lint=$(mandoc -T lint -W warning "$f" 2>&1)
	assert_eq "" "$lint" "mandoc -T lint -W warning $name: nothing"
	warn=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$f" 2>&1 >/dev/null)
	assert_eq "" "$warn" "man --warnings $name: nothing"
	# .TH NAME SECTION: the name and section match the file name
	th=$(awk '$1 == ".TH" { print tolower($2) "." $3; exit }' "$f")
	base=${f##*/}
	assert_eq "${base,,}" "$th" ".TH of $name names the page and section of its file name"
done

# The rendered text, plain ASCII (\- becomes -), for the option checks.
text() { mandoc -T ascii "$1" | col -b; }
text "$REPO/doc/containerize.1" >"$T/containerize.1.txt"
text "$REPO/doc/pam_containerize.8" >"$T/pam_containerize.8.txt"

run "$CZ" --help
assert_eq 0 "$status" "containerize --help exits 0"
help=$out
opts=$(grep -oE -- '(^|[^A-Za-z0-9-])--[a-z][a-z-]*' <<<"$help" | grep -oE -- '--[a-z][a-z-]*' | sort -u)
assert_ne "" "$opts" "containerize --help lists long options"
for o in $opts; do
	assert_match "$T/containerize.1.txt" "(^|[^A-Za-z0-9-])$o([^A-Za-z0-9-]|$)" "containerize.1 documents $o (from --help)"
done
for o in $(grep -oE -- '(^|[ ,[|])-[A-Za-z]\b' <<<"$help" | grep -oE -- '-[A-Za-z]' | sort -u); do
	assert_match "$T/containerize.1.txt" "(^|[^A-Za-z0-9-])$o([^A-Za-z0-9-]|$)" "containerize.1 documents $o (from --help)"
done
codes=$(grep -oE '\b12[0-9]\b' <<<"$help" | sort -u)
for c in 125 126 127; do
	assert_contains "$codes" "$c" "containerize --help names exit status $c"
done
for c in $codes; do
	assert_match "$T/containerize.1.txt" "(^|[^0-9])$c([^0-9]|$)" "containerize.1 documents exit status $c"
done

run "$(dirname "$CZ")/containerize-shell" --help
assert_eq 0 "$status" "containerize-shell --help exits 0"
for o in $(grep -oE -- '(^|[^A-Za-z0-9-])--?[a-z][a-z-]*' <<<"$out" | grep -oE -- '--?[a-z][a-z-]*' | sort -u); do
	assert_match "$T/containerize.1.txt" "(^|[^A-Za-z0-9-])$o([^A-Za-z0-9-]|$)" "containerize.1 documents containerize-shell's $o"
done

# The PAM module's options, from its parser (strncmp(a, "NAME=", N) / strcmp(a, "NAME")).
src=$REPO/pam_containerize/pam_containerize.c
popts=$(grep -oE 'str(n?)cmp\(a, "[a-z_]+=?"' "$src" | grep -oE '"[a-z_]+=?"' | tr -d '"' | sort -u)
assert_ne "" "$popts" "the module's options are found in its source"
for o in $popts; do
	assert_contains "$T/pam_containerize.8.txt" "$o" "pam_containerize.8 documents the option $o"
done

done_testing
