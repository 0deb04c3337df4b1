# tests/lib/guest.sh: a Debian 12 host run by systemd, booted with systemd-nspawn, for tests
# of what users of systemd hosts see (pure cgroup v2, logind, pam_systemd, D-Bus). Sourced
# after tap.sh. The recipe and what it shows: ../shared/systemd-guest.md.
#
#   guest_make         $GUEST (under $T): a copy of the cached tree (built once: debootstrap
#                      minbase + $GUEST_PKGS, kept in a directory named by release and package
#                      list, rebuilt when missing or broken), with a root ssh key inside.
#                      Fails (status 1) only if the tree cannot be made: callers skip.
#   guest_install      the build under test into it (make install DESTDIR=$GUEST PREFIX=/usr:
#                      the programs, the PAM module, the man pages).
#   guest_boot         boots it in cgroup dirs of our own; $GUEST_INIT is its PID 1 (host pid).
#   gsh CMD            CMD (a shell command line) in a login session inside the guest: root
#                      over ssh to 127.0.0.1 inside, as users log in. Stdout/stderr passed on.
#   gsh_as USER CMD    the same as USER (key made by guest_user).
#   guest_user USER    a user in the guest who can log in with a key.
#   gin CMD...         CMD in the guest's namespaces (nsenter), not in a login session.
#   guest_stop         poweroff, wait, remove our cgroups, nspawn's run files and $GUEST.
#                      Call it from test_cleanup.
# shellcheck shell=bash

. "$TAP_LIB/debtree.sh"	# _debtree_mirror

GUEST_RELEASE=bookworm
GUEST_PKGS=systemd,systemd-sysv,dbus,libpam-systemd,openssh-server,openssh-client,procps,iproute2
GUEST_CACHE_DIR=${GUEST_CACHE_DIR:-/var/cache/containerize-test}
GUEST_CACHE=$GUEST_CACHE_DIR/systemd-guest-$(printf '%s %s\n' "$GUEST_RELEASE" "$GUEST_PKGS" | sha256sum | cut -c1-12)
GUEST=
GUEST_INIT=
GUEST_NSPAWN=
GUEST_MACHINE=cztest-$$
_guest_cgs=()

_guest_ok() { # the tree has what the tests need
	local d=$1
	[ -x "$d/usr/lib/systemd/systemd" ] && [ -x "$d/usr/sbin/sshd" ] && [ -x "$d/usr/bin/ssh" ] &&
		[ -x "$d/usr/bin/dbus-daemon" ] && [ -x "$d/usr/bin/loginctl" ] && [ -x "$d/usr/bin/bash" ] &&
		compgen -G "$d/usr/lib/*/security/pam_systemd.so" >/dev/null
}

_guest_unmount_under() { # unmount everything at or below $1 (deepest first)
	mounts_under "$1" | sort -r | while read -r m; do umount -l "$m"; done
}

_guest_make_cache() {
	local c=$GUEST_CACHE tmp=$GUEST_CACHE.tmp old rc
	_guest_ok "$c" && return 0
	command -v debootstrap >/dev/null || { echo "no debootstrap" >&2; return 1; }
	# other keys' trees (another package list): stale
	for old in "$GUEST_CACHE_DIR"/systemd-guest-*; do
		[ -d "$old" ] && [ "$old" != "$c" ] && { _guest_unmount_under "$old"; rm -rf --one-file-system "$old"; }
	done
	_guest_unmount_under "$tmp"
	rm -rf --one-file-system "$tmp" "$c"
	mkdir -p "$tmp"
	timeout -k 10 1200 debootstrap --variant=minbase --include="$GUEST_PKGS" "$GUEST_RELEASE" "$tmp" \
		"$(_debtree_mirror)" >"$c.log" 2>&1
	rc=$?
	echo "rc=$rc" >>"$c.log"
	if [ "$rc" = 0 ] && _guest_ok "$tmp"; then
		# sshd's host keys were made by its postinst: every copy shares them
		mv "$tmp" "$c" && return 0
	fi
	_guest_unmount_under "$tmp"
	rm -rf --one-file-system "$tmp"
	tail -n 5 "$c.log" >&2
	return 1
}

guest_make() {
	mkdir -p "$GUEST_CACHE_DIR" || return 1
	(
		flock -w 1500 9 || exit 1
		_guest_make_cache
	) 9>"$GUEST_CACHE_DIR/.guest.lock" || return 1
	command -v systemd-nspawn >/dev/null || { echo "no systemd-nspawn (systemd-container)" >&2; return 1; }
	GUEST=$T/guest
	cp -a "$GUEST_CACHE" "$GUEST" || return 1
	echo cztest >"$GUEST/etc/hostname"
	mkdir -p "$GUEST/root/.ssh"
	chmod 700 "$GUEST/root/.ssh"
	ssh-keygen -q -t ed25519 -N '' -C cztest -f "$GUEST/root/.ssh/id_ed25519" || return 1
	cp "$GUEST/root/.ssh/id_ed25519.pub" "$GUEST/root/.ssh/authorized_keys"
	printf '%s\n' "Host *" "  StrictHostKeyChecking no" "  UserKnownHostsFile /dev/null" \
		"  LogLevel ERROR" "  BatchMode yes" >"$GUEST/root/.ssh/config"
}

guest_install() {
	make -C "$REPO" install DESTDIR="$GUEST" PREFIX=/usr >"$T/guest-install.log" 2>&1 ||
		{ tail -n 20 "$T/guest-install.log" >&2; return 1; }
}

