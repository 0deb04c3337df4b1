# containerize — build, install and test.
#
# Build-time paths (override on the command line; a build with other values
# behaves exactly the same with those paths):
.DEFAULT_GOAL := all

TREES      ?= /trees
RUNDIR     ?= /run/containerize
SYSCONFDIR ?= /etc
PREFIX     ?= /usr/local
DESTDIR    ?=
VERSION    := 0.1

BINDIR  := $(PREFIX)/bin
MANDIR  := $(PREFIX)/share/man
BASHCOMPDIR := $(PREFIX)/share/bash-completion/completions
EXAMPLEDIR := $(PREFIX)/share/doc/containerize/examples
PAMDIR  ?= $(shell pkg-config --variable=libdir pam 2>/dev/null || echo /lib/x86_64-linux-gnu)/security

CC      ?= cc
# libmount and libsystemd are not linked but loaded on first use
# (common/libmount.c; common/systemd.c, on systemd hosts only): only their
# headers are needed here.
PKGS    := pam mount libsystemd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS_PAM   := $(shell pkg-config --libs pam 2>/dev/null)

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wswitch-enum -Wcast-qual -Wwrite-strings -Wvla \
           -Wunused-result
HARDEN_PLAIN := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
HARDEN  := $(HARDEN_PLAIN)
ifeq ($(SANITIZE),1)
# ASan/UBSan for the programs and tests.  The PAM module is loaded into
# uninstrumented programs (sshd, su), where the ASan runtime cannot come
# first: it is built from a plain copy of the library.
HARDEN  := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -fPIE -DCZ_SANITIZE
SANLD   := -fsanitize=address,undefined
endif
OPT     ?= -O2 -g
WERROR  ?=
CPPFLAGS_ALL := -D_GNU_SOURCE -DCZ_TREES='"$(TREES)"' -DCZ_RUNDIR='"$(RUNDIR)"' \
           -DCZ_CONF='"$(SYSCONFDIR)/containerize.conf"' -DCZ_VERSION='"$(VERSION)"' \
           -Icommon $(PKG_CFLAGS) $(CPPFLAGS)
