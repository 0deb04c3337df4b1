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
LIBEXECDIR ?= $(PREFIX)/libexec/containerize
MANDIR  := $(PREFIX)/share/man
BASHCOMPDIR := $(PREFIX)/share/bash-completion/completions
EXAMPLEDIR := $(PREFIX)/share/doc/containerize/examples
PAMDIR  ?= $(shell pkg-config --variable=libdir pam 2>/dev/null || echo /lib/x86_64-linux-gnu)/security

CC      ?= cc
PKGS    := pam
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
# The front end is linked static-pie with musl (STATIC=1, the default): a
# dynamic glibc program spends 0.25 ms of every start in the loader, and a
# static glibc one still spends 0.1 to 0.2 ms in its start-up code, which
# probes the CPU with cpuid (each one a trap to the hypervisor on a VM) and
# relocates itself (bench/README.md).  musl starts in a few microseconds.
# musl has no NSS: users and groups come from /etc/passwd and /etc/group
# only, which is right for root and wrong for a mapped user from LDAP or
# sssd.  So the static binary hands every caller who came through the
# setuid bit to its twin, the same program linked dynamically with glibc,
# installed (not setuid) as $(LIBEXECDIR)/containerize-shell (shell/twin.c).
# STATIC=0 builds one dynamic glibc binary and no twin; a sanitizer build
# always does.  The PAM module and the tests are glibc builds either way.
STATIC  ?= 1
ifeq ($(SANITIZE),1)
STATIC  := 0
endif
TWIN    := $(if $(filter 1,$(STATIC)),shell/twin/containerize-shell)
MUSL_CC ?= musl-gcc
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
MUSL_LIBDIR ?= /usr/lib/$(subst -gnu,-musl,$(MULTIARCH))

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

all: shell/containerize-shell shell/containerize $(TWIN) $(if $(PAM_OBJ),pam_containerize/pam_containerize.so)

V ?= 0
Q := $(if $(filter 1,$(V)),,@)

%.o: %.c $(wildcard common/*.h) $(wildcard shell/*.h) Makefile
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -c -o $@ $<

$(LIB): $(LIB_OBJ)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

ifeq ($(STATIC),1)
# musl's headers and the kernel's: only linux/, asm/ and asm-generic/ are
# taken from /usr/include, so no glibc header can slip into a musl object.
MUSL_SRC := $(LIB_SRC) $(wildcard shell/*.c)
MUSL_OBJ := $(addprefix musl/,$(MUSL_SRC:.c=.o))
MUSL_CFLAGS := $(filter-out -D_FORTIFY_SOURCE=2,$(CFLAGS_ALL))
musl/include/.stamp:
	@command -v $(MUSL_CC) >/dev/null || { echo "STATIC=1 needs $(MUSL_CC) (Debian: musl-tools), or build with STATIC=0" >&2; exit 1; }
	@mkdir -p $(@D)
	ln -sfn /usr/include/linux $(@D)/linux
	ln -sfn /usr/include/asm-generic $(@D)/asm-generic
	ln -sfn $(if $(wildcard /usr/include/$(MULTIARCH)/asm),/usr/include/$(MULTIARCH)/asm,/usr/include/asm) $(@D)/asm
	@touch $@

musl/%.o: %.c $(wildcard common/*.h) $(wildcard shell/*.h) Makefile musl/include/.stamp
	@$(if $(Q),echo "  CC      $@ (musl)")
	@mkdir -p $(@D)
	$(Q)$(MUSL_CC) $(filter-out $(PKG_CFLAGS),$(CPPFLAGS_ALL)) -idirafter musl/include \
	  -DCZ_TWIN='"$(LIBEXECDIR)/containerize-shell"' $(MUSL_CFLAGS) -c -o $@ $<

# musl-gcc cannot link static-pie (its specs always name the dynamic
# loader), so the pieces are named here: rcrt1.o relocates the program
# before main.
shell/containerize-shell: $(MUSL_OBJ)
	@$(if $(Q),echo "  LD      $@ (musl, static-pie)")
	$(Q)$(CC) -static-pie -nostdlib -o $@ $(MUSL_LIBDIR)/rcrt1.o $(MUSL_LIBDIR)/crti.o \
	  $$($(CC) -print-file-name=crtbeginS.o) $^ $(MUSL_LIBDIR)/libc.a $$($(CC) -print-libgcc-file-name) \
	  $$($(CC) -print-file-name=crtendS.o) $(MUSL_LIBDIR)/crtn.o $(LDFLAGS_ALL)

$(TWIN): $(SHELL_OBJ) $(LIB)
	@$(if $(Q),echo "  LD      $@")
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS_ALL) -pie -o $@ $^ $(LDFLAGS_ALL)
else
shell/containerize-shell: $(SHELL_OBJ) $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS_ALL) -pie -o $@ $^ $(LDFLAGS_ALL)
endif

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
# and to test.
BUILD_DEPS := build-essential pkg-config libpam0g-dev musl-tools busybox-static
TEST_DEPS := $(BUILD_DEPS) util-linux psmisc tmux openssh-server openssh-client \
        sudo mandoc debootstrap rsync pamtester bsdextrautils valgrind clang \
        debhelper dpkg-dev fakeroot lintian bash-completion python3
DEPS ?= $(TEST_DEPS)
deps:
	@missing=; for p in $(DEPS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

check: deps
	$(MAKE) clean-objs
	$(MAKE) WERROR=-Werror all unit
	tests/run

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
	if [ -n "$(TWIN)" ]; then install -d $(DESTDIR)$(LIBEXECDIR) && \
	  install -m 755 -o root -g root $(TWIN) $(DESTDIR)$(LIBEXECDIR)/containerize-shell; fi
	install -m 644 doc/containerize.1 $(DESTDIR)$(MANDIR)/man1/containerize.1
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
	install -m 644 doc/examples/debian/.container/propagation doc/examples/debian/.container/shell \
	  $(DESTDIR)$(EXAMPLEDIR)/debian/.container/
	@echo "To use containerize-shell as a login shell: add $(BINDIR)/containerize-shell to /etc/shells"

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/containerize-shell $(DESTDIR)$(BINDIR)/containerize \
	  $(DESTDIR)$(MANDIR)/man1/containerize.1 $(DESTDIR)$(MANDIR)/man1/containerize-shell.1 \
	  $(DESTDIR)$(MANDIR)/man5/containerize.conf.5 $(DESTDIR)$(MANDIR)/man8/pam_containerize.8 \
	  $(DESTDIR)$(PAMDIR)/pam_containerize.so \
	  $(DESTDIR)$(BASHCOMPDIR)/containerize $(DESTDIR)$(BASHCOMPDIR)/containerize-shell \
	  $(DESTDIR)$(LIBEXECDIR)/containerize-shell
	-rmdir $(DESTDIR)$(LIBEXECDIR) 2>/dev/null
	rm -rf $(DESTDIR)$(EXAMPLEDIR)

clean-objs:
	rm -rf common/*.o shell/*.o pam_containerize/*.o pam_containerize/nosan musl $(LIB)

clean: clean-objs
	rm -f shell/containerize-shell shell/containerize pam_containerize/*.so $(UNIT_BIN)
	rm -rf shell/twin

.PHONY: all unit deps check bench demo deb install uninstall clean clean-objs
