#!/bin/bash
# timeout: 1800
# (a first debootstrap of the cached tree takes minutes, a run one or two)
# sbuild --chroot-mode=autopkgtest through autopkgtest-virt-containerize, as
# `sbuild --chroot-mode=autopkgtest --autopkgtest-virt-server=containerize
# --autopkgtest-virt-server-opts="GROUP %r" -d bookworm PKG.dsc`, builds the test package
# (tests/data/cz-apt-test: a C program, build-essential only, so nothing is downloaded) to a
# .deb in a throwaway instance of the cached `debootstrap --variant=buildd bookworm` tree (bound
# read-only as the group's base g/bookworm). sbuild's config lives in a temp HOME.
. "$(dirname "$0")/../lib/tap.sh"
. "$TAP_LIB/debtree.sh"
. "$TAP_LIB/builddtree.sh"

if [ -n "${CZ_SKIP_SLOW:-}" ]; then
	skip "sbuild through the server" "CZ_SKIP_SLOW is set"
	done_testing
fi
if ! command -v sbuild >/dev/null || ! command -v dpkg-source >/dev/null; then
	make -C "$REPO" -s deps DEPS="sbuild dpkg-dev" >"$T/deps.log" 2>&1
fi
if ! command -v sbuild >/dev/null || ! command -v dpkg-source >/dev/null; then
	skip "sbuild through the server" "sbuild or dpkg-dev missing and cannot be installed"
	done_testing
fi
if ! base=$(buildd_tree); then
	skip "sbuild through the server" "no buildd tree (debootstrap failed; see $BUILDD_CACHE_ROOT)"
	done_testing
fi

make_group g
B="$CONTAINERIZE_TREES/g/bookworm"
mkdir "$B"
on_cleanup "umount '$B' 2>/dev/null"
check "the cached buildd tree is bound read-only as the base g/bookworm" mount --bind -r "$base" "$B"
stamp=$(stat -c %Y "$base/var/lib/dpkg/status")

cp -a "$REPO/tests/data/cz-apt-test" "$T/cz-apt-test-1.0"
(cd "$T" && dpkg-source -b cz-apt-test-1.0 >"$T/dpkg-source.log" 2>&1)
check "dpkg-source builds the test package's .dsc" test -f "$T/cz-apt-test_1.0.dsc"

# sbuild checks that autopkgtest-virt-NAME is on its own configured $path, then runs it from its
# process's PATH: both have $T/bin (an installed server is in /usr/bin or /usr/local/bin, on both)
mkdir "$T/bin" "$T/home" "$T/build" "$T/logs"
ln -s "$REPO/virt/autopkgtest-virt-containerize" "$T/bin/autopkgtest-virt-containerize"
ln -s "$CZ" "$T/bin/containerize"
cat >"$T/home/.sbuildrc" <<EOF
\$path = '$T/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
\$build_dir = '$T/build';
\$log_dir = '$T/logs';
\$run_lintian = 0;
\$run_piuparts = 0;
\$run_autopkgtest = 0;
\$apt_update = 0;
\$apt_upgrade = 0;
\$apt_distupgrade = 0;
1;
EOF

t0=$(date +%s)
(cd "$T/build" && PATH="$T/bin:$PATH" HOME="$T/home" timeout -k 10 900 sbuild --chroot-mode=autopkgtest \
	--autopkgtest-virt-server=containerize --autopkgtest-virt-server-opts="g %r" \
	-d bookworm --no-clean-source "$T/cz-apt-test_1.0.dsc") >"$T/sbuild.log" 2>&1
rc=$?
diag "sbuild took $(($(date +%s) - t0)) s"
if [ "$rc" = 0 ]; then pass "sbuild --chroot-mode=autopkgtest --autopkgtest-virt-server=containerize exits 0"
else fail "sbuild --chroot-mode=autopkgtest --autopkgtest-virt-server=containerize exits 0" "exit $rc" \
	"$(tail -n 60 "$T/sbuild.log")"; fi
deb="$T/build/cz-apt-test_1.0_$(dpkg --print-architecture).deb"
assert_file_exists "$deb" "the .deb is built"
run dpkg-deb -c "$deb"
assert_contains "$out" "./usr/bin/cz-apt-test" "the .deb holds the program"
assert_eq "" "$("$CZ" --list 2>/dev/null | awk 'NR > 1 && $1 == "g"')" "no instance of g is left"
assert_eq "bookworm" "$(ls "$CONTAINERIZE_TREES/g")" "nothing but the base is left in the group"
assert_eq "$stamp" "$(stat -c %Y "$base/var/lib/dpkg/status")" "the cached base tree is not written"
done_testing
