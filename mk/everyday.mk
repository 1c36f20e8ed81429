# mk/everyday.mk: the version string, and `make check-man` (the man page
# must name every command and every experiment-config key).
#
# MSP_GIT_VERSION is `git describe --always --dirty` when git and a checkout
# are there. It is kept in $(BUILD)/version.stamp, rewritten only when it
# changes, so that version.o (and only it) is rebuilt when it does.
MSP_GIT_VERSION := $(shell git describe --always --dirty 2>/dev/null)
MSP_VERSION_STAMP := $(BUILD)/version.stamp
$(shell mkdir -p $(BUILD) && { [ -f $(MSP_VERSION_STAMP) ] && \
        [ "$$(cat $(MSP_VERSION_STAMP))" = "$(MSP_GIT_VERSION)" ] || \
        echo "$(MSP_GIT_VERSION)" >$(MSP_VERSION_STAMP); })
$(BUILD)/src/cli/cmd_version.o: $(MSP_VERSION_STAMP)
$(BUILD)/src/cli/cmd_version.o: CPPFLAGS += -DMSP_GIT_VERSION='"$(MSP_GIT_VERSION)"'

.PHONY: check-man
check-man: msprune$(if $(SANITIZE),-san)
	MSPRUNE=./msprune$(if $(SANITIZE),-san) tests/cli/check-man msprune.1 src/data/expconf.c

# `msprune specialise --slurm` on a single-node Slurm started for the test
# (scripts/slurm-local, which stops it again); installs Slurm first.
.PHONY: test-slurm
test-slurm: msprune
	scripts/setup slurm
	MSPRUNE=./msprune scripts/slurm-local run tests/cli/slurm-family
