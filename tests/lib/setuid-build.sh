# tests/lib/setuid-build.sh: a setuid install of containerize for tests (sourced after tap.sh).
#
# The setuid front ends check the ownership and modes of the trees, hooks and map file and of
# every directory above them, so the build-time paths of a test build point into an area that
# is not under /tmp or /var/tmp (sticky, world-writable) and whose parents are all root-owned
# and not group/other-writable: /var/lib/cztest-XXXXXX (755).
#
#   setuid_area            makes that area, $S, removed at exit (containers in it stopped first)
#   setuid_build DIR       builds DIR/bin/containerize-shell (4755 root) + DIR/bin/containerize,
#                          DIR/lib/pam_containerize.so (when the module builds; never with
#                          sanitizers, which sshd/su could not load) with
#                          TREES=DIR/trees RUNDIR=DIR/run SYSCONFDIR=DIR/etc; the map file is
#                          DIR/etc/containerize.conf (root, 644, empty). Then points tap.sh's
#                          helpers at that build: CZ, CONTAINERIZE_TREES/RUNDIR/CONF (root's
#                          own calls honour them, so make_group, cz and the cleanup all work
#                          on the build's paths).
#   set_map TEXT           writes the map file (root, 644)
#   as_user USER CMD...    runs CMD as USER (uid, gid, supplementary groups) with a clean
#                          environment (HOME, PATH, LANG=C, plus NAME=VALUE words before CMD)
# Sets: S, SBIN, CZS (containerize-shell), CZU (containerize), CZMAP, PAMMOD, PAM_BUILT (yes/no)
# shellcheck shell=bash disable=SC2034

setuid_area() {
	S=$(mktemp -d /var/lib/cztest-XXXXXX) || bail "mktemp -d /var/lib/cztest-XXXXXX"
	chmod 755 "$S"
	on_cleanup "_setuid_area_cleanup '$S'"
}

_setuid_area_cleanup() { # stop what is live in the area's run dir, unmount leftovers, remove it
	local s=$1 g c m p i
	if [ -x "$s/bin/containerize" ] && [ -d "$s/run" ]; then
		while read -r g c; do
			printf '# cleanup: stopping leftover container %s %s\n' "$g" "$c"
			CONTAINERIZE_TREES="$s/trees" CONTAINERIZE_RUNDIR="$s/run" CONTAINERIZE_CONF="$s/etc/containerize.conf" \
				timeout -k 2 20 "$s/bin/containerize" --stop "$g" "$c" >/dev/null 2>&1
		done < <(CONTAINERIZE_TREES="$s/trees" CONTAINERIZE_RUNDIR="$s/run" CONTAINERIZE_CONF="$s/etc/containerize.conf" \
			timeout -k 2 10 "$s/bin/containerize" --list 2>/dev/null | awk 'NR > 1 && NF >= 2 { print $1, $2 }')
	fi
	for i in 1 2 3; do
		m=$(mounts_under "$s" | awk '{ print length($0), $0 }' | sort -rn | cut -d' ' -f2-)
		[ -z "$m" ] && break
		while IFS= read -r p; do
			case $p in "$s"/run | "$s"/run[0-9]) ;; *) printf '# cleanup: unmounting leftover %s\n' "$p" ;; esac
			umount -l "$p" 2>/dev/null
		done <<<"$m"
	done
	if [ -n "$(mounts_under "$s")" ]; then
		printf '# cleanup: still mounted under %s, not removing it\n' "$s"
	elif [ -z "${KEEP_TMP:-}" ]; then
		rm -rf --one-file-system "$s"
	fi
}

setuid_build() {
	local d=$1 x
	mkdir -p "$d/src" "$d/bin" "$d/lib" "$d/etc" "$d/trees" || return 1
	for x in Makefile common shell pam_containerize; do
		[ -e "$REPO/$x" ] && cp -a "$REPO/$x" "$d/src/"
	done
	mkdir -p "$d/src/pam_containerize"
	make -C "$d/src" clean >/dev/null 2>&1
	PAM_BUILT=no
	if ! make -C "$d/src" -j"$(nproc)" TREES="$d/trees" RUNDIR="$d/run" SYSCONFDIR="$d/etc" all \
		>"$d/build.log" 2>&1; then
		# the module may not build yet: the shell alone is enough for the login shell tests
		make -C "$d/src" -j"$(nproc)" TREES="$d/trees" RUNDIR="$d/run" SYSCONFDIR="$d/etc" \
			shell/containerize-shell shell/containerize >>"$d/build.log" 2>&1 || { cat "$d/build.log" >&2; return 1; }
	fi
	install -m 4755 -o root -g root "$d/src/shell/containerize-shell" "$d/bin/containerize-shell" || return 1
	ln -sfn containerize-shell "$d/bin/containerize"
	local pamso="$d/src/pam_containerize/pam_containerize.so"
	if [[ " ${MAKEFLAGS:-} SANITIZE=${SANITIZE:-}" == *" SANITIZE=1"* ]] && [ -f "$pamso" ]; then
		# `make check SANITIZE=1`: the binary is tested sanitized, but a sanitized module cannot
		# be loaded by sshd, su and runuser (the ASan runtime must come first): build it plain
		mkdir -p "$d/src-pam"
		for x in Makefile common shell pam_containerize; do cp -a "$REPO/$x" "$d/src-pam/"; done
		make -C "$d/src-pam" clean >/dev/null 2>&1
		pamso="$d/src-pam/pam_containerize/pam_containerize.so"
		make -C "$d/src-pam" -j"$(nproc)" SANITIZE= TREES="$d/trees" RUNDIR="$d/run" SYSCONFDIR="$d/etc" \
			pam_containerize/pam_containerize.so >>"$d/build.log" 2>&1 || pamso=
	fi
	if [ -n "$pamso" ] && [ -f "$pamso" ]; then
		install -m 644 -o root -g root "$pamso" "$d/lib/pam_containerize.so" && PAM_BUILT=yes
	fi
	: >"$d/etc/containerize.conf"
	chown root:root "$d" "$d/bin" "$d/lib" "$d/etc" "$d/trees" "$d/etc/containerize.conf"
	chmod 755 "$d" "$d/bin" "$d/lib" "$d/etc" "$d/trees"
	chmod 644 "$d/etc/containerize.conf"
	SBIN="$d/bin"
	CZS="$d/bin/containerize-shell"
	CZU="$d/bin/containerize"
	CZMAP="$d/etc/containerize.conf"
	PAMMOD="$d/lib/pam_containerize.so"
	CZ="$CZU"
	export CONTAINERIZE_TREES="$d/trees" CONTAINERIZE_RUNDIR="$d/run" CONTAINERIZE_CONF="$CZMAP"
}

