# mk/deploy.mk: the runtime library for devices (runtime/msprune.h):
#   make lib              build/device/libmsprune.a and build/libmsprune.so.X.Y.Z,
#                         SONAME libmsprune.so.X, with the links
#                         build/libmsprune.so{,.X} (PIC objects in build/pic/)
#   make install PREFIX=/usr/local DESTDIR=   also installs lib/libmsprune.a,
#                         lib/libmsprune.so.X.Y.Z and its links lib/libmsprune.so.X
#                         and lib/libmsprune.so, include/msprune.h and
#                         lib/pkgconfig/msprune.pc
#   make test-install     install into a temporary prefix of its own (PREFIX is not
#                         used) and build tests/install/classify.c against it with
#                         pkg-config, shared and static; runs both, checks the SONAME
#                         and that the .pc's version is `msprune version -q`'s, and
#                         that the .so exports only msprune_* (and gemm: msprune.map)
# X.Y.Z is the release number of src/cli/version.h, what `msprune --version` prints.
# The device library is runtime/runtime.c and what it needs from the rooms
# below: the linker pulls those objects out of an archive of them all into
# one relocatable object, whose only global symbols are msprune.map's.
# The .so links with --no-undefined, so a missing member fails the build
# rather than a device at run time.
PIC_OBJ := $(patsubst %.c,$(BUILD)/pic/%.o,$(filter-out src/cli/%,$(LIB_SRC)))
DEVICE_OBJ := $(BUILD)/device/msprune.o
INSTALL_TEST := $(BUILD)/install-test

MSP_RELEASE := $(shell sed -n 's/^.define MSP_VERSION_RELEASE "\([0-9.]*\)"$$/\1/p' src/cli/version.h)
ifeq ($(MSP_RELEASE),)
$(error mk/deploy.mk: no MSP_VERSION_RELEASE "X.Y.Z" in src/cli/version.h)
endif
MSP_SONAME := libmsprune.so.$(firstword $(subst ., ,$(MSP_RELEASE)))
MSP_SO := libmsprune.so.$(MSP_RELEASE)

# The .pc holds PREFIX and DARKNET. They are kept in $(BUILD)/pc.stamp,
# rewritten only when they change, so that the .pc is rebuilt when they do.
MSP_PC_VARS := prefix=$(PREFIX) darknet=$(DARKNET)
MSP_PC_STAMP := $(BUILD)/pc.stamp
$(shell mkdir -p $(BUILD) && { [ -f $(MSP_PC_STAMP) ] && \
        [ "$$(cat $(MSP_PC_STAMP))" = "$(MSP_PC_VARS)" ] || \
        echo "$(MSP_PC_VARS)" >$(MSP_PC_STAMP); })

.PHONY: lib install-runtime test-install
lib: $(BUILD)/device/libmsprune.a $(BUILD)/libmsprune.so

$(BUILD)/pic/%.o: %.c | $(SETUP)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -fPIC -c $< -o $@

