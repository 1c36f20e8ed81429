# mk/deploy.mk: the runtime library for devices (runtime/msprune.h):
#   make lib              build/libmsprune.a and build/libmsprune.so (PIC objects in build/pic/)
#   make install PREFIX=/usr/local DESTDIR=   also installs lib/libmsprune.{a,so},
#                         include/msprune.h and lib/pkgconfig/msprune.pc
#   make test-install     install into a temporary DESTDIR and build tests/install/classify.c
#                         against it with pkg-config, shared and static; runs both
PIC_OBJ := $(LIB_SRC:%.c=$(BUILD)/pic/%.o)
INSTALL_TEST := $(BUILD)/install-test

.PHONY: lib install-runtime test-install
lib: $(BUILD)/libmsprune.a $(BUILD)/libmsprune.so

$(BUILD)/pic/%.o: %.c | $(SETUP)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -fPIC -c $< -o $@

$(BUILD)/libmsprune.so: $(PIC_OBJ)
	$(CC) $(LDFLAGS) -shared -Wl,-soname,libmsprune.so -o $@ $^ $(LDLIBS)

$(BUILD)/msprune.pc: runtime/msprune.pc.in
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@DARKNET@|$(DARKNET)|g' $< >$@

# The Makefile's install target installs bin/msprune; this adds the library.
install: install-runtime
install-runtime: lib $(BUILD)/msprune.pc
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include
	install -m 644 $(BUILD)/libmsprune.a $(DESTDIR)$(PREFIX)/lib/libmsprune.a
	install -m 755 $(BUILD)/libmsprune.so $(DESTDIR)$(PREFIX)/lib/libmsprune.so
	install -m 644 runtime/msprune.h $(DESTDIR)$(PREFIX)/include/msprune.h
	install -m 644 $(BUILD)/msprune.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/msprune.pc

# PREFIX is the temporary root itself, so the .pc paths are real.
test-install:
	rm -rf $(INSTALL_TEST)
	$(MAKE) install PREFIX=$(CURDIR)/$(INSTALL_TEST) DESTDIR=
	PKG_CONFIG_PATH=$(INSTALL_TEST)/lib/pkgconfig sh -c '$(CC) -std=c11 -Wall -Wextra -Werror \
	    $$(pkg-config --cflags msprune) tests/install/classify.c -o $(INSTALL_TEST)/classify-shared \
	    $$(pkg-config --libs msprune) && \
	  $(CC) -std=c11 -Wall -Wextra -Werror $$(pkg-config --cflags msprune) tests/install/classify.c \
	    -o $(INSTALL_TEST)/classify-static $(INSTALL_TEST)/lib/libmsprune.a \
	    $$(pkg-config --libs-only-other --libs-only-L --static msprune | sed "s/-lmsprune//") \
	    $$(pkg-config --static --libs-only-l msprune | sed "s/-lmsprune//")'
	$(INSTALL_TEST)/bin/msprune --help >/dev/null
	ldd $(INSTALL_TEST)/classify-shared | grep -q "$(CURDIR)/$(INSTALL_TEST)/lib/libmsprune.so"
	$(INSTALL_TEST)/classify-shared $(BUILD)/no-such-bundle; test $$? = 2
	$(INSTALL_TEST)/classify-static $(BUILD)/no-such-bundle; test $$? = 2
	@echo "test-install: shared and static runtime link and run"
