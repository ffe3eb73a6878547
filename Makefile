# Thin wrapper around CMake.  `make` builds build/bt86; `make run` boots
# Debian's i386 Linux to a shell under bt (scripts/linux-shell.sh); `make
# run-demo` boots the demo test kernel; `make test` runs every test; `make
# bench` runs the benchmarks.
SHELL := /bin/bash
BUILD ?= build
JOBS ?= $(shell nproc)
KERNEL ?= $(BUILD)/tests/guests/demo.elf

.PHONY: all deps configure run run-demo test bench bench-compute bench-mmu bench-linux bench-boot clean format

all: configure
	@cmake --build $(BUILD) -j $(JOBS) -- --no-print-directory

deps:
	@scripts/setup-deps.sh

configure: deps
	@[ -f $(BUILD)/CMakeCache.txt ] || cmake -S . -B $(BUILD) >/dev/null

# The Linux shell: `poweroff` in the guest ends it (status 0), Ctrl-A x
# quits bt86.  ARGS are more bt86 options (-accel kvm, --stats, ...).
run: all
	@scripts/linux-shell.sh $(BUILD) $(ARGS)

# Status 1 is a guest's "all good" through isa-debug-exit (0 << 1 | 1).
run-demo: all
	@$(BUILD)/bt86 -kernel $(KERNEL) $(ARGS); s=$$?; \
	if [ $$s -ne 0 ] && [ $$s -ne 1 ]; then echo "bt86 exited with status $$s"; exit $$s; fi

# The per-engine guest table is printed whether or not a test failed, then
# ctest's summary line again, so the run ends with it.
test: all
	@cd $(BUILD) && set -o pipefail && ctest --output-on-failure -j $(JOBS) 2>&1 | tee ctest.log; \
	s=$$?; [ ! -f guest-table.txt ] || cat guest-table.txt; \
	grep -E '^[0-9]+% tests passed' ctest.log || true; exit $$s

bench: bench-compute bench-mmu bench-linux bench-boot

bench-compute: all
	benchmarks/compute/run.sh $(BUILD)

bench-mmu: all
	benchmarks/mmu/run.sh $(BUILD)

bench-linux: all
	benchmarks/linux/run.sh $(BUILD)

bench-boot: all
	benchmarks/boot/run.py $(BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD)
