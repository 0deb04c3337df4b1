#!/bin/sh
# demo.sh: make the demo container /trees/demo/box and show it off.
#
# `make demo` runs this as root with the freshly built binary:
#     doc/demo.sh shell/containerize
# Without an argument it uses the installed `containerize`.
#
# It builds a tiny tree from busybox-static, gives the group an example
# bind/stop/unbind hook, and then either enters the container (when stdin
# and stdout are a terminal) or runs a short scripted tour.
# Running it again keeps what is already there.
set -eu
umask 022

cz=${1:-containerize}
# Make a relative path absolute, but do not resolve symlinks: the binary
# looks at its own name (argv[0]) to know whether it is `containerize`.
case $cz in
/*) ;;
*/*) cz=$PWD/${cz#./} ;;
esac

# A root-run containerize honours CONTAINERIZE_TREES, so the demo does too.
trees=${CONTAINERIZE_TREES:-/trees}
group=$trees/demo
conf=$group/.container
tree=$group/box

say() { printf '\n==> %s\n' "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run me as root (sudo make demo)"
command -v "$cz" >/dev/null 2>&1 || die "$cz: not found (build it first: make)"

# --- a static busybox ----------------------------------------------------

# The tree has no libc, so the busybox copied into it must be static.
is_static() { ! ldd "$1" 2>&1 | grep -q '=>'; }

busybox=/bin/busybox
if [ ! -e "$busybox" ]; then
    say "installing busybox-static"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y busybox-static ||
        { apt-get update && apt-get install -y busybox-static; }
fi
if ! is_static "$busybox"; then
    # The dynamic `busybox` package is installed: leave it alone and take
    # the static binary out of the busybox-static package instead.
    say "$busybox is dynamically linked; fetching busybox-static's binary"
    work=$(mktemp -d)
    chmod 0755 "$work"
    (cd "$work" && apt-get download busybox-static) ||
        { apt-get update && (cd "$work" && apt-get download busybox-static); }
    dpkg-deb -x "$work"/busybox-static_*.deb "$work/x"
    busybox=$work/x/bin/busybox
    is_static "$busybox" || die "$busybox is not static either"
fi

# --- the group: /trees/demo/.container -----------------------------------

# put FILE MODE < CONTENT: create FILE unless it exists (keep the user's edits).
put() {
    if [ -e "$1" ]; then
        cat >/dev/null
        return 0
    fi
    cat >"$1.tmp.$$"
    chmod "$2" "$1.tmp.$$"
    mv "$1.tmp.$$" "$1"
}

# Hooks and config are used only if they and .container/ belong to root
# and are not writable by group or others.
mkdir -p "$trees"
install -d -o root -g root -m 0755 "$group" "$conf"

put "$conf/bind" 0755 <<'EOF'
#!/bin/sh
# bind TREE GROUP INSTANCE
# Runs as root in the container's new mount namespace, before anything is
# mounted, with the host's / still visible. A real one would bind-mount a
# source or cache directory into the tree; this one writes /etc/motd.
set -eu
tree=$1
echo "demo: bind $tree (group $2, instance $3, pid ${CONTAINERIZE_PID:-?})" >&2
# Root writing into a tree: replace the file, never write through a symlink.
rm -f "$tree/etc/motd"
set -C
cat >"$tree/etc/motd" <<MOTD
Welcome to the containerize demo.
  /                is $tree on the host
  /tmp             is a fresh tmpfs, gone when the last session ends
  /proc /sys /dev  come from the host
This container was set up $(date) by instance ${CONTAINERIZE_PID:-?}.
/etc/motd was written by the bind hook; unbind removes it at teardown.
MOTD
EOF

put "$conf/stop" 0755 <<'EOF'
#!/bin/sh
# stop TREE INSTANCE_PID
# Runs when the last session has ended, before containerize kills what is
# left in the container's cgroup and the mounts go.
echo "demo: stop $1 (instance $2)" >&2
EOF

put "$conf/unbind" 0755 <<'EOF'
#!/bin/sh
# unbind TREE
# Runs on the host side after the container's mounts are gone: undo what
# bind changed in the tree.
echo "demo: unbind $1: removing etc/motd" >&2
rm -f "$1/etc/motd"
EOF

# The default command when none is given (busybox has no bash).
put "$conf/shell" 0644 <<'EOF'
/bin/sh
EOF

# --- the tree: /trees/demo/box -------------------------------------------

install -d -m 0755 "$tree" "$tree/bin" "$tree/proc" "$tree/sys" \
    "$tree/dev" "$tree/etc"
install -d -m 0700 "$tree/root"
install -d -m 1777 "$tree/tmp"
if [ ! -x "$tree/bin/busybox" ]; then
    cp "$busybox" "$tree/bin/busybox.tmp.$$"
    mv "$tree/bin/busybox.tmp.$$" "$tree/bin/busybox"
fi
# Run inside the tree so that the applet links point to /bin/busybox there.
[ -e "$tree/bin/sh" ] || chroot "$tree" /bin/busybox --install -s /bin
put "$tree/etc/passwd" 0644 <<'EOF'
root:x:0:0:root:/root:/bin/sh
EOF
put "$tree/etc/group" 0644 <<'EOF'
root:x:0:
EOF
[ -z "${work:-}" ] || rm -rf "$work"

say "demo container ready: group $group, tree $tree"

# --- enter it, or take the tour ------------------------------------------

if [ -t 0 ] && [ -t 1 ]; then
    cat <<EOF

Entering the demo container as root; / is $tree.
Try:  cat /etc/motd;  ls /;  cat /proc/self/mounts;  ls -a /tmp
In another terminal, 'sudo $cz demo box' joins this same container,
and 'sudo $cz --list' shows it. Leave with 'exit' or Ctrl-D.

EOF
    exec "$cz" demo box
fi

bg=
cleanup() { [ -z "$bg" ] || kill "$bg" 2>/dev/null || :; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The single quotes below are meant: those commands expand inside.
# shellcheck disable=SC2016
{
say "1. / is the tree: the command sees $tree as /"
"$cz" demo box sh -c 'cat /etc/motd; echo; echo "ls /:"; ls /'

say "2. /tmp is a fresh tmpfs, and it goes with the container"
"$cz" demo box sh -c 'grep " /tmp " /proc/self/mounts
    echo scratch >/tmp/scratch; echo "wrote /tmp/scratch"'
"$cz" demo box sh -c 'if [ -e /tmp/scratch ]; then echo "/tmp/scratch is still there"
    else echo "/tmp/scratch is gone: the last session ended, so the container was torn down"; fi'

say "3. Two sessions share one container (one starts in the background)"
"$cz" demo box sh -c 'echo "hello from session $$" >/tmp/hello; sleep 2' &
bg=$!
"$cz" demo box sh -c 'i=0
    while [ ! -e /tmp/hello ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    echo "session $$ reads the other one'\''s /tmp: $(cat /tmp/hello)"'

say "4. containerize --list, while the background session still runs"
"$cz" --list

say "5. The last session ends: stop, kill what is left, unmount, unbind"
wait "$bg" || echo "(the background session returned $?)"
bg=
"$cz" --list
if [ -e "$tree/etc/motd" ]; then
    echo "$tree/etc/motd is still there"
else
    echo "$tree/etc/motd is gone again: unbind removed it"
fi

say "6. The exit status is the command's"
"$cz" demo box sh -c 'exit 3' || echo "containerize demo box sh -c 'exit 3' returned $?"
"$cz" demo box no-such-command || echo "a command that is not found gives $?"
}

cat <<EOF

That was the tour. Enter the container yourself with

    sudo $cz demo box

and look at $conf to see its hooks.
EOF
