# tandem — carrier media gateway (GNU make, no autotools)
#
#   make deps    install missing Debian packages (apt-get; root only)
#   make         build/tandemd and build/tandem-tool
#   make check   deps + build + unit tests (plain and ASan/UBSan) + integration
#   make demo    deps + build + the gateway's main job, shown
#   make run     tandemd in the foreground on etc/tandem.cfg
#   make bench   benchmarks (side by side with reference peers)
#   make fuzz    libFuzzer targets, FUZZ_SECONDS each
#   make install PREFIX=/usr/local DESTDIR=
#
# Layers add sources by dropping .c files in their folder; tandem-tool
# subcommands are files ending in _tool.c; program entry points end in _main.c.
# Test peers, benchmarks and fuzzers with special needs add a fragment
# tests/<kind>/<name>/*.mk, included below.

PREFIX ?= /usr/local
DESTDIR ?=
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
FUZZ_SECONDS ?= 20

BUILD := build
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
GIT_REV := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

# Debian packages: to build, and to run the tests and the demo.
DEB_BUILD := gcc make pkg-config libosmocore-dev libosmo-sigtran-dev liburing-dev \
	libssl-dev libspandsp-dev libspeexdsp-dev check libc-ares-dev libtalloc-dev libsctp-dev libmicrohttpd-dev libpri-dev
DEB_TEST := clang libclang-rt-14-dev sip-tester dnsmasq-base tshark libss7-dev \
	libosip2-dev libspeexdsp-dev procps iproute2 stunnel4 baresip-core \
	qemu-system-x86 busybox-static cpio osmo-stp nftables prometheus curl
DEB_BUILD += libbpf-dev libxdp-dev
DEB_BUILD += libpq-dev
DEB_BUILD += libncurses-dev
DEB_TEST += postgresql
DEB_TEST += kamailio kamailio-tls-modules
export DEB_BUILD DEB_TEST

PKGS := libosmocore libosmovty libosmogsm libosmo-sigtran liburing spandsp speexdsp libcares \
	openssl talloc
# libmicrohttpd (the /metrics endpoint) is optional: without it tandemd
# builds and says so when metrics are configured
MHD_PKG := $(shell pkg-config --exists libmicrohttpd 2>/dev/null && echo libmicrohttpd)
# libpri (ISDN PRI, isdn/) has no pkg-config file; without it the build goes
# on and a PRI span is refused at start-up with the reason.
HAVE_LIBPRI := $(shell test -e /usr/include/libpri.h && echo 1)
PRI_LIBS := $(if $(HAVE_LIBPRI),-lpri)
PRI_CFLAGS := $(if $(HAVE_LIBPRI),-DTANDEM_HAVE_LIBPRI)
# ncurses (tandem-tool top's terminal view) too: without it top shows text
CURSES_PKG := $(shell pkg-config --exists ncursesw 2>/dev/null && echo ncursesw)
CURSES_LIBS := $(if $(CURSES_PKG),$(shell pkg-config --libs ncursesw))
# libpq (CDRs into PostgreSQL) is optional the same way
PQ_PKG := $(shell pkg-config --exists libpq 2>/dev/null && echo libpq)
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) $(MHD_PKG) $(PQ_PKG) 2>/dev/null) \
	$(if $(MHD_PKG),-DTANDEM_HAVE_MHD) $(if $(PQ_PKG),-DTANDEM_HAVE_LIBPQ)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) $(MHD_PKG) $(PQ_PKG) 2>/dev/null) $(PRI_LIBS) -lm -lpthread

# AF_XDP media path (core/xdp.c): built when libxdp, libbpf and clang's BPF
# target are there; without them the media plane runs on sockets and says why.
XDP_OK := $(shell pkg-config --exists libxdp libbpf 2>/dev/null && command -v clang >/dev/null && echo 1)
ifeq ($(XDP_OK),1)
XDP_CPPFLAGS := -DTANDEM_XDP
PKG_LIBS += $(shell pkg-config --libs libxdp libbpf 2>/dev/null)
endif

CC ?= gcc
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror
CPPFLAGS_ALL = -std=gnu11 -D_GNU_SOURCE -I. -I$(BUILD)/gen $(PKG_CFLAGS) $(PRI_CFLAGS) \
	-DTANDEM_VERSION='"$(VERSION)"' -DTANDEM_GIT_REV='"$(GIT_REV)"' $(XDP_CPPFLAGS)
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
TSAN_FLAGS := -O1 -g -fsanitize=thread

