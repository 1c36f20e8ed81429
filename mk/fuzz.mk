# mk/fuzz.mk: libFuzzer harnesses for msprune's parsers, and the crash tests.
#   make fuzz [FUZZ_SECONDS=60] [FUZZ=dncfg idx]  fuzz each harness for FUZZ_SECONDS
#   make fuzz-regress   every harness once over tests/fuzz/regress/<h>/ and corpus/<h>/
#   make test-crash     kill `msprune train` at many points and resume (tests/cli/kill-resume)
# A harness is one file, tests/fuzz/fuzz_<name>.c, defining LLVMFuzzerTestOneInput;
# it is linked against an instrumented archive of the library, so it pulls in
# only the objects it uses (no libdarknet unless FUZZ_LDLIBS_<name> asks).
# Seeds live in tests/fuzz/corpus/<name>/, crash inputs kept in tests/fuzz/regress/<name>/;
# new corpus units and crashes go to build/fuzz/. See tests/fuzz/README.

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_BUILD   := build/fuzz
FUZZ_NAMES   := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ         ?= $(FUZZ_NAMES)
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS  := -std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer -Wall -Wextra -Wshadow \
                $(FUZZ_SAN)
FUZZ_LDLIBS  := $(shell pkg-config --libs libconfig zlib 2>/dev/null) -lm -lpthread
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_BUILD)/obj/%.o)
FUZZ_SETUP   := $(FUZZ_BUILD)/.setup-done

.PHONY: fuzz fuzz-build fuzz-regress test-crash

$(FUZZ_SETUP): scripts/setup
	@scripts/setup fuzz
	@mkdir -p $(@D) && touch $@

$(FUZZ_BUILD)/obj/%.o: %.c | $(FUZZ_SETUP)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ_BUILD)/libmsprune-fuzz.a: $(FUZZ_LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.h $(FUZZ_BUILD)/libmsprune-fuzz.a
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_BUILD)/libmsprune-fuzz.a \
	    $(FUZZ_LDLIBS) $(FUZZ_LDLIBS_$*) -o $@

fuzz-build: $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz_%)

fuzz: fuzz-build
	tests/fuzz/run fuzz $(FUZZ_SECONDS) $(FUZZ)

fuzz-regress: fuzz-build
	tests/fuzz/run regress 0 $(FUZZ_NAMES)

test-crash: msprune
	MSPRUNE=./msprune MSP_CRASH_POINTS=$${MSP_CRASH_POINTS:-8} tests/cli/kill-resume

-include $(FUZZ_LIB_OBJ:.o=.d)
