# portaudit -- passive network traffic auditor.
#
#   make            build ./portaudit
#   make test       unit + integration tests, again under ASan+UBSan, and the
#                   threaded capture path under ThreadSanitizer
#   make demo       build and run on the bundled captures
#   make pcaps      regenerate pcaps/*.pcap from pcaps/*.flows (byte for byte)
#   make bench      benchmark against a bare libpcap read loop
#   make fuzz       build the libFuzzer targets (clang), see tests/fuzz/;
#                   make fuzz SECONDS=N also runs each one for N seconds
#   make valgrind   the integration tests with the binary under valgrind
#                   memcheck (no error, no leak), see tests/valgrind.sh
#   make lint       banned functions, trailing whitespace
#   make install PREFIX=/usr/local
#
# Objects go to $(B)/rel (normal) and $(B)/san (sanitizers), B=build by default. Every .c in
# capture/ classify/ catalog/ reports/ is part of the library; every
# tests/test_*.c (unit) and tests/it_*.c (integration, runs the real binary)
# is one cmocka program, linked with tests/harness.c.

CC      ?= cc
PREFIX  ?= /usr/local
B       ?= build
DEBS    := pkg-config libpcap-dev libyaml-dev libcmocka-dev libjansson-dev \
           zlib1g-dev libcap-ng-dev
PKGS    := libpcap yaml-0.1 jansson cmocka zlib libcap-ng

# A fresh machine needs nothing by hand: install what pkg-config cannot find.
ifeq ($(filter clean lint,$(MAKECMDGOALS)),)
ifneq ($(shell command -v pkg-config >/dev/null 2>&1 && pkg-config --exists $(PKGS) && echo ok),ok)
$(info portaudit: installing build dependencies: $(DEBS))
DEPS_INSTALL := $(shell (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	apt-get install -y -qq $(DEBS)) >&2 && echo ok)
ifneq ($(DEPS_INSTALL),ok)
$(error could not install $(DEBS); install them and run make again)
endif
endif
endif

PKG_CFLAGS := $(shell pkg-config --cflags libpcap yaml-0.1 jansson zlib libcap-ng 2>/dev/null)
# -pthread: capture/pipe.c runs the flow table on a second thread; zlib:
# capture/zeek.c reads gzip'ed conn logs.
PKG_LIBS   := $(shell pkg-config --libs libpcap yaml-0.1 jansson zlib libcap-ng 2>/dev/null) -pthread
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

WARN    := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla -Wstrict-prototypes \
           -Wmissing-prototypes -Wno-missing-field-initializers
# -Wconversion where it matters most: the packet decoders and flow table.
WARN_CAPTURE := -Wconversion
CPPFLAGS_ALL := -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -I.
CFLAGS  ?= -O2 -g
CFLAGS_ALL = -std=c11 -pthread $(WARN) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
            -fno-omit-frame-pointer -O1 -g
TSANFLAGS := -fsanitize=thread -O1 -g

