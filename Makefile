# nfqd: an NFQUEUE verdict daemon.
#
#   make            build build/nfqd and build/nfqctl
#   make check      unit tests, then network tests (as root)
#   make demo       a live demo in network namespaces (as root)
#   make install    binary, man pages, example configuration, init script,
#                   systemd unit
#   make deb        the Debian package, build/nfqd_VERSION_ARCH.deb

PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
DESTDIR	?=

CC	?= cc
PKG_CONFIG ?= pkg-config
PKGS	 = libnetfilter_queue libmnl libconfig libcap-ng libseccomp libpcap \
	   libcrypto

# CFLAGS, CPPFLAGS and LDFLAGS are yours (make CFLAGS="-O0 -g -Werror";
# dpkg-buildflags' hardening flags come this way); the project's own flags
# are always added.
CFLAGS	?= -O2 -g
WARN	 = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	   -Wpointer-arith -Wformat=2
NFQD_CFLAGS = -std=gnu11 $(WARN) -D_GNU_SOURCE -Iinclude \
	   $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null) $(CPPFLAGS) \
	   $(CFLAGS)
LDLIBS	+= $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

B	 = build
# Every source file but the programs' own (main.c, src/nfqctl/), in src/
# and the folders under it.
SRCS	 = $(filter-out src/main.c src/nfqctl/%,$(sort $(wildcard src/*.c \
	   src/*/*.c)))