CFLAGS_ALL := -std=c11 $(OPT) $(WARN) $(WERROR) $(HARDEN) -fPIC $(CFLAGS)
LDFLAGS_ALL := -Wl,-z,relro -Wl,-z,now $(SANLD) $(LDFLAGS)
LIB_SRC := $(wildcard common/*.c)
LIB_OBJ := $(LIB_SRC:.c=.o)
LIB     := common/libcontainerize.a
SHELL_OBJ := $(patsubst %.c,%.o,$(wildcard shell/*.c))
PAM_OBJ := $(patsubst %.c,%.o,$(wildcard pam_containerize/*.c))
PAM_LIB := $(LIB)
ifeq ($(SANITIZE),1)
PAM_LIB := pam_containerize/nosan/libcontainerize.a
PAM_LIB_OBJ := $(patsubst common/%.c,pam_containerize/nosan/%.o,$(LIB_SRC))
PLAIN_CFLAGS := -std=c11 $(OPT) $(WARN) $(WERROR) $(HARDEN_PLAIN) -fPIC $(CFLAGS)
pam_containerize/nosan/%.o: common/%.c $(wildcard common/*.h) Makefile
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS_ALL) $(PLAIN_CFLAGS) -c -o $@ $<
$(PAM_LIB): $(PAM_LIB_OBJ)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^
$(PAM_OBJ): pam_containerize/%.o: pam_containerize/%.c $(wildcard common/*.h) Makefile
	$(Q)$(CC) $(CPPFLAGS_ALL) $(PLAIN_CFLAGS) -fvisibility=hidden -c -o $@ $<
PAM_LDFLAGS := -Wl,-z,relro -Wl,-z,now $(LDFLAGS)
else
PAM_LDFLAGS := $(LDFLAGS_ALL)
endif

pam_containerize/%.o: CFLAGS_ALL += -fvisibility=hidden
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:.c=)

all: shell/containerize-shell shell/containerize $(if $(PAM_OBJ),pam_containerize/pam_containerize.so)

V ?= 0
Q := $(if $(filter 1,$(V)),,@)

%.o: %.c $(wildcard common/*.h) $(wildcard shell/*.h) Makefile
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -c -o $@ $<

$(LIB): $(LIB_OBJ)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

# One program, linked dynamically with glibc: users and groups come
# through NSS like for every other setuid tool.
shell/containerize-shell: $(SHELL_OBJ) $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS_ALL) -pie -o $@ $^ $(LDFLAGS_ALL)

shell/containerize: shell/containerize-shell
	ln -sf containerize-shell $@

pam_containerize/pam_containerize.so: $(PAM_OBJ) $(PAM_LIB) pam_containerize/pam_containerize.map
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -shared -fvisibility=hidden \
	  -Wl,--version-script=pam_containerize/pam_containerize.map \
	  -o $@ $(PAM_OBJ) $(PAM_LIB) $(PKG_LIBS_PAM) $(PAM_LDFLAGS)

tests/unit/test_%: tests/unit/test_%.c tests/unit/tap.h $(LIB)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -o $@ $< $(LIB) $(LDFLAGS_ALL)

unit: $(UNIT_BIN)

# Packages a fresh Debian 12 machine needs to build (and run the demo),
# and to test.  systemd-container (systemd-nspawn, for the systemd host
# tests) comes without its Recommends: libnss-mymachines would edit the
# host's nsswitch.conf.
BUILD_DEPS := build-essential pkg-config libpam0g-dev libmount-dev libsystemd-dev busybox-static
TEST_DEPS := $(BUILD_DEPS) util-linux psmisc strace tmux openssh-server openssh-client \
        sudo mandoc debootstrap rsync pamtester bsdextrautils valgrind clang \
        debhelper dpkg-dev fakeroot lintian bash-completion python3 autopkgtest sbuild systemd-container
DEPS ?= $(TEST_DEPS)
deps:
	@missing=; for p in $(DEPS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  norec=; rest=; for p in $$missing; do \
	    case $$p in systemd-container) norec="$$norec $$p" ;; *) rest="$$rest $$p" ;; esac; \
	  done; \
	  apt-get update -qq && \
	  { [ -z "$$rest" ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$rest >/dev/null; } && \
	  { [ -z "$$norec" ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$norec >/dev/null; }; \
	fi

# CZ_HOST_NS=rshared: the tests run from a mount namespace whose / is rshared, with stacked
# mounts (tests/lib/rshared-ns.sh), as on systemd hosts and in containers
CZ_HOST_NS ?=
ifneq ($(filter-out rshared,$(CZ_HOST_NS)),)
$(error CZ_HOST_NS: only "rshared" (or empty) is known, not "$(CZ_HOST_NS)")
endif
check: deps
	$(MAKE) clean-objs
	$(MAKE) WERROR=-Werror all unit
	$(if $(filter rshared,$(CZ_HOST_NS)),tests/lib/rshared-ns.sh )tests/run

bench: all
	bench/run

demo:
	$(MAKE) deps DEPS="$(BUILD_DEPS)"
	$(MAKE) all
	doc/demo.sh shell/containerize

# Debian packages (containerize, libpam-containerize) built from a copy of
# this tree, since dpkg-buildpackage writes into the parent directory of the
# source.  The .deb, .changes and .buildinfo files land in $(DEB_OUT), a new
# directory under /var/tmp unless given; lintian checks them.
DEB_DEPS := $(BUILD_DEPS) debhelper dpkg-dev fakeroot lintian
DEB_OUT ?=
deb:
	$(MAKE) deps DEPS="$(DEB_DEPS)"
	@set -e; \
	out="$(DEB_OUT)"; [ -n "$$out" ] || out=$$(mktemp -d /var/tmp/containerize-deb.XXXXXX); \
	mkdir -p "$$out"; out=$$(cd "$$out" && pwd); \
	src="$$out/containerize-$(VERSION)"; rm -rf "$$src"; mkdir "$$src"; \
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	  git ls-files -z --cached --others --exclude-standard | \
	    tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -xf - -C "$$src"; \
	else \
	  tar --exclude=./debian/tmp --exclude='*.o' --exclude='*.a' --exclude='*.so' \
	    --exclude=./shell/containerize-shell --exclude=./shell/containerize -cf - . | tar -xf - -C "$$src"; \
	fi; \
	(cd "$$src" && dpkg-buildpackage -us -uc -b) >"$$out/build.log" 2>&1 || \
	  { tail -n 40 "$$out/build.log"; echo "deb: build failed, log in $$out/build.log"; exit 1; }; \
	rm -rf "$$src"; \
	lintian --fail-on error "$$out"/*.changes; \
	ls -1 "$$out"/*.deb; echo "deb: packages in $$out"

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	  $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(PAMDIR)
	install -m 4755 -o root -g root shell/containerize-shell $(DESTDIR)$(BINDIR)/containerize-shell
	ln -sf containerize-shell $(DESTDIR)$(BINDIR)/containerize
	install -m 644 doc/containerize.1 $(DESTDIR)$(MANDIR)/man1/containerize.1
	install -m 755 virt/autopkgtest-virt-containerize $(DESTDIR)$(BINDIR)/autopkgtest-virt-containerize
	install -m 644 doc/autopkgtest-virt-containerize.1 $(DESTDIR)$(MANDIR)/man1/autopkgtest-virt-containerize.1
	ln -sf containerize.1 $(DESTDIR)$(MANDIR)/man1/containerize-shell.1
	install -m 644 doc/containerize.conf.5 $(DESTDIR)$(MANDIR)/man5/containerize.conf.5
	if [ -f doc/pam_containerize.8 ]; then install -m 644 doc/pam_containerize.8 $(DESTDIR)$(MANDIR)/man8/; fi
	if [ -f pam_containerize/pam_containerize.so ]; then install -m 644 pam_containerize/pam_containerize.so $(DESTDIR)$(PAMDIR)/; fi
	install -d $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(EXAMPLEDIR)/debian/.container
	install -m 644 doc/containerize.bash-completion $(DESTDIR)$(BASHCOMPDIR)/containerize
	ln -sf containerize $(DESTDIR)$(BASHCOMPDIR)/containerize-shell
	install -d $(DESTDIR)$(EXAMPLEDIR)/pam.d
	install -m 644 doc/examples/containerize.conf doc/examples/sudoers $(DESTDIR)$(EXAMPLEDIR)/
	install -m 644 doc/examples/pam.d/sshd doc/examples/pam.d/su-l doc/examples/pam.d/login $(DESTDIR)$(EXAMPLEDIR)/pam.d/
	install -m 755 doc/examples/debian/.container/bind doc/examples/debian/.container/unbind \
	  doc/examples/debian/.container/stop $(DESTDIR)$(EXAMPLEDIR)/debian/.container/
	install -m 644 doc/examples/debian/README $(DESTDIR)$(EXAMPLEDIR)/debian/
	install -m 644 doc/examples/debian/.container/propagation doc/examples/debian/.container/shell \
	  doc/examples/debian/.container/fstab $(DESTDIR)$(EXAMPLEDIR)/debian/.container/
	@echo "To use containerize-shell as a login shell: add $(BINDIR)/containerize-shell to /etc/shells"

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/containerize-shell $(DESTDIR)$(BINDIR)/containerize \
	  $(DESTDIR)$(MANDIR)/man1/containerize.1 $(DESTDIR)$(MANDIR)/man1/containerize-shell.1 \
	  $(DESTDIR)$(BINDIR)/autopkgtest-virt-containerize \
	  $(DESTDIR)$(MANDIR)/man1/autopkgtest-virt-containerize.1 \
	  $(DESTDIR)$(MANDIR)/man5/containerize.conf.5 $(DESTDIR)$(MANDIR)/man8/pam_containerize.8 \
	  $(DESTDIR)$(PAMDIR)/pam_containerize.so \
	  $(DESTDIR)$(BASHCOMPDIR)/containerize $(DESTDIR)$(BASHCOMPDIR)/containerize-shell
	rm -rf $(DESTDIR)$(EXAMPLEDIR)

clean-objs:
	rm -rf common/*.o shell/*.o pam_containerize/*.o pam_containerize/nosan $(LIB)

clean: clean-objs
	rm -f shell/containerize-shell shell/containerize pam_containerize/*.so $(UNIT_BIN)

.PHONY: all unit deps check bench demo deb install uninstall clean clean-objs