$(BUILD)/pic/rooms.a: $(PIC_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(DEVICE_OBJ): $(BUILD)/pic/runtime/runtime.o $(BUILD)/pic/rooms.a
	@mkdir -p $(@D)
	$(CC) -r -nostdlib -o $@ $^
	objcopy --wildcard --keep-global-symbol='msprune_*' --keep-global-symbol=gemm $@

$(BUILD)/device/libmsprune.a: $(DEVICE_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/$(MSP_SO): $(DEVICE_OBJ) runtime/msprune.map
	$(CC) $(LDFLAGS) -shared -Wl,--no-undefined -Wl,-soname,$(MSP_SONAME) -Wl,--version-script=runtime/msprune.map \
	    -o $@ $(DEVICE_OBJ) $(LDLIBS)

$(BUILD)/libmsprune.so: $(BUILD)/$(MSP_SO)
	ln -sf $(MSP_SO) $(BUILD)/$(MSP_SONAME)
	ln -sf $(MSP_SONAME) $@

$(BUILD)/msprune.pc: runtime/msprune.pc.in src/cli/version.h $(MSP_PC_STAMP)
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@DARKNET@|$(DARKNET)|g' -e 's|@VERSION@|$(MSP_RELEASE)|g' \
	    $< >$@

# The Makefile's install target installs bin/msprune; this adds the library.
install: install-runtime
install-runtime: lib $(BUILD)/msprune.pc
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include
	install -m 644 $(BUILD)/device/libmsprune.a $(DESTDIR)$(PREFIX)/lib/libmsprune.a
	install -m 755 $(BUILD)/$(MSP_SO) $(DESTDIR)$(PREFIX)/lib/$(MSP_SO)
	ln -sf $(MSP_SO) $(DESTDIR)$(PREFIX)/lib/$(MSP_SONAME)
	ln -sf $(MSP_SONAME) $(DESTDIR)$(PREFIX)/lib/libmsprune.so
	install -m 644 runtime/msprune.h $(DESTDIR)$(PREFIX)/include/msprune.h
	install -m 644 $(BUILD)/msprune.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/msprune.pc

# PREFIX is the temporary root itself, so the .pc paths are real.
INSTALL_ROOT := $(CURDIR)/$(INSTALL_TEST)
test-install:
	rm -rf $(INSTALL_TEST)
	$(MAKE) install PREFIX=$(INSTALL_ROOT) DESTDIR=
	PKG_CONFIG_PATH=$(INSTALL_ROOT)/lib/pkgconfig sh -c '$(CC) -std=c11 -Wall -Wextra -Werror \
	    $$(pkg-config --cflags msprune) tests/install/classify.c -o $(INSTALL_ROOT)/classify-shared \
	    $$(pkg-config --libs msprune) && \
	  $(CC) -std=c11 -Wall -Wextra -Werror $$(pkg-config --cflags msprune) tests/install/classify.c \
	    -o $(INSTALL_ROOT)/classify-static $(INSTALL_ROOT)/lib/libmsprune.a \
	    $$(pkg-config --libs-only-other --libs-only-L --static msprune | sed "s/-lmsprune//") \
	    $$(pkg-config --static --libs-only-l msprune | sed "s/-lmsprune//")'
	$(INSTALL_ROOT)/bin/msprune --help >/dev/null
	test "$$(PKG_CONFIG_PATH=$(INSTALL_ROOT)/lib/pkgconfig pkg-config --modversion msprune)" = \
	    "$$($(INSTALL_ROOT)/bin/msprune version -q)"
	readelf -d $(INSTALL_ROOT)/lib/$(MSP_SO) | grep -qF 'Library soname: [$(MSP_SONAME)]'
	test -z "$$(nm -D --defined-only $(INSTALL_ROOT)/lib/$(MSP_SO) | awk '{print $$3}' | \
	    grep -v -e '^msprune_' -e '^gemm$$')"
	test "$$(readlink $(INSTALL_ROOT)/lib/$(MSP_SONAME))" = $(MSP_SO)
	test "$$(readlink -f $(INSTALL_ROOT)/lib/libmsprune.so)" = $(INSTALL_ROOT)/lib/$(MSP_SO)
	readelf -d $(INSTALL_ROOT)/classify-shared | grep -qF 'Shared library: [$(MSP_SONAME)]'
	ldd $(INSTALL_ROOT)/classify-shared | grep -qF "$(MSP_SONAME) => $(INSTALL_ROOT)/lib/$(MSP_SONAME) "
	$(INSTALL_ROOT)/classify-shared $(BUILD)/no-such-bundle; test $$? = 2
	$(INSTALL_ROOT)/classify-static $(BUILD)/no-such-bundle; test $$? = 2
	@echo "test-install: shared and static runtime link and run; SONAME $(MSP_SONAME)"
