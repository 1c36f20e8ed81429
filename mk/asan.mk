# mk/asan.mk: the test suite under AddressSanitizer + UndefinedBehaviorSanitizer.
#   make asan   unit + CLI tests built into build-san/ (SANITIZE=1), failing on
#               the first report; then the fuzz harnesses over their kept inputs.
# Leaks inside Darknet, libconfig, OpenBLAS and OpenCV are suppressed by
# tests/lsan.supp; msprune's own leaks fail the run.
.PHONY: asan
asan:
	$(MAKE) SANITIZE=1 test
	$(MAKE) fuzz-regress
