# tests/lib/users.sh: throw-away user accounts for login tests (sourced after tap.sh).
#
#   make_user LABEL [SHELL]   creates user "czt<LABEL><random>" (useradd -m -U, home under
#                             $USERS_HOME, default $S/home or $T/home), removed at exit
#                             (its processes killed, userdel -r). Extra supplementary groups:
#                             MAKE_USER_GROUPS=g1,g2. Sets NEW_USER NEW_UID NEW_GID NEW_HOME.
#                             The user (passwd line, its groups, home dir at the same path,
#                             owned by it) is also put into every tree in USER_TREES (array).
#   make_unix_group LABEL     creates group "cztg<LABEL><random>", removed at exit; sets NEW_GROUP
#   user_into_tree USER TREE  puts an existing user into TREE as make_user does
#   add_shell PATH            adds PATH to /etc/shells (taken out again at exit)
# shellcheck shell=bash disable=SC2034

USER_TREES=()
_users_registered=

_rand5() { tr -dc 'a-z0-9' </dev/urandom 2>/dev/null | head -c 5; }

_users_register() {
	[ -n "$_users_registered" ] && return
	_users_registered=1
	_users_made=() _groups_made=()
	on_cleanup "_users_cleanup"
}

_users_cleanup() {
	local u g uid pids i p
	for u in "${_users_made[@]}"; do
		uid=$(id -u "$u" 2>/dev/null) || continue
		for i in 1 2 3 4 5; do
			pids=$(for p in $(pgrep -u "$uid" 2>/dev/null); do alive "$p" && echo "$p"; done)
			[ -z "$pids" ] && break
			[ "$i" = 1 ] && printf '# cleanup: killing leftover processes of %s: %s\n' "$u" "$(echo $pids)"
			# shellcheck disable=SC2086
			kill -KILL $pids 2>/dev/null
			sleep 0.2
		done
		userdel -r -f "$u" >/dev/null 2>&1 || userdel -f "$u" >/dev/null 2>&1 ||
			printf '# cleanup: userdel %s failed\n' "$u"
		getent group "$u" >/dev/null && groupdel "$u" >/dev/null 2>&1
	done
	for g in "${_groups_made[@]}"; do
		getent group "$g" >/dev/null && { groupdel "$g" >/dev/null 2>&1 || printf '# cleanup: groupdel %s failed\n' "$g"; }
	done
}

make_unix_group() {
	_users_register
	NEW_GROUP="cztg${1:0:8}$(_rand5)"
	groupadd "$NEW_GROUP" || return 1
	_groups_made+=("$NEW_GROUP")
}

make_user() {
	local label=$1 shell=${2:-/bin/bash} base t
	_users_register
	base=${USERS_HOME:-${S:-$T}/home}
	mkdir -p "$base" && chmod 755 "$base"
	NEW_USER="czt${label:0:10}$(_rand5)"
	NEW_HOME="$base/$NEW_USER"
	useradd -m -U -d "$NEW_HOME" -s "$shell" ${MAKE_USER_GROUPS:+-G "$MAKE_USER_GROUPS"} "$NEW_USER" || return 1
	_users_made+=("$NEW_USER")
	NEW_UID=$(id -u "$NEW_USER") NEW_GID=$(id -g "$NEW_USER")
	for t in "${USER_TREES[@]}"; do user_into_tree "$NEW_USER" "$t" || return 1; done
}

user_into_tree() {
	local u=$1 t=$2 home g line
	home=$(getent passwd "$u" | cut -d: -f6)
	getent passwd "$u" >>"$t/etc/passwd" || return 1
	for g in $(id -Gn "$u"); do
		grep -q "^$g:" "$t/etc/group" && continue
		getent group "$g" >>"$t/etc/group"
	done
	mkdir -p "$t$home" && chown "$u:$(id -g "$u")" "$t$home" && chmod 755 "$t$home"
}

add_shell() {
	local l
	# entries that crashed earlier runs left behind (their build is gone)
	for l in $(grep -xE '/var/lib/cztest-[A-Za-z0-9]{6}/bin/containerize-shell' /etc/shells); do
		[ -e "$l" ] || _remove_line /etc/shells "$l"
	done
	grep -qxF "$1" /etc/shells || append_line /etc/shells "$1"
}
