#!/bin/bash
# bash completion (doc/containerize.bash-completion), driven as bash drives it: the
# bash-completion library and the file sourced, COMP_WORDS/COMP_CWORD/COMP_LINE/COMP_POINT set,
# _containerize / _containerize_shell called, COMPREPLY checked. Options; group names (only
# groups with .container/, only valid names, no symlinks) under the trees root from
# CONTAINERIZE_TREES (root only); instance names, never .container; nothing outside the trees
# root; --stop completing live containers from --list; containerize-shell's options.
. "$(dirname "$0")/../lib/tap.sh"

BC=/usr/share/bash-completion/bash_completion
COMPFILE=$REPO/doc/containerize.bash-completion
if [ ! -f "$BC" ]; then
	make -C "$REPO" -s deps DEPS=bash-completion >"$T/deps.log" 2>&1
fi
if [ ! -f "$BC" ]; then
	skip "bash completion" "no $BC and bash-completion cannot be installed"
	done_testing
fi
check "the completion file is valid bash" bash -n "$COMPFILE"

# comp [--as USER] WORD... : complete the last WORD (may be '') of the command line WORD...;
# prints COMPREPLY sorted, one a line. containerize is found in PATH as the repo's build. The
# completion file comes on descriptor 3: the checkout may be where USER cannot read (/root).
comp() {
	local as=()
	if [ "$1" = --as ]; then as=(setpriv --reuid="$2" --regid="$(id -g "$2")" --clear-groups); shift 2; fi
	"${as[@]}" env PATH="$(dirname "$CZ"):$PATH" bash -c '
		. "$1" || exit 1
		. /dev/fd/3 || exit 1
		exec 3<&-
		shift 1
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		COMPREPLY=()
		f=$(complete -p "$1" 2>/dev/null | sed -n "s/.*-F \([^ ]*\) .*/\1/p")
		[ -n "$f" ] || { echo "no completion for $1" >&2; exit 1; }
		"$f" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		[ ${#COMPREPLY[@]} -gt 0 ] && printf "%s\n" "${COMPREPLY[@]}" | sort
		exit 0' comp "$BC" "$@" 2>"$T/comp.err" </dev/null 3<"$COMPFILE"
}

# assert_comp EXPECTED DESC WORD...: COMPREPLY, sorted and joined with spaces, is EXPECTED
assert_comp() {
	local exp=$1 desc=$2 got; shift 2
	got=$(comp "$@" | xargs)
	if [ "$got" = "$exp" ] && [ ! -s "$T/comp.err" ]; then pass "$desc"
	else fail "$desc" "line: $(printf '%q ' "$@")" "expected: '$exp'" "     got: '$got'" "stderr: $(cat "$T/comp.err")"; fi
}

# --- trees: groups g (c, c2) and other (x); a directory without .container, a hidden one,
# one with an invalid name, a plain file, a symlink to a group outside the trees root.
make_group g
make_container g c
mkdir -p "$CONTAINERIZE_TREES/g/c2" "$CONTAINERIZE_TREES/g/.hidden" "$CONTAINERIZE_TREES/g/bad name"
make_group other
make_container other x
mkdir -p "$CONTAINERIZE_TREES/nogroup" "$CONTAINERIZE_TREES/.hidden/.container" "$CONTAINERIZE_TREES/bad name/.container"
: >"$CONTAINERIZE_TREES/afile"
mkdir -p "$T/outside/.container" "$T/outside/secret"
ln -s "$T/outside" "$CONTAINERIZE_TREES/link"
ln -s "$T/outside/secret" "$CONTAINERIZE_TREES/g/c-link"

# --- containerize: options
assert_comp "--list" "--l completes to --list" containerize --l
assert_comp "--stop" "--s completes to --stop" containerize --s
assert_comp "-- --all --directory= --ephemeral --error-exit= --help --hold --info --list --stop --user= --version" "-- offers the long options" containerize --
assert_comp "-- --all --directory= --ephemeral --error-exit= --help --hold --info --list --stop --user= --version -V -d -h -l -u" "- offers every option" containerize -
assert_comp "--all" "--list -: --all" containerize --list -
assert_comp "" "nothing after --list --all" containerize --list --all ''
assert_comp "" "nothing after -l" containerize -l ''
assert_comp "--info" "--i completes to --info" containerize --i
assert_comp "g other" "--info: GROUP" containerize --info ''
assert_comp "c c2" "--info GROUP: CONTAINER" containerize --info g ''
assert_comp "" "--info GROUP CONTAINER: nothing more" containerize --info g c ''
assert_comp "--directory=" "--d completes to --directory=" containerize --d
assert_comp "root" "-u USER: user names" containerize -u roo
assert_comp "root" "--user=USER: user names" containerize --user=roo
assert_comp "root" "--user USER: user names" containerize --user roo
assert_comp "/etc" "-d DIR: directories" containerize -d /et
assert_comp "/etc" "--directory=DIR: directories" containerize --directory=/et
assert_comp "g other" "GROUP after -d DIR -u USER" containerize -d /etc -u root ''
assert_comp "c c2" "CONTAINER after --directory=DIR --user USER GROUP" containerize --directory=/etc --user root g ''
assert_comp "" "no option after -d DIR GROUP" containerize -d /etc g --l
assert_comp "--ephemeral" "--ep completes to --ephemeral" containerize --ep
assert_comp "" "nothing for BASE after --ephemeral" containerize --ephemeral ''
assert_comp "g other" "GROUP after --ephemeral BASE" containerize --ephemeral b ''
assert_comp "c c2" "CONTAINER after --hold --ephemeral BASE GROUP" containerize --hold --ephemeral b g ''
assert_comp "254 255" "--error-exit N offers 254 and 255" containerize --error-exit ''
assert_comp "254 255" "--error-exit=N offers 254 and 255" containerize --error-exit=
assert_comp "g other" "GROUP after --error-exit N" containerize --error-exit 255 ''
assert_comp "" "nothing after --list" containerize --list ''
assert_comp "" "nothing after --help" containerize --help ''
assert_comp "" "no option after GROUP" containerize g --l

# --- groups and instances
assert_comp "g other" "GROUP: the groups under the trees root (with .container, valid names, no symlinks)" containerize ''
assert_comp "other" "GROUP: by prefix" containerize o
assert_comp "g other" "GROUP after --" containerize -- ''
assert_comp "c c2" "CONTAINER: the instances of the group, never .container or invalid names, no symlinks" containerize g ''
assert_comp "c c2" "CONTAINER: by prefix" containerize g c
assert_comp "c c2" "CONTAINER after -- GROUP" containerize -- g ''
assert_comp "x" "CONTAINER of another group" containerize other ''
assert_comp "" "CONTAINER of a missing group: nothing" containerize nosuch ''
for g in .. . ../outside '../outside/' link "$T/outside" ../../.. .container; do
	assert_comp "" "CONTAINER of group '$g': nothing (outside the trees root or invalid)" containerize "$g" ''
done
assert_comp "" "GROUP '..': nothing" containerize ..
assert_comp "" "GROUP '../': nothing" containerize ../
out=$(comp containerize g c '' | grep -c .)
[ "$out" -gt 10 ] && pass "COMMAND: command names ($out)" || fail "COMMAND: command names" "got $out"
assert_contains "$(comp containerize g c ech)" "echo" "COMMAND: 'ech' offers echo"

# --- as a user other than root, CONTAINERIZE_TREES is not honoured (containerize ignores it)
if getent passwd nobody >/dev/null; then
	assert_comp "$(cd /trees 2>/dev/null && for d in */; do [ -d "$d.container" ] && [ ! -L "${d%/}" ] && printf '%s ' "${d%/}"; done | xargs)" \
		"GROUP as nobody: /trees, not CONTAINERIZE_TREES" --as nobody containerize ''
else
	skip "GROUP as nobody" "no user nobody"
fi

# --- --stop: live containers
assert_comp "" "--stop with nothing live: nothing" containerize --stop ''
cz_bg live g c sleep 30
i=0
until cz --list 2>/dev/null | awk 'NR > 1 { print $1, $2 }' | grep -qx 'g c'; do
	i=$((i + 1)); [ $i -gt 100 ] && break
	sleep 0.1
done
cz_bg live2 other x sleep 30
i=0
until cz --list 2>/dev/null | awk 'NR > 1 { print $1, $2 }' | grep -qx 'other x'; do
	i=$((i + 1)); [ $i -gt 100 ] && break
	sleep 0.1
done
assert_comp "g other" "--stop: the groups with a live container" containerize --stop ''
assert_comp "g" "--stop g: by prefix" containerize --stop g
assert_comp "c" "--stop g: the live containers of g only (not c2)" containerize --stop g ''
assert_comp "x" "--stop other: x" containerize --stop other ''
assert_comp "" "--stop G C: nothing more" containerize --stop g c ''
assert_comp "" "--stop as nobody: nothing (--list is root's)" --as nobody containerize --stop ''
run cz --stop g c
assert_eq 0 "$status" "containerize --stop g c" || diag "$err"
run cz --stop other x
wait_exit "$BG_PID" 20
assert_comp "" "--stop after the stop: nothing live" containerize --stop ''

# --- containerize-shell
assert_comp "--help --login -c -h -l" "containerize-shell - offers its options" containerize-shell -
assert_comp "--login" "containerize-shell --l completes to --login" containerize-shell --l
assert_contains "$(comp containerize-shell -c ech)" "echo" "containerize-shell -c ech offers echo"
assert_contains "$(comp containerize-shell -l -c ech)" "echo" "containerize-shell -l -c ech offers echo"
assert_comp "" "containerize-shell -c CMD: nothing more" containerize-shell -c ls ''
assert_comp "" "containerize-shell --help: nothing more" containerize-shell --help ''

done_testing
