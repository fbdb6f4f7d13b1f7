# rec - a Unix toolkit for recommender systems.  See README.md.

VERSION := $(shell cat VERSION)
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man

CC ?= cc
CFLAGS ?= -O2 -g
WARNINGS = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla
ifeq ($(DEVELOPER),1)
WARNINGS += -Werror
endif

# Objects and programs of a build go below O; the sanitized build of
# 'make check' uses its own O so the two never mix.
O ?= build
BIN ?= bin
ifdef SANITIZE
SAN_FLAGS = -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

OPENBLAS_INC := $(firstword $(wildcard /usr/include/x86_64-linux-gnu/openblas-pthread /usr/include/$(shell $(CC) -dumpmachine)/openblas-pthread /usr/include/openblas))
# The library by layer: system helpers, file formats, data, the model
# interface, the model families, evaluation.  Headers are found in any.
LIB_DIRS = sys format data model family eval
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -fopenmp -Ilib $(LIB_DIRS:%=-Ilib/%) -Icmd/common \
	$(if $(OPENBLAS_INC),-I$(OPENBLAS_INC)) \
	-DREC_VERSION='"$(VERSION)"' $(WARNINGS) $(CFLAGS) $(SAN_FLAGS) -MMD -MP
ALL_LDFLAGS = -fopenmp $(LDFLAGS) $(SAN_FLAGS)
LIBS = -lcsv -lz -lopenblas -lsodium -lm

PROGRAMS = rec-pivot rec-split rec-train rec-recommend rec-eval
LIB_SRC = $(wildcard $(LIB_DIRS:%=lib/%/*.c))
LIB_OBJ = $(LIB_SRC:%.c=$(O)/%.o)
LIBREC = $(O)/librec.a
# The command line that the programs share, linked into each.
CLI_OBJ = $(O)/cmd/common/cli.o
PROGS = $(PROGRAMS:%=$(BIN)/%)
MANPAGES = $(wildcard man/*.[1-9])
GENEVENTS = $(BIN)/genevents
UNITS = $(patsubst tests/unit/%.c,$(BIN)/unit/%,$(filter-out tests/unit/unit.h,$(wildcard tests/unit/*.c)))
# Each fuzz target in tests/fuzz/ is a libFuzzer program in the clang
# build of 'make fuzz', and in every build a replay program of the same
# code that the suite runs over the regression files.
FUZZ_TARGETS = csv recd recm
FUZZ_REPLAY = $(FUZZ_TARGETS:%=$(BIN)/fuzz/%)
FUZZ_CC ?= clang-14
FUZZ_SECONDS ?= 60
# A fixed seed makes a run repeatable; empty, each run draws its own.
FUZZ_SEED ?=
FUZZ_DIR = build/fuzz
FUZZ_CFLAGS = -O2 -g -Wno-pass-failed

all: $(PROGS) $(GENEVENTS)

units: $(UNITS) $(FUZZ_REPLAY)

$(O)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBREC): $(LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(BIN)/%: $(O)/cmd/%.o $(CLI_OBJ) $(LIBREC)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(GENEVENTS): $(O)/samples/genevents.o $(LIBREC)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BIN)/unit/%: $(O)/tests/unit/%.o $(LIBREC)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BIN)/fuzz/%: $(O)/tests/fuzz/%.o $(O)/tests/fuzz/fuzz.o $(O)/tests/fuzz/replay.o $(LIBREC)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BIN)/fuzz-%: $(O)/tests/fuzz/%.o $(O)/tests/fuzz/fuzz.o $(LIBREC)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBS)

fuzzers: $(FUZZ_TARGETS:%=$(BIN)/fuzz-%)

# The library too is built with clang, its coverage traced for the fuzzer;
# the seeds come from the fixtures through the programs of this build.
fuzz: deps all
	$(MAKE) O=$(FUZZ_DIR) BIN=$(FUZZ_DIR)/bin CC=$(FUZZ_CC) CFLAGS="$(FUZZ_CFLAGS)" \
		SANITIZE=fuzzer-no-link,address,undefined fuzzers
	rm -rf $(FUZZ_DIR)/seeds
	sh tests/fuzz/seeds.sh $(BIN) $(FUZZ_DIR)/seeds
	@status=0; for t in $(FUZZ_TARGETS); do \
		FUZZ_SEED=$(FUZZ_SEED) sh tests/fuzz/run.sh $$t $(FUZZ_DIR)/bin/fuzz-$$t \
			$(FUZZ_SECONDS) $(FUZZ_DIR) \
			$(FUZZ_DIR)/seeds/$$t tests/fuzz/regress/$$t || status=1; \
	done; exit $$status

deps:
	@sh build-aux/deps

# The builds of check use every online CPU.
JOBS ?= $(shell getconf _NPROCESSORS_ONLN)

# The suite runs twice, both at once: on the developer build, and on
# binaries built with AddressSanitizer and UndefinedBehaviorSanitizer.
check: deps
	$(MAKE) -j$(JOBS) DEVELOPER=1 all units
	$(MAKE) -j$(JOBS) DEVELOPER=1 O=build/san BIN=build/san/bin SANITIZE=address,undefined all units
	sh build-aux/manlint $(MANPAGES)
	sh build-aux/suites $(CURDIR)/bin $(CURDIR)/build/san/bin
	$(MAKE) -j$(JOBS) FUZZ_SECONDS=10 FUZZ_SEED=1 fuzz

demo: deps all
	@sh samples/demo.sh

$(BIN)/sgemm-floor: $(O)/bench/sgemm-floor.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BIN)/explain-check: $(O)/bench/explain-check.o $(LIBREC)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

bench: deps all $(BIN)/sgemm-floor $(BIN)/explain-check
	@sh build-aux/deps python3-numpy
	@sh bench/run

install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7
	cp $(PROGS) $(DESTDIR)$(BINDIR)/
	for m in $(MANPAGES); do cp $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/; done

uninstall:
	rm -f $(PROGRAMS:%=$(DESTDIR)$(BINDIR)/%)
	for m in $(notdir $(MANPAGES)); do rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$$m; done

clean:
	rm -rf build bin samples/out

.PHONY: all units deps check demo bench install uninstall clean fuzz fuzzers
.SECONDARY:

-include $(shell find $(O) -name '*.d' 2>/dev/null)
