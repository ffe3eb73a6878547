# Thin wrapper around CMake.  `make` builds build/bt86; `make run` boots the
# default guest; `make test` runs every test; `make bench` runs the benchmarks.
BUILD ?= build
JOBS ?= $(shell nproc)
KERNEL ?= $(BUILD)/tests/guests/demo.elf

.PHONY: all deps configure run test bench bench-compute clean format

all: configure
	@cmake --build $(BUILD) -j $(JOBS)

deps:
	@scripts/setup-deps.sh

configure: deps
	@[ -f $(BUILD)/CMakeCache.txt ] || cmake -S . -B $(BUILD) >/dev/null

run: all
	$(BUILD)/bt86 -kernel $(KERNEL) $(ARGS)

test: all
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@[ ! -f $(BUILD)/guest-table.txt ] || cat $(BUILD)/guest-table.txt

bench: bench-compute

bench-compute: all
	benchmarks/compute/run.sh $(BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD)
