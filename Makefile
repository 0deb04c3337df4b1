# containerize — build, install and test.
#
# Build-time paths (override on the command line; a build with other values
# behaves exactly the same with those paths):
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
PKGS    := mount pam
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS_MOUNT := $(shell pkg-config --libs mount 2>/dev/null)
PKG_LIBS_PAM   := $(shell pkg-config --libs pam 2>/dev/null)

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wswitch-enum -Wcast-qual -Wwrite-strings -Wvla \
           -Wunused-result
HARDEN  := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
ifeq ($(SANITIZE),1)
HARDEN  := -fsanitize=address,undefined -fno-omit-frame-pointer -fPIE
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
SHELL_OBJ := shell/main.o $(patsubst %.c,%.o,$(filter-out shell/main.c,$(wildcard shell/*.c)))
PAM_OBJ := $(patsubst %.c,%.o,$(wildcard pam_containerize/*.c))

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

shell/containerize-shell: $(SHELL_OBJ) $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS_ALL) -pie -o $@ $(SHELL_OBJ) $(LIB) $(PKG_LIBS_MOUNT) $(LDFLAGS_ALL)

shell/containerize: shell/containerize-shell
	ln -sf containerize-shell $@

pam_containerize/pam_containerize.so: $(PAM_OBJ) $(LIB) pam_containerize/pam_containerize.map
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS_ALL) -shared -fvisibility=hidden \
	  -Wl,--version-script=pam_containerize/pam_containerize.map \
	  -o $@ $(PAM_OBJ) $(LIB) $(PKG_LIBS_MOUNT) $(PKG_LIBS_PAM) $(LDFLAGS_ALL)

tests/unit/test_%: tests/unit/test_%.c tests/unit/tap.h $(LIB)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -o $@ $< $(LIB) $(PKG_LIBS_MOUNT) $(LDFLAGS_ALL)

unit: $(UNIT_BIN)

# Packages a fresh Debian 12 machine needs to build (and run the demo),
# and to test.
BUILD_DEPS := build-essential pkg-config libpam0g-dev libmount-dev busybox-static
TEST_DEPS := $(BUILD_DEPS) util-linux psmisc tmux openssh-server openssh-client \
        sudo mandoc debootstrap rsync pamtester bsdextrautils
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

demo:
	$(MAKE) deps DEPS="$(BUILD_DEPS)"
	$(MAKE) all
	doc/demo.sh shell/containerize

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	  $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(PAMDIR)
	install -m 4755 -o root -g root shell/containerize-shell $(DESTDIR)$(BINDIR)/containerize-shell
	ln -sf containerize-shell $(DESTDIR)$(BINDIR)/containerize
	install -m 644 doc/containerize.1 $(DESTDIR)$(MANDIR)/man1/containerize.1
	ln -sf containerize.1 $(DESTDIR)$(MANDIR)/man1/containerize-shell.1
	install -m 644 doc/containerize.conf.5 $(DESTDIR)$(MANDIR)/man5/containerize.conf.5
	if [ -f doc/pam_containerize.8 ]; then install -m 644 doc/pam_containerize.8 $(DESTDIR)$(MANDIR)/man8/; fi
	if [ -f pam_containerize/pam_containerize.so ]; then install -m 644 pam_containerize/pam_containerize.so $(DESTDIR)$(PAMDIR)/; fi
	install -d $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(EXAMPLEDIR)/debian/.container
	install -m 644 doc/containerize.bash-completion $(DESTDIR)$(BASHCOMPDIR)/containerize
	ln -sf containerize $(DESTDIR)$(BASHCOMPDIR)/containerize-shell
	install -m 644 doc/examples/containerize.conf $(DESTDIR)$(EXAMPLEDIR)/
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
	  $(DESTDIR)$(BASHCOMPDIR)/containerize $(DESTDIR)$(BASHCOMPDIR)/containerize-shell
	rm -rf $(DESTDIR)$(EXAMPLEDIR)

clean-objs:
	rm -f common/*.o shell/*.o pam_containerize/*.o $(LIB)

clean: clean-objs
	rm -f shell/containerize-shell shell/containerize pam_containerize/*.so $(UNIT_BIN)

.PHONY: all unit deps check demo install uninstall clean clean-objs