LIB_SRC  := $(sort $(wildcard capture/*.c classify/*.c catalog/*.c reports/*.c))
TEST_SRC := $(sort $(wildcard tests/test_*.c tests/it_*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
GEN_SRC  := $(B)/gen/catalog_builtin.c $(B)/gen/report_schema.c

.SECONDARY:
.PHONY: all test test-build test-runs test-rel-tsan test-rel test-san test-tsan-pipe test-tools demo pcaps bench fuzz valgrind lint install clean \
        check-pcaps

all: portaudit

# ---- the built-in catalog, generated from catalog/prognosis.yaml --------
$(B)/gen/catalog_builtin.c: catalog/prognosis.yaml catalog/embed.sh
	@mkdir -p $(@D)
	sh catalog/embed.sh $< > $@.tmp && mv $@.tmp $@
$(B)/gen/report_schema.c: docs/report.schema.json catalog/embed.sh
	@mkdir -p $(@D)
	sh catalog/embed.sh $< rep_schema_json > $@.tmp && mv $@.tmp $@

# ---- one rule set per variant (rel, san) ---------------------------------
define variant
$(1)_DIR   := $(B)/$(1)
$(1)_FLAGS := $(2)
$(1)_OBJ   := $$(patsubst %.c,$(B)/$(1)/%.o,$$(LIB_SRC) $$(GEN_SRC:$(B)/gen/%=gen/%))

$(B)/$(1)/%.o: %.c
	@mkdir -p $$(@D)
	$$(CC) $$(CPPFLAGS_ALL) $$(CFLAGS_ALL) $(2) $$(if $$(filter capture/%,$$<),$$(WARN_CAPTURE)) -c $$< -o $$@

$(B)/$(1)/gen/%.o: $(B)/gen/%.c
	@mkdir -p $$(@D)
	$$(CC) $$(CPPFLAGS_ALL) $$(CFLAGS_ALL) $(2) -c $$< -o $$@

$(B)/$(1)/libportaudit.a: $$($(1)_OBJ)
	@rm -f $$@
	ar rcs $$@ $$^

$(B)/$(1)/portaudit: $(B)/$(1)/portaudit.o $(B)/$(1)/libportaudit.a
	$$(CC) $(2) -o $$@ $$^ $$(PKG_LIBS) -lm

$(B)/$(1)/pcapgen: $(B)/$(1)/pcaps/pcapgen.o
	$$(CC) $(2) -o $$@ $$^ $$(PKG_LIBS)

# tests/it_floods.c's generator of floods (tests/floodgen.c).
$(B)/$(1)/floodgen: $(B)/$(1)/tests/floodgen.o
	$$(CC) $(2) -o $$@ $$^

$(B)/$(1)/t/%: $(B)/$(1)/tests/%.o $(B)/$(1)/tests/harness.o $(B)/$(1)/libportaudit.a
	@mkdir -p $$(@D)
	$$(CC) $(2) -o $$@ $$^ $$(PKG_LIBS) $$(CMOCKA_LIBS) -lm

$(B)/$(1)/t/fuzz_%: $(B)/$(1)/tests/fuzz/fuzz_%.o $(B)/$(1)/tests/fuzz/replay.o $(B)/$(1)/libportaudit.a
	@mkdir -p $$(@D)
	$$(CC) $(2) -o $$@ $$^ $$(PKG_LIBS) -lm

$(1)_TESTS := $$(patsubst tests/%.c,$(B)/$(1)/t/%,$$(TEST_SRC)) \
              $$(patsubst tests/fuzz/%.c,$(B)/$(1)/t/%,$$(FUZZ_SRC))

test-$(1): $(B)/$(1)/portaudit $(B)/$(1)/pcapgen $(B)/$(1)/floodgen $$($(1)_TESTS)
	@sh tests/run.sh $(1) $(B)/$(1)
endef

$(eval $(call variant,rel,))
$(eval $(call variant,san,$(SANFLAGS)))
$(eval $(call variant,tsan,$(TSANFLAGS)))

# The flow table runs on a second thread (capture/pipe.c): the programs
# that drive it, and the binary the integration tests run, once more under
# ThreadSanitizer (only these are built in build/tsan, so only they run).
# it_tunnels: the flow-table thread prints tunnels the reader interns;
# it_interval: the reader reports each interval with the table thread idle
# (cap_pipe_sync) and swaps the classifier it feeds.
TSAN_TESTS := test_pipe test_capture_run it_capture it_live it_cli it_corpus \
              it_tunnels it_interval
test-tsan-pipe: $(B)/tsan/portaudit $(B)/tsan/pcapgen \
                $(patsubst %,$(B)/tsan/t/%,$(TSAN_TESTS))
	@sh tests/run.sh tsan $(B)/tsan

portaudit: $(B)/rel/portaudit
	cp $< $@

# Everything the three runs need is built first, one compiler per CPU.
# Then, with two CPUs or more, the sanitizer run beside the rel and
# ThreadSanitizer runs (each run one program at a time; their outputs
# printed whole, one after the other: -Orecurse): half of a run's time is
# spent waiting on the tools, the traffic and the clock. Every test picks
# its own ports, namespaces and temporary directory.
JOBS := $(shell nproc 2>/dev/null || echo 1)
RUNS := $(if $(filter 1,$(JOBS)),1,2)
test: lint test-tools
	$(MAKE) --no-print-directory -j$(JOBS) test-build
	$(MAKE) --no-print-directory check-pcaps
	$(MAKE) --no-print-directory -j$(RUNS) -Orecurse test-runs

test-runs: test-rel-tsan test-san
test-rel-tsan:
	$(MAKE) --no-print-directory test-rel
	$(MAKE) --no-print-directory test-tsan-pipe

test-build: portaudit $(B)/rel/portaudit $(B)/rel/pcapgen $(B)/rel/floodgen \
            $(rel_TESTS) $(B)/san/portaudit $(B)/san/pcapgen \
            $(B)/san/floodgen $(san_TESTS) $(B)/tsan/portaudit \
            $(B)/tsan/pcapgen $(patsubst %,$(B)/tsan/t/%,$(TSAN_TESTS))

# ---- sample captures --------------------------------------------------------
PCAP_FLOWS := $(sort $(wildcard pcaps/*.flows))
pcaps: $(B)/rel/pcapgen
	@for f in $(PCAP_FLOWS); do \
	  $(B)/rel/pcapgen $$f $${f%.flows}.pcap || exit 1; done
	@echo "pcaps: regenerated $(words $(PCAP_FLOWS)) captures"

# The committed captures must be exactly what the generator makes.
check-pcaps: $(B)/rel/pcapgen
	@sh tests/check_pcaps.sh $(B)/rel/pcapgen

test-tools:
	@sh tests/install_tools.sh

demo: portaudit
	@sh pcaps/demo.sh ./portaudit

bench: portaudit
	@sh bench/run.sh ./portaudit

# make fuzz SECONDS=N: build, then run each target N seconds (one process).
fuzz:
	@FUZZ_SECONDS=$(SECONDS) sh tests/fuzz/build.sh

# The integration tests (tests/it_*.c) with build/rel/portaudit under
# valgrind memcheck; not part of `make test` (some 35 to 45 minutes:
# valgrind slows the binary 20-50 times, and the tests run it well over a
# thousand times).
valgrind: $(B)/rel/portaudit $(B)/rel/pcapgen $(B)/rel/floodgen \
          $(patsubst tests/%.c,$(B)/rel/t/%,$(filter tests/it_%,$(TEST_SRC)))
	@sh tests/valgrind.sh $(B)/rel

lint:
	@sh tests/lint.sh

install: portaudit
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/portaudit
	install -m 755 portaudit $(DESTDIR)$(PREFIX)/bin/portaudit
	install -m 644 docs/portaudit.1 $(DESTDIR)$(PREFIX)/share/man/man1/portaudit.1
	install -m 644 catalog/prognosis.yaml catalog/site-example.yaml \
	  $(DESTDIR)$(PREFIX)/share/portaudit/

clean:
	rm -rf build build-* portaudit

-include $(shell find $(B) -name '*.d' 2>/dev/null)
