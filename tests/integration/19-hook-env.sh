#!/bin/bash
# Hooks run as root in full, with umask 022, cwd /, stdin /dev/null, no inherited descriptor
# and a fixed environment, whatever the caller had.
. "$(dirname "$0")/../lib/tap.sh"

setup_std
for h in bind unbind stop; do
	cat >"$CONTAINERIZE_TREES/g/.container/$h" <<HOOK
#!/bin/sh
echo "$h umask=\$(umask) cwd=\$(pwd) uid=\$(id -u) euid=\$(id -u) fds=\$(ls /proc/self/fd | tr '\n' ' ') home=\${HOME-unset} lang=\${LANG-unset} stdin=\$(readlink /proc/self/fd/0)" >>"$HOOKLOG"
HOOK
	chmod 755 "$CONTAINERIZE_TREES/g/.container/$h"
done
(cd /var/tmp && umask 000 && HOME=/nonexistent LANG=C.UTF-8 exec 7</etc/hostname && \
	timeout 20 "$CZ" g c true) </dev/null
assert_eq 0 $? "containerize with a strange umask, cwd, environment and fd 7"
for h in bind unbind stop; do
	line=$(grep "^$h " "$HOOKLOG")
	assert_contains "$line" "umask=0022" "$h runs with umask 022"
	assert_contains "$line" "cwd=/ " "$h runs in /"
	assert_contains "$line" "uid=0 " "$h runs as root"
	assert_contains "$line" "home=unset" "$h does not get the caller's HOME"
	assert_contains "$line" "lang=unset" "$h does not get the caller's LANG"
	assert_contains "$line" "stdin=/dev/null" "$h reads /dev/null"
	case $line in *" 7 "*) fail "$h inherits no fd 7" "$line" ;; *) pass "$h inherits no fd 7" ;; esac
done
done_testing