OBJS	 = $(SRCS:src/%.c=$(B)/%.o)
# nfqctl's objects apart from build/nfqctl, the program.
CTL_OBJS = $(patsubst src/nfqctl/%.c,$(B)/ctl/%.o,$(wildcard src/nfqctl/*.c))
UNIT	 = $(patsubst tests/unit/%.c,$(B)/tests/%,$(wildcard tests/unit/test_*.c))
TOOLS	 = $(B)/tools/udpgen $(B)/tools/l7dump $(B)/tools/hellogen \
	   $(B)/tools/quicgen

all: $(B)/nfqd $(B)/nfqctl

$(B)/nfqd: $(OBJS) $(B)/main.o
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Only nfqctl (top) uses curses.
CTL_CFLAGS = $(shell $(PKG_CONFIG) --cflags ncurses 2>/dev/null)
CTL_LIBS = $(shell $(PKG_CONFIG) --libs ncurses 2>/dev/null)

$(B)/nfqctl: $(OBJS) $(CTL_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CTL_LIBS)

$(B)/ctl/%.o: src/nfqctl/%.c
	@mkdir -p $(@D)
	$(CC) $(NFQD_CFLAGS) $(CTL_CFLAGS) -MMD -MP -c -o $@ $<

# nfqctl top's layout (no curses in it) under test.
$(B)/tests/test_top: tests/unit/test_top.c tests/unit/unit.h $(OBJS) \
    $(B)/ctl/topview.o
	@mkdir -p $(@D)
	$(CC) $(NFQD_CFLAGS) -Itests/unit -Isrc/nfqctl -o $@ $< \
	    $(B)/ctl/topview.o $(OBJS) $(LDLIBS)

# nfqctl's pidfile and configuration reading under test.
CTL_TESTED = $(B)/ctl/control.o $(B)/ctl/paths.o

$(B)/tests/test_ctl: tests/unit/test_ctl.c tests/unit/unit.h $(OBJS) \
    $(CTL_TESTED)
	@mkdir -p $(@D)
	$(CC) $(NFQD_CFLAGS) -Itests/unit -Isrc/nfqctl -o $@ $< \
	    $(CTL_TESTED) $(OBJS) $(LDLIBS)

$(B)/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(NFQD_CFLAGS) -MMD -MP -c -o $@ $<

# nfqd with its fault points compiled in (src/fault.h), for the fault
# tests; never installed.
FAULT_OBJS = $(SRCS:src/%.c=$(B)/faults/%.o) $(B)/faults/main.o

$(B)/nfqd-faults: $(FAULT_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/faults/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(NFQD_CFLAGS) -DNFQD_FAULTS -MMD -MP -c -o $@ $<

# The capture writer's test hangs its thread with a fault point; the name
# sets' test holds a list's reading with one.
$(B)/tests/test_pcapw $(B)/tests/test_names: $(B)/tests/%: \
    tests/unit/%.c tests/unit/unit.h tests/unit/names_ref.h \
    $(filter-out $(B)/faults/main.o,$(FAULT_OBJS))
	@mkdir -p $(@D)
	$(CC) $(NFQD_CFLAGS) -DNFQD_FAULTS -Itests/unit -o $@ $< \
	    $(filter-out $(B)/faults/main.o,$(FAULT_OBJS)) $(LDLIBS)

$(B)/tests/%: tests/unit/%.c tests/unit/unit.h tests/unit/queue_ref.h \
    tests/unit/tls_ref.h tests/unit/names_ref.h tests/unit/http_prefix.h $(OBJS)
	@mkdir -p $(@D)
	$(CC) $(NFQD_CFLAGS) -Itests/unit -o $@ $< $(OBJS) $(LDLIBS)

# l7dump reads a capture through nfqd's own parsers.
$(B)/tools/l7dump: tests/tools/l7dump.c $(OBJS)
	@mkdir -p $(@D)
	$(CC) $(NFQD_CFLAGS) -o $@ $< $(OBJS) $(LDLIBS)

# hellogen and bench_flows build the same packets (tests/tools/hello.c).
$(B)/tools/hellogen: tests/tools/hellogen.c tests/tools/hello.c \
    tests/tools/hello.h
	@mkdir -p $(@D)
	$(CC) $(NFQD_CFLAGS) -o $@ tests/tools/hellogen.c tests/tools/hello.c \
	    $(LDLIBS)

# quicgen, test_quic_split, test_l7udp and bench_quic build the same
# Initials (tests/tools/qinitial.c).
QI	 = tests/tools/qinitial.c tests/tools/qinitial.h

$(B)/tools/quicgen: tests/tools/quicgen.c tests/tools/hello.c \
    tests/tools/hello.h $(QI)
	@mkdir -p $(@D)
	$(CC) $(NFQD_CFLAGS) -o $@ tests/tools/quicgen.c tests/tools/hello.c \
	    tests/tools/qinitial.c $(LDLIBS)

$(B)/tests/test_quic_split: tests/unit/test_quic_split.c tests/unit/unit.h \
    $(QI) $(OBJS)
	@mkdir -p $(@D)
	$(CC) $(NFQD_CFLAGS) -Itests/unit -Itests/tools -o $@ $< \
	    tests/tools/qinitial.c $(OBJS) $(LDLIBS)

# test_l7, test_l7udp and test_l7later share their packets and engine
# (tests/unit/l7harness.c); test_l7udp's QUIC flights are qinitial.c's.
L7H	 = $(B)/tests/l7harness.o tests/unit/l7harness.h tests/unit/unit.h

$(B)/tests/l7harness.o: tests/unit/l7harness.c tests/unit/l7harness.h \
    tests/unit/unit.h
	@mkdir -p $(@D)
	$(CC) $(NFQD_CFLAGS) -Itests/unit -MMD -MP -c -o $@ $<

$(B)/tests/test_l7 $(B)/tests/test_l7later: $(B)/tests/%: tests/unit/%.c \
    $(L7H) $(OBJS)
	@mkdir -p $(@D)
	$(CC) $(NFQD_CFLAGS) -Itests/unit -o $@ $< $(B)/tests/l7harness.o \
	    $(OBJS) $(LDLIBS)

$(B)/tests/test_l7udp: tests/unit/test_l7udp.c tests/unit/quic_vectors.h \
    $(L7H) $(QI) $(OBJS)
	@mkdir -p $(@D)
	$(CC) $(NFQD_CFLAGS) -Itests/unit -Itests/tools -o $@ $< \
	    $(B)/tests/l7harness.o tests/tools/qinitial.c $(OBJS) $(LDLIBS)

$(B)/tools/%: tests/tools/%.c
	@mkdir -p $(@D)
	$(CC) $(NFQD_CFLAGS) -o $@ $< $(LDLIBS)

tests: $(UNIT) $(TOOLS) $(B)/nfqd $(B)/nfqctl $(B)/nfqd-faults

# The benchmarks (as root): the classifier, the name sets, consumers side
# by side (throughput, CPU per packet), and the round trip's tail on the
# consumer's own CPU and across CPUs.
bench: all $(TOOLS) $(B)/bench/bench_classify $(B)/bench/bench_names \
    $(B)/bench/bench_quic $(B)/bench/bench_dnslearn
	$(B)/bench/bench_classify
	$(B)/bench/bench_names
	$(B)/bench/bench_quic
	$(B)/bench/bench_dnslearn
	tests/bench/bench.sh
	tests/bench/bench_latency.sh

$(B)/bench/bench_classify: tests/bench/bench_classify.c $(OBJS)
	@mkdir -p $(@D)
	$(CC) $(NFQD_CFLAGS) -o $@ $< $(OBJS) $(LDLIBS)

$(B)/bench/bench_names: tests/bench/bench_names.c $(OBJS)
	@mkdir -p $(@D)
	$(CC) $(NFQD_CFLAGS) -o $@ $< $(OBJS) $(LDLIBS)

$(B)/bench/bench_quic: tests/bench/bench_quic.c $(QI) $(OBJS)
	@mkdir -p $(@D)
	$(CC) $(NFQD_CFLAGS) -o $@ tests/bench/bench_quic.c \
	    tests/tools/qinitial.c $(OBJS) $(LDLIBS)

$(B)/bench/bench_dnslearn: tests/bench/bench_dnslearn.c $(OBJS)
	@mkdir -p $(@D)
	$(CC) $(NFQD_CFLAGS) -o $@ $< $(OBJS) $(LDLIBS)

$(B)/bench/bench_flows: tests/bench/bench_flows.c tests/tools/hello.c \
    tests/tools/hello.h $(OBJS)
	@mkdir -p $(@D)
	$(CC) $(NFQD_CFLAGS) -o $@ tests/bench/bench_flows.c \
	    tests/tools/hello.c $(OBJS) $(LDLIBS)

# libFuzzer targets (clang), built with ASan and UBSan: make fuzz, then
# tests/fuzz/run.sh [SECONDS] (make check runs each for FUZZ_TIME seconds).
FUZZ_CC	?= clang
FB	 = $(B)/fuzz
FUZZ_CFLAGS = -std=gnu11 -g -O1 -fsanitize=address,undefined \
	   -fno-sanitize-recover=all -D_GNU_SOURCE -Iinclude \
	   $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
FUZZ_OBJS = $(SRCS:src/%.c=$(FB)/obj/%.o)
FUZZERS	 = $(patsubst tests/fuzz/%.c,$(FB)/%,$(wildcard tests/fuzz/fuzz_*.c))

$(FB)/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(FB)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

fuzz: $(FUZZERS)
# Kept between builds (with their .d files, included below): made by a
# pattern rule for another pattern rule, make would take them for
# intermediate files and delete them.
.SECONDARY: $(FUZZ_OBJS)

deps:
	scripts/deps.sh

FUZZ_TIME ?= 20

# nfqd, its unit tests and tools built with AddressSanitizer and
# UndefinedBehaviorSanitizer, and the fault points, in build-asan/.
SAN_FLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	   -fno-sanitize-recover=all

asan:
	$(MAKE) B=build-asan CFLAGS="$(SAN_FLAGS) -DNFQD_FAULTS" \
	    LDFLAGS="-fsanitize=address,undefined" all tests

# Everything: unit, command line, fuzzing, network tests, then the unit,
# command line and network tests again against the sanitizer build, and
# valgrind; one summary line.
check: deps
	$(MAKE) tests fuzz asan
	FUZZ_TIME=$(FUZZ_TIME) tests/run.sh

# The sanitizer part alone.
check-asan: deps
	$(MAKE) tests asan
	tests/run.sh --asan

demo: deps
	$(MAKE) all $(TOOLS)
	scripts/demo.sh

install: $(B)/nfqd $(B)/nfqctl
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(SYSCONFDIR)/nfqd \
	    $(DESTDIR)$(SYSCONFDIR)/init.d $(DESTDIR)/lib/systemd/system \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5
	install -m 0755 $(B)/nfqd $(DESTDIR)$(SBINDIR)/nfqd
	install -m 0755 $(B)/nfqctl $(DESTDIR)$(SBINDIR)/nfqctl
	install -m 0644 docs/nfqd.8 $(DESTDIR)$(MANDIR)/man8/nfqd.8
	install -m 0644 docs/nfqctl.8 $(DESTDIR)$(MANDIR)/man8/nfqctl.8
	install -m 0644 docs/nfqd.conf.5 $(DESTDIR)$(MANDIR)/man5/nfqd.conf.5
	test -e $(DESTDIR)$(SYSCONFDIR)/nfqd/nfqd.conf || \
	    install -m 0644 etc/nfqd.conf $(DESTDIR)$(SYSCONFDIR)/nfqd/nfqd.conf
	install -m 0755 scripts/nfqd.init $(DESTDIR)$(SYSCONFDIR)/init.d/nfqd
	sed 's|@SBINDIR@|$(SBINDIR)|g' scripts/nfqd.service > \
	    $(DESTDIR)/lib/systemd/system/nfqd.service
	sed -i 's|^DAEMON=.*|DAEMON=$(SBINDIR)/nfqd|' \
	    $(DESTDIR)$(SYSCONFDIR)/init.d/nfqd

# The Debian package (debian/), built by dpkg-buildpackage from a copy of
# the files git tracks, as they are in the working tree (uncommitted edits
# included, untracked files not), in build/deb/; debian/rules gets none
# of this make's flags (-s, -j and its jobserver).  The version is
# NFQD_VERSION; debian/changelog must name the same one.
VERSION	 = $(shell sed -n 's/^\#define NFQD_VERSION[[:space:]]*"\(.*\)"/\1/p' \
	   include/nfqd/nfqd.h)
DEB_ARCH = $(shell dpkg --print-architecture 2>/dev/null)
DEB	 = $(B)/nfqd_$(VERSION)_$(DEB_ARCH).deb

deb:
	@v=$$(dpkg-parsechangelog -l debian/changelog -S Version) && \
	if [ "$$v" != "$(VERSION)" ]; then \
		echo "make deb: debian/changelog says $$v, NFQD_VERSION" \
		    "(include/nfqd/nfqd.h) $(VERSION): add a changelog entry" \
		    "(dch -v $(VERSION))" >&2; \
		exit 1; \
	fi
	@git rev-parse --is-inside-work-tree >/dev/null 2>&1 || \
	    { echo "make deb: needs a git checkout" >&2; exit 1; }
	rm -rf $(B)/deb $(DEB)
	mkdir -p $(B)/deb/nfqd-$(VERSION)
	git ls-files -z | tar --null -T - --ignore-failed-read -cf - | \
	    tar -xf - -C $(B)/deb/nfqd-$(VERSION)
	cd $(B)/deb/nfqd-$(VERSION) && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	    dpkg-buildpackage -us -uc -b -Jauto
	cp $(B)/deb/nfqd_$(VERSION)_$(DEB_ARCH).deb $(DEB)
	@echo "make deb: $(DEB)"

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/nfqd $(DESTDIR)$(SBINDIR)/nfqctl \
	    $(DESTDIR)$(SYSCONFDIR)/init.d/nfqd \
	    $(DESTDIR)/lib/systemd/system/nfqd.service \
	    $(DESTDIR)$(MANDIR)/man8/nfqd.8 $(DESTDIR)$(MANDIR)/man8/nfqctl.8 \
	    $(DESTDIR)$(MANDIR)/man5/nfqd.conf.5

clean:
	rm -rf $(B) build-asan

.PHONY: all tests fuzz asan deps check check-asan demo bench install uninstall \
	deb clean

-include $(OBJS:.o=.d) $(B)/main.d $(FAULT_OBJS:.o=.d) $(CTL_OBJS:.o=.d) \
    $(B)/tests/l7harness.d $(FUZZ_OBJS:.o=.d)