LAYERS := core sigtran sip media isdn interwork
ALL_SRC := $(sort $(wildcard $(addsuffix /*.c,$(LAYERS))))
TOOL_SRC := $(filter %_tool.c,$(ALL_SRC))
MAIN_SRC := $(filter %_main.c,$(ALL_SRC))
LIB_SRC := $(filter-out %_tool.c %_main.c,$(ALL_SRC))

LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
TOOL_OBJ := $(TOOL_SRC:%.c=$(BUILD)/obj/%.o)
LIB_SAN_OBJ := $(LIB_SRC:%.c=$(BUILD)/san/%.o)
LIB_TSAN_OBJ := $(LIB_SRC:%.c=$(BUILD)/tsan/%.o)

UNIT_SRC := $(sort $(wildcard tests/unit/check_*.c))
UNIT_SUPPORT := tests/unit/runner.c tests/unit/unit.c tests/unit/isup_link_harness.c \
	tests/unit/sip_peer.c
UNIT_OBJ := $(UNIT_SRC:%.c=$(BUILD)/obj/%.o) $(UNIT_SUPPORT:%.c=$(BUILD)/obj/%.o)
UNIT_SAN_OBJ := $(UNIT_SRC:%.c=$(BUILD)/san/%.o) $(UNIT_SUPPORT:%.c=$(BUILD)/san/%.o)
UNIT_TSAN_OBJ := $(UNIT_SRC:%.c=$(BUILD)/tsan/%.o) $(UNIT_SUPPORT:%.c=$(BUILD)/tsan/%.o)
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null)

BENCH_SRC := $(sort $(wildcard tests/bench/bench_*.c))
BENCH_BIN := $(BENCH_SRC:tests/bench/%.c=$(BUILD)/bench/%)
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
LIB_FUZZ_OBJ := $(LIB_SRC:%.c=$(BUILD)/fuzzobj/%.o)

# Fragments append to these.
PEER_BIN :=
BENCH_EXTRA :=

.PHONY: all deps check check-run demo demo-run run bench bench-run fuzz fuzz-run \
	install clean format peers unit
.DEFAULT_GOAL := all

all: $(BUILD)/tandemd $(BUILD)/tandem-tool

-include $(sort $(wildcard tests/*/*/*.mk))

deps:
	@sh tests/deps.sh

# The public targets install what is missing first, then re-enter make so that
# pkg-config sees the freshly installed libraries.
check: deps
	@$(MAKE) --no-print-directory check-run
demo: deps
	@$(MAKE) --no-print-directory demo-run
bench: deps
	@$(MAKE) --no-print-directory bench-run
fuzz: deps
	@$(MAKE) --no-print-directory fuzz-run

check-run: all unit peers
	@bash tests/check.sh

demo-run: all peers
	@bash tests/demo.sh

run: all
	$(BUILD)/tandemd -c etc/tandem.cfg

bench-run: all $(BENCH_BIN) $(BENCH_EXTRA) peers
	@sh tests/bench.sh

fuzz-run: $(FUZZ_BIN)
	@sh tests/fuzz.sh $(FUZZ_SECONDS)

unit: $(BUILD)/unit-tests $(BUILD)/unit-tests-san $(BUILD)/unit-tests-tsan $(BUILD)/tandemd-san
peers: $(PEER_BIN)

$(BUILD)/tandemd: $(BUILD)/obj/interwork/tandemd_main.o $(LIB_OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/tandem-tool: $(BUILD)/obj/interwork/tool_main.o $(TOOL_OBJ) $(LIB_OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) $(CURSES_LIBS)
$(BUILD)/obj/interwork/iw_top_curses_tool.o: CPPFLAGS_ALL += \
	$(if $(CURSES_PKG),-DTANDEM_HAVE_NCURSES $(shell pkg-config --cflags ncursesw))

$(BUILD)/unit-tests: $(UNIT_OBJ) $(LIB_OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(CHECK_LIBS) $(PKG_LIBS)

$(BUILD)/unit-tests-san: $(UNIT_SAN_OBJ) $(LIB_SAN_OBJ)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(CHECK_LIBS) $(PKG_LIBS)

# tandemd under ASan+UBSan (objects shared with unit-tests-san): tests/check.sh
# runs the call suites a second time against it (TANDEM_TANDEMD).
$(BUILD)/tandemd-san: $(BUILD)/san/interwork/tandemd_main.o $(LIB_SAN_OBJ)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(PKG_LIBS)

# ThreadSanitizer for the code that crosses threads (queues, media workers).
$(BUILD)/unit-tests-tsan: $(UNIT_TSAN_OBJ) $(LIB_TSAN_OBJ)
	$(CC) $(TSAN_FLAGS) -o $@ $^ $(CHECK_LIBS) $(PKG_LIBS)

# The list of Check suites is generated from the file names, so a new
# tests/unit/check_foo.c (defining foo_suite()) joins the runner by itself.
$(BUILD)/gen/suites.h: FORCE
	@mkdir -p $(dir $@)
	@for f in $(UNIT_SRC); do b=$${f##*/check_}; echo "SUITE($${b%.c})"; done > $@.tmp
	@cmp -s $@.tmp $@ 2>/dev/null && rm -f $@.tmp || mv $@.tmp $@
$(BUILD)/obj/tests/unit/runner.o $(BUILD)/san/tests/unit/runner.o \
	$(BUILD)/tsan/tests/unit/runner.o: $(BUILD)/gen/suites.h

# The XDP program: clang's BPF target, embedded into core/xdp.c as bytes.
$(BUILD)/gen/xdp_steer.bpf.o: core/bpf/xdp_steer.bpf.c
	@mkdir -p $(dir $@)
	clang -O2 -g -Wall -Werror -target bpf -I/usr/include/$(shell $(CC) -print-multiarch) -c -o $@ $<
$(BUILD)/gen/xdp_steer.bpf.inc: $(BUILD)/gen/xdp_steer.bpf.o
	od -An -v -tx1 $< | sed 's/\([0-9a-f][0-9a-f]\)/0x\1,/g' > $@
ifeq ($(XDP_OK),1)
$(BUILD)/obj/core/xdp.o $(BUILD)/san/core/xdp.o $(BUILD)/tsan/core/xdp.o \
	$(BUILD)/fuzzobj/core/xdp.o: $(BUILD)/gen/xdp_steer.bpf.inc
endif

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) $(CPPFLAGS_ALL) -MMD -MP -c -o $@ $<

$(BUILD)/san/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(SAN_FLAGS) $(WARN) $(CPPFLAGS_ALL) -MMD -MP -c -o $@ $<

$(BUILD)/tsan/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(TSAN_FLAGS) $(WARN) $(CPPFLAGS_ALL) -MMD -MP -c -o $@ $<

$(BUILD)/bench/%: tests/bench/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) $(CPPFLAGS_ALL) -MMD -MP -o $@ $< $(LIB_OBJ) $(PKG_LIBS) $(BENCH_LIBS_$*)

