# io_uring_spawn: one entry point. See README.md.
#   make run      set up, build, boot the kernel in virtme-ng, run the demo
#   make check    every test layer; DEBUG=1 for KASAN/lockdep/kmemleak
#   make bench    spawn latency and throughput, every method side by side
#   make stress   long stress, fuzzing and fault injection (debug kernel)
#   make profile  every kernel function each spawn method calls (ftrace)
#   make deps | tree | kernel | shell | series | clean
FLAVOUR := $(if $(filter 1,$(DEBUG)),debug,plain)
export FLAVOUR

.PHONY: all deps tree kernel userspace run shell check bench profile stress series clean

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

# A kernel of its own (FLAVOUR=profile): the benchmarked one has no ftrace.
profile: tree
	FLAVOUR=profile harness/build-kernel.sh
	FLAVOUR=profile harness/bench.sh

# The debug kernel unless DEBUG says otherwise (DEBUG=0: the plain one).
stress: deps
	FLAVOUR=$(if $(DEBUG),$(FLAVOUR),debug) harness/stress.sh

series: tree
	harness/series.sh

clean:
	rm -rf build
