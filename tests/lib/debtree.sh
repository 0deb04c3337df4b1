# tests/lib/debtree.sh: a Debian bookworm tree for login tests (sourced after tap.sh).
#
#   debian_tree DEST   copies the cached minbase tree (bash, openssh-sftp-server,
#                      openssh-client, rsync) to DEST (cp -a). Without a cache, makes it first
#                      with debootstrap (into a .tmp dir, then renamed; serialised with a lock)
#                      from the Debian mirror apt uses. Fails (status 1) only if that fails:
#                      callers then skip.
# DEBTREE_CACHE overrides the cache directory.
# shellcheck shell=bash

DEBTREE_CACHE=${DEBTREE_CACHE:-/var/cache/containerize-test/bookworm}
DEBTREE_PKGS=bash,openssh-sftp-server,openssh-client,rsync

_debtree_mirror() { # the first Debian (not security) mirror apt is configured with
	local m
	m=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
		awk 'tolower($1) == "uris:" { for (i = 2; i <= NF; i++) print $i }' |
		grep -v -e security -e '^#' | grep -E '/debian/?$' | head -n 1)
	[ -z "$m" ] && m=$(grep -hE '^deb\s' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		awk '{ for (i = 2; i <= NF; i++) if ($i ~ /^(https?|file):/) { print $i; exit } }' |
		grep -v security | head -n 1)
	printf '%s\n' "${m:-http://deb.debian.org/debian}"
}

_debtree_make_cache() {
	local c=$DEBTREE_CACHE tmp rc
	[ -x "$c/bin/bash" ] && return 0
	command -v debootstrap >/dev/null || return 1
	mkdir -p "$(dirname "$c")" || return 1
	tmp="$c.tmp"
	# a crashed earlier attempt: throw it away (nothing may stay mounted in it)
	if [ -e "$tmp" ]; then
		awk -v p="$tmp" 'index($5 "/", p "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
			while read -r m; do umount -l "$m"; done
		rm -rf --one-file-system "$tmp"
	fi
	mkdir -p "$tmp"
	timeout -k 10 1200 debootstrap --variant=minbase --include="$DEBTREE_PKGS" bookworm "$tmp" \
		"$(_debtree_mirror)" >"$(dirname "$c")/debootstrap.log" 2>&1
	rc=$?
	echo "rc=$rc" >>"$(dirname "$c")/debootstrap.log"
	if [ "$rc" = 0 ] && [ -x "$tmp/bin/bash" ] && [ -x "$tmp/usr/lib/openssh/sftp-server" ]; then
		mv "$tmp" "$c" && return 0
	fi
	awk -v p="$tmp" 'index($5 "/", p "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m"; done
	rm -rf --one-file-system "$tmp"
	return 1
}

debian_tree() {
	local dest=$1 lock
	lock="$(dirname "$DEBTREE_CACHE")/.lock"
	mkdir -p "$(dirname "$DEBTREE_CACHE")" || return 1
	(
		flock -w 1500 9 || exit 1
		_debtree_make_cache
	) 9>"$lock" || return 1
	mkdir -p "$(dirname "$dest")"
	rm -rf "$dest"
	cp -a "$DEBTREE_CACHE" "$dest" || return 1
	chown root:root "$dest"
	chmod 755 "$dest"
}
