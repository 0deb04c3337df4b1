#!/bin/bash
# What containerize-shell (and setuid containerize) hand to the user's shell: a cleaned
# environment (allow-list: TERM, LANG, LC_*, TZ, DISPLAY, COLORTERM, SSH_*; HOME, USER, LOGNAME,
# SHELL, PATH set for the user; LD_*, IFS, BASH_ENV, ENV and anything else never pass), even
# when the caller keeps its environment (su -m, --preserve-environment, a direct exec), and no
# descriptor but 0 1 2 even when the caller has others open. The rule's SHELL here is a static
# program that prints its argv, environment, descriptors and ids.
. "$(dirname "$0")/../lib/tap.sh"
. "$TAP_LIB/setuid-build.sh"
. "$TAP_LIB/users.sh"
. "$TAP_LIB/debtree.sh"

setuid_fixture
make_user env "$CZS" || bail "make_user"
U=$NEW_USER UID_=$NEW_UID GID_=$NEW_GID UHOME=$NEW_HOME
add_shell "$CZS"
DUMP=/usr/local/bin/cz-dumpenv
static_into_tree "$REPO/tests/unit/pam/dumpenv.c" "$TREE$DUMP" || bail "static build of dumpenv.c"
mkdir -p "$TREE/usr/local/lib"
gcc -shared -fPIC -O2 -o "$TREE/usr/local/lib/cz-preload.so" "$REPO/tests/unit/pam/preload.c" || bail "build preload.c"
printf 'echo BASH_ENV-SOURCED\n' >"$TREE/cz-bashenv"
set_map "$U g c $DUMP"
mounts_snapshot >"$T/before"

# the caller's dirty environment
DIRTY=(LD_PRELOAD=/usr/local/lib/cz-preload.so LD_LIBRARY_PATH=/cz-ldpath LD_BIND_NOW=1 LD_CZTEST=1
	LD_AUDIT=/cz-audit.so IFS=: BASH_ENV=/cz-bashenv ENV=/cz-bashenv CZTEST_JUNK=junk
	MALLOC_CHECK_=3 GCONV_PATH=/cz-gconv PYTHONPATH=/cz-py
	TERM=xterm-cztest LANG=C.UTF-8 LC_CTYPE=C.UTF-8 LC_ALL=C TZ=UTC DISPLAY=:7 COLORTERM=truecolor
	"SSH_CLIENT=10.1.2.3 4444 22" HOME=/root USER=root LOGNAME=root PATH=/cz-evil:/usr/bin:/bin SHELL="$CZS")

envcheck() { # envcheck WHAT: assertions on $out (dumpenv's output)
	local w=$1 v
	for v in LD_PRELOAD LD_LIBRARY_PATH LD_BIND_NOW LD_CZTEST LD_AUDIT IFS BASH_ENV ENV CZTEST_JUNK MALLOC_CHECK_ GCONV_PATH PYTHONPATH; do
		assert_not_contains "$out" "env $v=" "$w: $v does not pass"
	done
	for v in TERM=xterm-cztest LANG=C.UTF-8 LC_CTYPE=C.UTF-8 LC_ALL=C TZ=UTC DISPLAY=:7 COLORTERM=truecolor "SSH_CLIENT=10.1.2.3 4444 22"; do
		assert_contains "$out" "env $v"$'\n' "$w: $v passes"
	done
	assert_contains "$out" "env HOME=$UHOME"$'\n' "$w: HOME is the user's home"
	assert_contains "$out" "env USER=$U"$'\n' "$w: USER is the user"
	assert_contains "$out" "env LOGNAME=$U"$'\n' "$w: LOGNAME is the user"
	assert_match "$out" '^env SHELL=/' "$w: SHELL is set"
	assert_match "$out" '^env PATH=(.*:)?/usr/bin(:|$)' "$w: PATH is set for the user"
	assert_not_contains "$out" "/cz-evil" "$w: the caller's PATH does not pass"
	assert_eq 1 "$(grep -c '^env PATH=' <<<"$out")" "$w: PATH once"
	assert_contains "$out" "ids $UID_ $UID_ $UID_ $GID_ $GID_ $GID_"$'\n' "$w: all uids and gids are the user's"
	assert_contains "$out" "fds 0 1 2"$'\n' "$w: only descriptors 0 1 2"
}

# --- su -m (keeps the caller's environment), the caller holding descriptors 7 and 9
run env "${DIRTY[@]}" bash -c 'exec 7>"$1/fd7" 9<"$1/fd7"; exec timeout -k 5 30 su -m "$2" -c "the command"' _ "$T" "$U"
assert_eq 0 "$status" "su -m user -c: exit 0" || diag "$err"
assert_contains "$out" $'arg 1 -c\narg 2 the command\n' "su -m: the shell gets -c COMMAND"
assert_contains "$out" "cwd $UHOME"$'\n' "su -m: cwd is the user's home"
envcheck "su -m"
assert_not_contains "$err" "PRELOADED" "su -m: LD_PRELOAD loaded nowhere"

# --- a direct exec of containerize-shell by the user, descriptors 7 and 9 open
run as_user "$U" "${DIRTY[@]}" bash -c 'exec 7>/dev/null 9</dev/null; exec "$0" -c "cmd"' "$CZS"
envcheck "direct exec"

# --- login mode through su -: argv[0] is "-" + the shell's name, no arguments
run bash -c 'exec 7>/dev/null; timeout -k 5 30 su - "$1"' _ "$U"
assert_eq "arg 0 -cz-dumpenv" "$(head -n 1 "$T/run.out")" "su - user: the rule's shell gets argv[0] -cz-dumpenv (a login shell)" ||
	diag "status $status; stderr: $err"
assert_not_contains "$out" "arg 1 " "su - user: no arguments"
assert_contains "$out" "fds 0 1 2"$'\n' "su - user: only descriptors 0 1 2"

# --- setuid containerize G C COMMAND by the mapped user: same cleaning
run as_user "$U" "${DIRTY[@]}" bash -c 'exec 7>/dev/null 9</dev/null; exec "$0" g c "$1" one two' "$CZU" "$DUMP"
assert_eq 0 "$status" "setuid containerize g c COMMAND: exit 0" || diag "$err"
assert_contains "$out" $'arg 1 one\narg 2 two\n' "setuid containerize: COMMAND gets its arguments"
envcheck "setuid containerize"

# --- with bash as the rule's shell: BASH_ENV and LD_PRELOAD never reach it
set_map "$U g c /bin/bash"
run env "${DIRTY[@]}" timeout -k 5 30 su --preserve-environment "$U" -c 'echo ran; echo "I=${IFS@Q}"'
assert_eq "ran"$'\n'"I=$' \\t\\n'" "$out" "su --preserve-environment, bash: BASH_ENV not sourced, IFS default"
assert_not_contains "$err" "PRELOADED" "su --preserve-environment, bash: LD_PRELOAD not loaded"
# control: the library and BASH_ENV do work in this tree when they are passed (root CLI)
run cz g c env LD_PRELOAD=/usr/local/lib/cz-preload.so BASH_ENV=/cz-bashenv bash -c 'echo ran'
assert_contains "$err" "PRELOADED" "control: the preload library loads inside when it is passed"
assert_eq $'BASH_ENV-SOURCED\nran' "$out" "control: BASH_ENV is sourced inside when it is passed"

assert_eq "$(hook_count bind)" "$(hook_count unbind)" "every setup had its teardown"
assert_clean g c "$T/before"
done_testing
