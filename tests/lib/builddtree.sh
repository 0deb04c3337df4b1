# tests/lib/builddtree.sh: a cached `debootstrap --variant=buildd` tree for the autopkgtest and
# sbuild tests (sourced after tap.sh and debtree.sh, whose mirror lookup it uses).
#
#   buildd_tree        makes (once) and prints the path of the cached tree. The cache directory
#                      is keyed by release, variant and the extra package list, so a change of
#                      any of them makes a new tree instead of reusing a stale one. A tree is
#                      complete only once renamed from its .tmp dir; a crashed build is thrown
#                      away. Serialised with a lock (several test runs may start at once).
#                      Returns 1 (callers skip) if debootstrap is missing or fails.
#
# The tree is the read-only lower layer of throwaway instances: callers must never write it
# (tests bind it read-only into their own trees root).
# fakeroot and apt-utils: autopkgtest installs them to build a package and to make its local
# repository of the built binaries; in the tree they need no download.
# BUILDD_RELEASE / BUILDD_PKGS / BUILDD_CACHE_ROOT override the defaults (for a quick manual run).
# shellcheck shell=bash

BUILDD_RELEASE=${BUILDD_RELEASE:-bookworm}
BUILDD_PKGS=${BUILDD_PKGS:-fakeroot,apt-utils}
BUILDD_CACHE_ROOT=${BUILDD_CACHE_ROOT:-/var/cache/containerize-test}

_buildd_key() {
	local h
	h=$(printf '%s\n' "$BUILDD_RELEASE" buildd "$BUILDD_PKGS" | sha256sum | cut -c1-12)
	printf '%s\n' "buildd-$BUILDD_RELEASE-$h"
}

_buildd_sweep_tmp() { # a crashed attempt: unmount what debootstrap left, then remove it
	local tmp=$1
	[ -e "$tmp" ] || return 0
	awk -v p="$tmp" 'index($5 "/", p "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m"; done
	rm -rf --one-file-system "$tmp"
}

_buildd_make() {
	local c=$1 tmp="$1.tmp" log="$1.log" rc inc=()
	[ -x "$c/usr/bin/dpkg-buildpackage" ] && return 0
	command -v debootstrap >/dev/null || return 1
	_buildd_sweep_tmp "$tmp"
	mkdir -p "$tmp" || return 1
	[ -n "$BUILDD_PKGS" ] && inc=(--include="$BUILDD_PKGS")
	timeout -k 10 1500 debootstrap --variant=buildd "${inc[@]}" "$BUILDD_RELEASE" "$tmp" \
		"$(_debtree_mirror)" >"$log" 2>&1
	rc=$?
	echo "rc=$rc" >>"$log"
	# debootstrap may leave /proc etc. mounted on failure (and even on success in some versions)
	awk -v p="$tmp" 'index($5 "/", p "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m"; done
	if [ "$rc" = 0 ] && [ -x "$tmp/usr/bin/dpkg-buildpackage" ] && [ -x "$tmp/usr/bin/apt-get" ]; then
		# apt inside a throwaway instance must not find stale lists from the build host; the
		# tree keeps the lists debootstrap fetched (sbuild and autopkgtest run apt-get update)
		chown root:root "$tmp" && chmod 755 "$tmp" && mv "$tmp" "$c" && return 0
	fi
	_buildd_sweep_tmp "$tmp"
	return 1
}

buildd_tree() {
	local c k
	k=$(_buildd_key)
	c="$BUILDD_CACHE_ROOT/$k"
	mkdir -p "$BUILDD_CACHE_ROOT" || return 1
	(
		flock -w 1800 9 || exit 1
		_buildd_make "$c"
	) 9>"$BUILDD_CACHE_ROOT/.lock-$k" || return 1
	printf '%s\n' "$c"
}
