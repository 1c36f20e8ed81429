# mk/report.mk: `make test-browser`: report.html built from the fixtures in
# tests/data/report/ and opened in headless Chromium (installed by
# `scripts/setup browser`); the screenshot must not be blank and must show
# the plots' colours, and every <svg> in Chromium's DOM must hold shapes.
# The screenshot stays at $(BUILD)/report.png. Takes 30-60 s, so it is not
# part of `make test`.
CHROMIUM ?= chromium
REPORT_TEST := $(BUILD)/report-test
CHROMIUM_FLAGS := --headless --no-sandbox --disable-gpu --hide-scrollbars \
                  --user-data-dir=$(CURDIR)/$(REPORT_TEST)/profile

.PHONY: test-browser
$(BUILD)/tests/reportcheck: tests/browser/reportcheck.c | $(SETUP)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< -lm

test-browser: msprune$(if $(SANITIZE),-san) $(BUILD)/tests/reportcheck
	@scripts/setup browser
	rm -rf $(REPORT_TEST) $(BUILD)/report.png
	./msprune$(if $(SANITIZE),-san) report tests/data/report/report.conf --out $(REPORT_TEST) -q
	$(CHROMIUM) $(CHROMIUM_FLAGS) --window-size=1200,3000 \
	    --screenshot=$(CURDIR)/$(BUILD)/report.png file://$(CURDIR)/$(REPORT_TEST)/report.html \
	    >$(REPORT_TEST)/chromium.log 2>&1
	$(CHROMIUM) $(CHROMIUM_FLAGS) --dump-dom file://$(CURDIR)/$(REPORT_TEST)/report.html \
	    >$(REPORT_TEST)/dom.html 2>>$(REPORT_TEST)/chromium.log
	$(BUILD)/tests/reportcheck $(BUILD)/report.png $(REPORT_TEST)/dom.html 10
	@echo "screenshot: $(BUILD)/report.png"
