#!/bin/bash
# The Debian packages: `make deb` builds containerize and libpam-containerize from a copy of
# the tree; lintian finds no error and no warning that debian/*.lintian-overrides does not
# explain; dpkg installs them (containerize-shell setuid root, the PAM module found by libpam
# by bare name, man pages, completion, examples; no /trees, no /run/containerize, /etc/shells
# untouched); the installed binary and module work; dpkg --purge leaves nothing behind.
#
# Skips (cleanly) when the build tools cannot be installed, or when a containerize that dpkg
# does not know about (a `make install` into /usr), or the packages themselves, are already
# installed: this test never clobbers them.
. "$(dirname "$0")/../lib/tap.sh"

if [ -n "${CZ_SKIP_SLOW:-}" ]; then
	skip "Debian packages" "CZ_SKIP_SLOW is set (the sanitizer pass of CI)"
	done_testing
	exit 0
fi

PKGS=(containerize libpam-containerize)
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
MOD=/usr/lib/$MA/security/pam_containerize.so

skip_all() { skip "Debian packages" "$1"; done_testing; }

# dpkg_locked LOG ARGS...: dpkg ARGS, output in LOG, waiting up to 2 minutes while another
# process (an apt-get of a concurrent test or session) holds the dpkg lock
dpkg_locked() {
	local log=$1 i; shift
	for i in $(seq 60); do
		dpkg "$@" >"$log" 2>&1 && return 0
		grep -q 'lock' "$log" || return 1
		sleep 2
	done
	return 1
}

# --- preconditions: nothing of ours to clobber
for p in "${PKGS[@]}"; do
	if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -qv 'not-installed'; then
		skip_all "package $p is already installed ($(dpkg-query -W -f='${Status}' "$p")); dpkg --purge it to run this test"
	fi
done
for f in /usr/bin/containerize /usr/bin/containerize-shell /usr/lib/*/security/pam_containerize.so \
	/lib/*/security/pam_containerize.so; do
	if [ -e "$f" ] || [ -L "$f" ]; then
		dpkg -S "$f" >/dev/null 2>&1 || skip_all "$f exists and belongs to no package (make uninstall PREFIX=/usr?)"
	fi
done
command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null && command -v lintian >/dev/null &&
	command -v fakeroot >/dev/null ||
	make -C "$REPO" -s deps DEPS="debhelper dpkg-dev fakeroot lintian build-essential pkg-config libpam0g-dev libmount-dev libsystemd-dev" \
		>"$T/deps.log" 2>&1 ||
	skip_all "cannot install the packaging tools: $(tail -n 2 "$T/deps.log" | tr '\n' ' ')"
command -v pamtester >/dev/null ||
	make -C "$REPO" -s deps DEPS=pamtester >>"$T/deps.log" 2>&1 ||
	skip_all "cannot install pamtester"

[ -e /trees ] && trees_before=yes || trees_before=no
[ -e /run/containerize ] && run_before=yes || run_before=no
shells_before=$(grep -cx '/usr/bin/containerize-shell' /etc/shells 2>/dev/null)

# The PAM module checks the trees root and every directory above it (root-owned, not writable
# by others): an area under /var/lib, not /var/tmp.
P=$(mktemp -d /var/lib/cztest-deb.XXXXXX) || bail "mktemp /var/lib"
chmod 755 "$P"
# Linux-PAM lowercases service names: a file with capitals would never be read (and
# pamtester would silently use /etc/pam.d/other).
SVC=$(printf 'cztest-deb-%s' "${P##*.}" | tr '[:upper:]' '[:lower:]')
cleanup_area() {
	local m p
	for p in "${PKGS[@]}"; do
		if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
			dpkg_locked "$T/purge-cleanup.log" --purge "$p" && printf '# cleanup: purged %s\n' "$p"
		fi
	done
	rm -f "/etc/pam.d/$SVC"
	m=$(mounts_under "$P" | awk '{ print length($0), $0 }' | sort -rn | cut -d' ' -f2-)
	[ -n "$m" ] && while IFS= read -r p; do umount -l "$p"; done <<<"$m"
	[ -z "$(mounts_under "$P")" ] && rm -rf --one-file-system "$P"
}
on_cleanup cleanup_area
export CONTAINERIZE_TREES="$P/trees" CONTAINERIZE_RUNDIR="$P/run"
mkdir -p "$CONTAINERIZE_TREES"
chmod 755 "$CONTAINERIZE_TREES"

# --- build
OUT="$T/deb"
# nocheck: the unit tests run in tests/run already; this is about the packaging.
if DEB_BUILD_OPTIONS="nocheck ${DEB_BUILD_OPTIONS:-}" make -C "$REPO" deb DEB_OUT="$OUT" >"$T/make-deb.log" 2>&1; then
	pass "make deb builds the packages"
