# tests/lib/virt.sh: drive autopkgtest-virt-containerize over its stdin/stdout (sourced after
# tap.sh).
#
#   virt_start NAME ARGS...   starts the server (ARGS after --containerize $CZ) as a coprocess;
#                             its stderr goes to $T/NAME.err; sets VPID (its pid), and reads the
#                             greeting into $reply
#   virt_send LINE            sends LINE, reads one reply line into $reply (empty if the server
#                             said nothing within 60 s or died)
#   virt_aux                  after `print-execute-command`: the exec command, decoded, in the
#                             array AUX
#   virt_end                  closes the server's stdin and waits for it ($status)
#
# The end-to-end runs through real tools (81 autopkgtest, 82 sbuild; debtree.sh and
# builddtree.sh sourced too):
#   virt_e2e_setup WHAT TOOL  skips WHAT (and ends the file) if CZ_SKIP_SLOW is set, if TOOL or
#                             dpkg-source is missing and cannot be installed, or if there is no
#                             cached buildd tree; else the group g with that tree bound read-only
#                             as its base g/bookworm ($B; the tree itself: $base), the test
#                             package's source built as $T/cz-apt-test_1.0.dsc, and $T/bin with
#                             the server and containerize in it
#   virt_e2e_clean            asserts that nothing of g is left (no instance, no directory but
#                             the base) and that the cached tree was not written
# shellcheck shell=bash

VIRT_SERVER=$REPO/virt/autopkgtest-virt-containerize

virt_start() {
	local name=$1; shift
	coproc VIRT { exec env --default-signal "$VIRT_SERVER" --containerize "$CZ" "$@" 2>"$T/$name.err"; }
	VPID=$VIRT_PID # bash unsets VIRT_PID when the coprocess ends
	track_pid "$VPID"
	VIRT_IN=${VIRT[1]} VIRT_OUT=${VIRT[0]}
	reply=
	IFS= read -r -t 60 reply <&"$VIRT_OUT" || reply=
}

virt_send() {
	reply=
	printf '%s\n' "$1" 1>&"$VIRT_IN" 2>/dev/null || return 1
	IFS= read -r -t 60 reply <&"$VIRT_OUT" || reply=
}

# url-decode one word of the protocol
_virt_unquote() { printf '%b' "${1//%/\\x}"; }

virt_aux() {
	local parts p
	AUX=()
	IFS=, read -ra parts <<<"${reply#ok }"
	for p in "${parts[@]}"; do AUX+=("$(_virt_unquote "$p")"); done
}

virt_end() {
	local fd=$VIRT_IN
	exec {fd}>&-
	wait_exit "$VPID" "${1:-60}"
}

virt_e2e_setup() {
	local what=$1 tool=$2
	if [ -n "${CZ_SKIP_SLOW:-}" ]; then
		skip "$what" "CZ_SKIP_SLOW is set"
		done_testing
	fi
	if ! command -v "$tool" >/dev/null || ! command -v dpkg-source >/dev/null; then
		make -C "$REPO" -s deps DEPS="$tool dpkg-dev" >"$T/deps.log" 2>&1
	fi
	if ! command -v "$tool" >/dev/null || ! command -v dpkg-source >/dev/null; then
		skip "$what" "$tool or dpkg-dev missing and cannot be installed"
		done_testing
	fi
	if ! base=$(buildd_tree); then
		skip "$what" "no buildd tree (debootstrap failed; see $BUILDD_CACHE_ROOT)"
		done_testing
	fi
	make_group g
	B="$CONTAINERIZE_TREES/g/bookworm"
	mkdir "$B"
	on_cleanup "umount '$B' 2>/dev/null"
	check "the cached buildd tree is bound read-only as the base g/bookworm" mount --bind -r "$base" "$B"
	_virt_stamp=$(stat -c %Y "$base/var/lib/dpkg/status")
	cp -a "$REPO/tests/data/cz-apt-test" "$T/cz-apt-test-1.0"
	(cd "$T" && dpkg-source -b cz-apt-test-1.0 >"$T/dpkg-source.log" 2>&1)
	check "dpkg-source builds the test package's .dsc" test -f "$T/cz-apt-test_1.0.dsc"
	mkdir "$T/bin"
	ln -s "$VIRT_SERVER" "$T/bin/autopkgtest-virt-containerize"
	ln -s "$CZ" "$T/bin/containerize"
}

virt_e2e_clean() {
	assert_eq "" "$("$CZ" --list 2>/dev/null | awk 'NR > 1 && $1 == "g"')" "no instance of g is left"
	assert_eq "bookworm" "$(ls "$CONTAINERIZE_TREES/g")" "nothing but the base is left in the group"
	assert_eq "$_virt_stamp" "$(stat -c %Y "$base/var/lib/dpkg/status")" "the cached base tree is not written"
}
