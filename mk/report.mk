# mk/report.mk: `make test-browser`: report.html built from the fixtures in
# tests/data/report/ and opened in headless Chromium (installed by
# `scripts/setup browser`); the screenshot must not be blank and must show
# the plots' colours, and every <svg> in Chromium's DOM must hold shapes.
# Then at 800 px: the screenshot's right edge must be blank, and a copy of
# the page with tests/browser/widthprobe.js appended must find the document
# no wider than the window and nothing past its edge outside the tables'
# scroll boxes. The screenshots stay at $(BUILD)/report.png and
# $(BUILD)/report-800.png. Takes 30-60 s, so it is not part of `make test`.
CHROMIUM ?= chromium
REPORT_TEST := $(BUILD)/report-test
NARROW := 800
CHROMIUM_FLAGS := --headless --no-sandbox --disable-gpu --hide-scrollbars \
                  --user-data-dir=$(CURDIR)/$(REPORT_TEST)/profile

.PHONY: test-browser
$(BUILD)/tests/reportcheck: tests/browser/reportcheck.c | $(SETUP)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< -lm

test-browser: msprune$(if $(SANITIZE),-san) $(BUILD)/tests/reportcheck
	@scripts/setup browser
	rm -rf $(REPORT_TEST) $(BUILD)/report.png $(BUILD)/report-$(NARROW).png
	./msprune$(if $(SANITIZE),-san) report tests/data/report/report.conf --out $(REPORT_TEST) -q
	$(CHROMIUM) $(CHROMIUM_FLAGS) --window-size=1200,3000 \
	    --screenshot=$(CURDIR)/$(BUILD)/report.png file://$(CURDIR)/$(REPORT_TEST)/report.html \
	    >$(REPORT_TEST)/chromium.log 2>&1
	$(CHROMIUM) $(CHROMIUM_FLAGS) --dump-dom file://$(CURDIR)/$(REPORT_TEST)/report.html \
	    >$(REPORT_TEST)/dom.html 2>>$(REPORT_TEST)/chromium.log
	$(CHROMIUM) $(CHROMIUM_FLAGS) --window-size=$(NARROW),2400 \
	    --screenshot=$(CURDIR)/$(BUILD)/report-$(NARROW).png \
	    file://$(CURDIR)/$(REPORT_TEST)/report.html >>$(REPORT_TEST)/chromium.log 2>&1
	{ sed 's#</body></html>##' $(REPORT_TEST)/report.html; echo '<script>'; \
	  cat tests/browser/widthprobe.js; echo '</script></body></html>'; } >$(REPORT_TEST)/probe.html
	$(CHROMIUM) $(CHROMIUM_FLAGS) --window-size=$(NARROW),2400 --dump-dom \
	    file://$(CURDIR)/$(REPORT_TEST)/probe.html >$(REPORT_TEST)/probe-dom.html \
	    2>>$(REPORT_TEST)/chromium.log
	$(BUILD)/tests/reportcheck $(BUILD)/report.png $(REPORT_TEST)/dom.html 13 \
	    $(BUILD)/report-$(NARROW).png $(REPORT_TEST)/probe-dom.html $(NARROW)
	@echo "screenshots: $(BUILD)/report.png $(BUILD)/report-$(NARROW).png"
