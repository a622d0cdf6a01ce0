# io_uring_spawn: one entry point. See README.md.
#   make run      set up, build, boot the kernel in virtme-ng, run the demo
#   make check    every test layer; DEBUG=1 for KASAN/lockdep/kmemleak
#   make bench    spawn latency and throughput, every method side by side
#   make deps | tree | kernel | shell | series | clean
FLAVOUR := $(if $(filter 1,$(DEBUG)),debug,plain)
export FLAVOUR

.PHONY: all deps tree kernel userspace run shell check bench series clean

all: check

deps:
	harness/deps.sh

tree: deps
	harness/prepare-tree.sh

kernel: tree
	harness/build-kernel.sh

userspace: kernel
	harness/userspace.sh

run: userspace
	harness/run.sh

shell: kernel
	harness/vm.sh --shell

check:
	harness/check.sh

bench: userspace
	harness/bench.sh

series: tree
	harness/series.sh

clean:
	rm -rf build