$(BUILD)/fuzzobj/%.o: %.c
	@mkdir -p $(dir $@)
	clang -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all $(WARN) -Wno-unused-command-line-argument \
		-Wno-unused-parameter \
		$(CPPFLAGS_ALL) -MMD -MP -c -o $@ $<

$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIB_FUZZ_OBJ)
	@mkdir -p $(dir $@)
	clang -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all $(WARN) $(CPPFLAGS_ALL) -o $@ $< \
		$(LIB_FUZZ_OBJ) $(PKG_LIBS)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(SYSCONFDIR)/tandem $(DESTDIR)$(UNITDIR)
	install -m 0755 $(BUILD)/tandemd $(BUILD)/tandem-tool $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 etc/tandem.cfg $(DESTDIR)$(SYSCONFDIR)/tandem/tandem.cfg
	sed 's|@BINDIR@|$(PREFIX)/bin|; s|@SYSCONFDIR@|$(SYSCONFDIR)|' etc/tandemd.service.in \
		> $(DESTDIR)$(UNITDIR)/tandemd.service
	install -D -m 0644 etc/tandem.sysusers $(DESTDIR)$(PREFIX)/lib/sysusers.d/tandem.conf

format:
	clang-format -i $(ALL_SRC) $(wildcard $(addsuffix /*.h,$(LAYERS))) \
		$(wildcard tests/unit/*.[ch] tests/fuzz/*.c tests/bench/*.c tests/peers/*/*.[ch])

clean:
	rm -rf $(BUILD)

FORCE:

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# etc/tandem.cfg is also tandemd's built-in default configuration.
$(BUILD)/gen/default_cfg.h: etc/tandem.cfg
	@mkdir -p $(dir $@)
	@{ echo 'static const char tandem_default_cfg[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $<; echo ';'; } > $@
$(BUILD)/obj/interwork/tandemd_main.o $(BUILD)/san/interwork/tandemd_main.o: $(BUILD)/gen/default_cfg.h