else
	bail "make deb builds the packages" "$(tail -n 40 "$T/make-deb.log")"
fi
debs=()
for p in "${PKGS[@]}"; do
	f=$(ls "$OUT/${p}_"*.deb 2>/dev/null | head -n 1)
	if [ -n "$f" ]; then pass "$p .deb built"; debs+=("$f"); else fail "$p .deb built" "$(ls -la "$OUT")"; fi
done
changes=$(ls "$OUT"/*.changes 2>/dev/null | head -n 1)
[ "${#debs[@]}" = 2 ] && [ -n "$changes" ] || bail "both packages and a .changes file" "$(ls -la "$OUT")"

# --- lintian
lintian -I -E --pedantic --show-overrides "$changes" >"$T/lintian.out" 2>"$T/lintian.err"
assert_eq "" "$(grep -E '^E: ' "$T/lintian.out")" "lintian: no errors"
assert_eq "" "$(grep -E '^W: ' "$T/lintian.out")" "lintian: no warnings"
assert_eq "" "$(grep -E 'unused-override|mismatched-override|malformed-override' "$T/lintian.out")" \
	"lintian: every override is used and well formed"
assert_match "$T/lintian.out" '^O: containerize: elevated-privileges 4755 root/root \[usr/bin/containerize-shell\]' \
	"lintian: the setuid bit is there, and overridden"
bad=
for f in "$REPO"/debian/*lintian-overrides "$REPO"/debian/source/lintian-overrides; do
	[ -f "$f" ] || continue
	# every override line follows a comment (or another override under the same comment)
	bad+=$(awk -v f="${f#"$REPO"/}" '/^#/ { c = 1; next } /^[[:space:]]*$/ { c = 0; next } !c { print f ": " $0 }' "$f")
done
assert_eq "" "$bad" "every lintian override has a comment explaining it"

# --- contents
for d in "${debs[@]}"; do dpkg-deb -c "$d"; done >"$T/contents"
assert_match "$T/contents" '^-rwsr-xr-x root/root .* \./usr/bin/containerize-shell$' "the .deb has containerize-shell setuid root"
assert_match "$T/contents" ' \./usr/bin/containerize -> containerize-shell$' "the .deb has the containerize symlink"
assert_match "$T/contents" '^-rwxr-xr-x root/root .* \./usr/bin/autopkgtest-virt-containerize$' \
	"the .deb has the autopkgtest server"
assert_contains "$T/contents" "./usr/share/man/man1/autopkgtest-virt-containerize.1.gz" "... and its man page"
assert_contains "$T/contents" "./usr/lib/$MA/security/pam_containerize.so" "the module is in the multiarch PAM directory"
assert_eq "" "$(grep -E '/libexec/' "$T/contents")" "one program: nothing in libexec"
czdeb=$(printf '%s\n' "${debs[@]}" | grep '/containerize_')
assert_match "$(dpkg-deb -f "$czdeb" Depends)" '(^|, )libmount1(,|$)' "Depends names libmount1 (loaded with dlopen)"
assert_match "$(dpkg-deb -f "$czdeb" Depends)" '(^|, )libsystemd0(,|$)' "Depends names libsystemd0 (loaded with dlopen on systemd hosts)"
assert_match "$(dpkg-deb -f "$czdeb" Depends)" '(^|, )libc6 ' "Depends names libc6 (linked dynamically)"
assert_eq "" "$(dpkg-deb -f "$czdeb" Built-Using)" "no Built-Using: nothing is linked statically"
assert_eq "" "$(grep -E ' \./(trees|run|etc|var)(/|$)' "$T/contents")" "the packages ship nothing under /trees, /run, /etc or /var"
assert_eq "" "$(grep -E '\.(o|a)$|/tests/|\.gitignore' "$T/contents")" "no build products or tests in the packages"

# --- install
if dpkg_locked "$T/dpkg-i.log" -i "${debs[@]}"; then
	pass "dpkg -i installs both packages"
else
	bail "dpkg -i installs both packages" "$(cat "$T/dpkg-i.log")"
fi
assert_eq "4755 root root" "$(stat -c '%a %U %G' /usr/bin/containerize-shell)" "installed containerize-shell is setuid root (4755 root root)"
assert_match "$(ls -l /usr/bin/containerize-shell)" '^-rwsr-xr-x' "ls -l shows the setuid bit"
assert_eq "containerize-shell" "$(readlink /usr/bin/containerize)" "/usr/bin/containerize is a symlink to containerize-shell"
assert_eq "/usr/share/man/man1/containerize.1.gz" "$(man -w containerize 2>&1)" "man -w containerize finds the page"
check "man -w containerize-shell finds a page" sh -c "man -w containerize-shell >/dev/null"
check "man -w 5 containerize.conf finds the page" sh -c "man -w 5 containerize.conf >/dev/null"
check "man -w pam_containerize finds the page" sh -c "man -w 8 pam_containerize >/dev/null"
check "bash completion installed for containerize" test -f /usr/share/bash-completion/completions/containerize
check "bash completion installed for containerize-shell" test -e /usr/share/bash-completion/completions/containerize-shell
ex=/usr/share/doc/containerize/examples
check "examples installed (map file, group hooks and fstab, sudoers, pam.d)" test -f "$ex/containerize.conf" -a \
	-x "$ex/debian/.container/bind" -a -f "$ex/debian/.container/fstab" -a -f "$ex/sudoers" -a -f "$ex/pam.d/sshd" -a -f "$ex/pam.d/su-l" -a -f "$ex/pam.d/login"
check "the PAM module is installed" test -f "$MOD"
assert_eq "$shells_before" "$(grep -cx '/usr/bin/containerize-shell' /etc/shells 2>/dev/null)" "installing does not add /usr/bin/containerize-shell to /etc/shells"
assert_eq "$trees_before $run_before" "$([ -e /trees ] && echo yes || echo no) $([ -e /run/containerize ] && echo yes || echo no)" \
	"installing creates neither /trees nor /run/containerize"
assert_eq "" "$(dpkg -L "${PKGS[@]}" | grep -E '^/(trees|run|etc)(/|$)')" "dpkg -L lists nothing under /trees, /run or /etc"

# --- the installed binary
make_group g
make_container g c
log_hooks g
run timeout -k 5 30 /usr/bin/containerize -V
assert_eq 0 "$status" "/usr/bin/containerize -V exits 0"
run timeout -k 5 30 /usr/bin/containerize g c echo hi
assert_eq "0:hi" "$status:$out" "/usr/bin/containerize g c echo hi prints hi" || diag "stderr: $err"
assert_eq 1 "$(hook_count bind)" "the installed binary ran the group's bind hook"
assert_eq 1 "$(hook_count unbind)" "... and tore the container down (unbind)"
# Through the setuid bit: an unprivileged caller's --version works (no second program)
run timeout -k 5 30 setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/containerize --version
assert_eq "0:containerize $(sed -n 's/^VERSION *:= *//p' "$REPO/Makefile")" "$status:$out" \
	"a non-root caller runs the installed binary" || diag "stderr: $err"

# --- the installed module, found by bare name
cat >"/etc/pam.d/$SVC" <<EOF
# written by containerize's tests/integration/70-deb.sh; removed when it ends
auth     sufficient pam_rootok.so
account  required   pam_permit.so
session  required   pam_containerize.so group=g container=c trees=$CONTAINERIZE_TREES rundir=$CONTAINERIZE_RUNDIR
session  optional   pam_permit.so
EOF
run timeout -k 5 30 pamtester "$SVC" root open_session close_session
assert_eq 0 "$status" "pamtester $SVC root open_session close_session exits 0" || diag "stdout: $out" "stderr: $err"
assert_contains "$out$err" "successfully opened a session" "pamtester: the session opened (module found by bare name)"
assert_contains "$out$err" "successfully been closed" "pamtester: the session closed"
assert_eq 2 "$(hook_count bind)" "the module set the container up (bind ran)"
assert_eq 2 "$(hook_count unbind)" "... and tore it down at close_session (unbind ran)"
run timeout -k 5 30 /usr/bin/containerize --list
assert_eq 1 "$(printf '%s\n' "$out" | grep -c .)" "no container left live"
rm -f "/etc/pam.d/$SVC"
assert_no_file "/etc/pam.d/$SVC" "the test's PAM service file is removed"

# --- purge
if dpkg_locked "$T/dpkg-purge.log" --purge "${PKGS[@]}"; then
	pass "dpkg --purge removes both packages"
else
	fail "dpkg --purge removes both packages" "$(cat "$T/dpkg-purge.log")"
fi
for p in "${PKGS[@]}"; do
	assert_eq "" "$(dpkg -L "$p" 2>/dev/null)" "dpkg -L $p lists nothing after the purge"
	assert_eq "" "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -v not-installed)" "$p is not installed any more"
done
for f in /usr/bin/containerize /usr/bin/containerize-shell "$MOD" /usr/share/doc/containerize \
	/usr/share/doc/libpam-containerize /usr/share/man/man1/containerize.1.gz \
	/usr/share/bash-completion/completions/containerize; do
	assert_no_file "$f" "gone after the purge: $f"
done
assert_eq "$trees_before $run_before" "$([ -e /trees ] && echo yes || echo no) $([ -e /run/containerize ] && echo yes || echo no)" \
	"no /trees or /run/containerize left behind"
done_testing
