# msprune: build, test, demo, bench, install.
#   make                 build ./msprune
#   make test            build and run the test suite (room check, Criterion, CLI tests)
#   make test-slow       the unit tests plus pruning of every deep stock Darknet cfg
#   make bench           stock Darknet vs the fast engine (timings, no thresholds)
#   make demo            run the main job on the built-in Fashion-MNIST example
#   make SANITIZE=1 test the same under AddressSanitizer + UBSan (fail on first report)
#   make install PREFIX=/usr/local DESTDIR=
# Missing Debian packages are installed by scripts/setup on first build.

CC      ?= cc
PREFIX  ?= /usr/local
DARKNET ?= /usr/lib/darknet

CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -MMD -MP
CPPFLAGS += -I. -Isrc -I$(DARKNET)/include $(shell pkg-config --cflags libconfig openblas zlib stb 2>/dev/null)
LDLIBS  += -L$(DARKNET) -ldarknet -Wl,-rpath,$(DARKNET) \
           $(shell pkg-config --libs libconfig openblas zlib 2>/dev/null) -lm -lpthread

BUILD := build
ifdef SANITIZE
BUILD := build-san
CFLAGS += -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
export LSAN_OPTIONS = suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS = print_stacktrace=1:halt_on_error=1
endif

ROOMS   := $(addprefix src/,base dncfg data engine train report cli) prune specialise selector runtime
LIB_SRC := $(filter-out src/cli/main.c,$(wildcard $(addsuffix /*.c,$(ROOMS))))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
TEST_SRC := $(wildcard tests/unit/*.c)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)
SETUP   := $(BUILD)/.setup-done

.PHONY: all test test-slow unit-test cli-test check-rooms demo bench install clean setup
all: msprune$(if $(SANITIZE),-san)

setup: $(SETUP)
$(SETUP): scripts/setup
	@scripts/setup
	@mkdir -p $(@D) && touch $@

$(BUILD)/%.o: %.c | $(SETUP)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# Made afresh: members of removed sources must go, and rooms share file
# names (prune/plan.c, specialise/plan.c), which `ar r` would replace.
$(BUILD)/libmsprune.a: $(LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

msprune$(if $(SANITIZE),-san): $(BUILD)/src/cli/main.o $(BUILD)/libmsprune.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/unit-tests: $(TEST_OBJ) $(BUILD)/libmsprune.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcriterion

# Unit tests run from the repository root so that tests/ paths resolve.
unit-test: $(BUILD)/tests/unit-tests
	OPENBLAS_NUM_THREADS=1 $(BUILD)/tests/unit-tests --jobs 2

cli-test: msprune$(if $(SANITIZE),-san)
	MSPRUNE=./msprune$(if $(SANITIZE),-san) tests/cli/run

# The rooms' includes point down (scripts/check-rooms says which may include which).
check-rooms:
	scripts/check-rooms

test: check-rooms unit-test cli-test

# Also prunes every deep stock Darknet classifier (resnet152, vgg-16, ...): minutes.
test-slow: $(BUILD)/tests/unit-tests
	MSP_TEST_SLOW=1 OPENBLAS_NUM_THREADS=1 $(BUILD)/tests/unit-tests --jobs 2

# Built in parallel: on a fresh clone the build is a good part of the wait.
demo: | $(SETUP)
	$(MAKE) -j$$(nproc) msprune
	./msprune all cfg/fashion-quick.conf -j 2

bench: msprune
	scripts/bench

install: msprune
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 msprune $(DESTDIR)$(PREFIX)/bin/msprune
	install -d $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 644 msprune.1 $(DESTDIR)$(PREFIX)/share/man/man1/msprune.1

clean:
	rm -rf build build-san msprune msprune-san

-include $(LIB_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(BUILD)/src/cli/main.d

# Optional targets (fuzzing, browser test, arm64 check) live in their own files.
include $(wildcard mk/*.mk)