# guest_user USER: a user in the guest (uid from 2000 up) who logs in with root's key pair
guest_user() {
	gin useradd -m -s /bin/sh "$1" || return 1
	gin install -d -o "$1" -g "$1" -m 700 "/home/$1/.ssh" &&
		gin install -o "$1" -g "$1" -m 600 /root/.ssh/id_ed25519.pub "/home/$1/.ssh/authorized_keys"
}

guest_boot() {
	local cg2dir cg1dir i
	cg2dir=$(cg2)/cztest-guest.$$
	mkdir -p "$cg2dir" && _guest_cgs+=("$cg2dir") || return 1
	# a hybrid host: nspawn wants the name=systemd v1 hierarchy too
	if [ -d /sys/fs/cgroup/systemd ] && [ "$cg2dir" != /sys/fs/cgroup/cztest-guest.$$ ]; then
		cg1dir=/sys/fs/cgroup/systemd/cztest-guest.$$
		mkdir -p "$cg1dir" && _guest_cgs+=("$cg1dir") || return 1
	fi
	(
		echo "$BASHPID" >"$cg2dir/cgroup.procs" || exit 1
		[ -z "${cg1dir:-}" ] || echo "$BASHPID" >"$cg1dir/cgroup.procs" || exit 1
		# --register=no --keep-unit: no machined on a host bus needed (we have none);
		# nspawn's payload/ and supervisor/ go below our own cgroup dirs
		SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 exec systemd-nspawn -q -D "$GUEST" -M "$GUEST_MACHINE" \
			--register=no --keep-unit --private-network --console=passive -b
	) >"$T/guest-boot.log" 2>&1 </dev/null &
	GUEST_NSPAWN=$!
	for i in $(seq 200); do
		GUEST_INIT=$(pgrep -P "$GUEST_NSPAWN" -x systemd | head -n 1)
		[ -n "$GUEST_INIT" ] && break
		alive "$GUEST_NSPAWN" || break
		sleep 0.05
	done
	[ -n "$GUEST_INIT" ] || { cat "$T/guest-boot.log" >&2; return 1; }
	# PID 1 makes its bus socket a moment after it starts
	for i in $(seq 300); do
		timeout 90 nsenter -t "$GUEST_INIT" -a systemctl is-system-running --wait >"$T/guest-state" 2>&1
		grep -qE '^(running|degraded)$' "$T/guest-state" && return 0
		alive "$GUEST_NSPAWN" || break
		sleep 0.1
	done
	cat "$T/guest-state" "$T/guest-boot.log" >&2
	return 1
}

# a clean environment: none of the test's CONTAINERIZE_* (they would point into $T)
gin() {
	timeout -k 5 "${GUEST_TIMEOUT:-60}" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C \
		nsenter -t "$GUEST_INIT" -a "$@"
}
# root's commands share one connection (one login session, one PAM session: a login costs
# about a second here), users log in anew each time
gsh() { gin ssh -o ControlMaster=auto -o ControlPath=/root/.ssh/cm-%r -o ControlPersist=300 root@127.0.0.1 "$1"; }
gsh_as() { gin ssh "$1@127.0.0.1" "$2"; }

guest_stop() {
	local t0=$SECONDS
	local i d
	if [ -n "$GUEST_NSPAWN" ] && alive "$GUEST_NSPAWN"; then
		timeout 10 nsenter -t "$GUEST_INIT" -a ssh -o ControlPath=/root/.ssh/cm-%r -O exit root@127.0.0.1 >/dev/null 2>&1
		[ -n "$GUEST_INIT" ] && timeout 20 nsenter -t "$GUEST_INIT" -a systemctl poweroff >/dev/null 2>&1
		for i in $(seq 300); do alive "$GUEST_NSPAWN" || break; sleep 0.1; done
	fi
	# whatever is left of it (a hung guest): everything in our cgroup dirs
	for d in "${_guest_cgs[@]}"; do
		[ -e "$d/cgroup.kill" ] && echo 1 >"$d/cgroup.kill" 2>/dev/null
	done
	[ -n "$GUEST_NSPAWN" ] && { kill -KILL "$GUEST_NSPAWN" 2>/dev/null; wait "$GUEST_NSPAWN" 2>/dev/null; }
	for d in "${_guest_cgs[@]}"; do
		for i in $(seq 50); do
			find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
			[ -e "$d" ] || break
			sleep 0.1
		done
	done
	# nspawn's run files for this machine and its image lock (left by a killed nspawn), the
	# directories only if then empty
	rm -rf "/run/systemd/nspawn/propagate/$GUEST_MACHINE" "/run/systemd/nspawn/unix-export/$GUEST_MACHINE"
	[ -n "$GUEST" ] && [ -d "$GUEST" ] &&
		rm -f "/run/systemd/nspawn/locks/inode-$(stat -c %d:%i "$GUEST")"
	for d in /run/systemd/nspawn/propagate /run/systemd/nspawn/unix-export /run/systemd/nspawn/locks \
		/run/systemd/nspawn; do
		[ -d "$d" ] && rmdir "$d" 2>/dev/null
	done
	if [ -n "$GUEST" ] && [ -d "$GUEST" ]; then
		_guest_unmount_under "$GUEST"
		rm -rf --one-file-system "$GUEST"
	fi
	GUEST_NSPAWN=
}
