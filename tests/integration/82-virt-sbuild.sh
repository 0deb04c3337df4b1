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
. "$TAP_LIB/virt.sh"

virt_e2e_setup "sbuild through the server" sbuild

# sbuild checks that autopkgtest-virt-NAME is on its own configured $path, then runs it from its
# process's PATH: both have $T/bin (an installed server is in /usr/bin or /usr/local/bin, on both)
mkdir "$T/home" "$T/build" "$T/logs"
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
virt_e2e_clean
done_testing