set_map() {
	printf '%s\n' "$1" >"$CZMAP"
	chown root:root "$CZMAP"
	chmod 644 "$CZMAP"
}

# as_user USER [NAME=VALUE...] CMD...: CMD as USER, clean environment, stdin untouched
as_user() {
	local u=$1 home; shift
	home=$(getent passwd "$u" | cut -d: -f6)
	setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups \
		env -i HOME="$home" USER="$u" LOGNAME="$u" PATH=/usr/local/bin:/usr/bin:/bin LANG=C "$@"
}

# caps_of "STATUS TEXT": the CapEff line's value
capeff() { awk '/^CapEff:/ { print $2 }'; }

# syslog_capture: when no syslog daemon provides /dev/log, catch what is logged to it in
# $SYSLOG_FILE (a socket at /dev/log served by tests/unit/pam/syslogd.c, removed at exit).
# With a real /dev/log, SYSLOG_FILE stays empty: tests then skip their syslog checks.
SYSLOG_FILE=
syslog_capture() {
	local i
	[ -e /dev/log ] && return 0
	cc -O2 -o "$T/syslogd" "$REPO/tests/unit/pam/syslogd.c" || return 1
	: >"$T/syslog"
	"$T/syslogd" /dev/log "$T/syslog" </dev/null >/dev/null 2>"$T/syslogd.err" &
	_syslogd_pid=$!
	for i in $(seq 40); do [ -S /dev/log ] && break; sleep 0.05; done
	# remove /dev/log at exit only if it is still the socket made here
	_syslog_ino=$(stat -c %i /dev/log 2>/dev/null)
	on_cleanup "kill $_syslogd_pid 2>/dev/null; wait $_syslogd_pid 2>/dev/null; [ -S /dev/log ] && [ \"\$(stat -c %i /dev/log)\" = '$_syslog_ino' ] && rm -f /dev/log"
	alive "$_syslogd_pid" && [ -S /dev/log ] && SYSLOG_FILE="$T/syslog"
}

# syslog_since MARK: what was logged after `MARK=$(syslog_mark)`
syslog_mark() { if [ -n "$SYSLOG_FILE" ]; then wc -l <"$SYSLOG_FILE"; else echo 0; fi; }
syslog_since() { [ -n "$SYSLOG_FILE" ] && sleep 0.1 && tail -n +"$(($1 + 1))" "$SYSLOG_FILE"; }

# static_into_tree SRC.c TREE/PATH: a static build of a test helper, mode 755
static_into_tree() {
	gcc -static -O2 -o "$2" "$1" && chmod 755 "$2"
}

# setuid_fixture [busybox]: the usual start of a setuid/PAM test file: area, build, group g
# (logging hooks) with container c (a Debian tree, or a busybox tree with "busybox"), marker
# file /cz-marker (content "inside-tree") present only in the tree; USER_TREES=(TREE). Skips
# the whole file (cleanly) only if no Debian tree can be made.
setuid_fixture() {
	setuid_area
	setuid_build "$S" || bail "setuid test build" "$(tail -n 30 "$S/build.log" 2>/dev/null)"
	make_group g
	log_hooks g
	TREE="$CONTAINERIZE_TREES/g/c"
	if [ "${1:-}" = busybox ]; then
		make_container g c
	elif ! debian_tree "$TREE"; then
		skip "a Debian bookworm tree" "debootstrap failed: $(tail -n 3 "$(dirname "$DEBTREE_CACHE")/debootstrap.log" 2>/dev/null | tr '\n' ' ')"
		done_testing
	fi
	echo inside-tree >"$TREE/cz-marker"
	USER_TREES=("$TREE")
}
