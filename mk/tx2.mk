# mk/tx2.mk: `make tx2-check` builds msprune for arm64 (Jetson TX2) in a cached
# Debian arm64 root under qemu and compares its outputs with this build's.
# Slow the first time (debootstrap); not part of `make test`. See scripts/tx2-check.
.PHONY: tx2-check
tx2-check: msprune
	scripts/tx2-check
