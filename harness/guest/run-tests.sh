#!/bin/bash
# Runs inside the guest (virtme-ng, host root over 9p). Writes everything to
# $RESULTS (a --rwdir); the host decides pass or fail from those files.
#   $KSFT_DIR       installed kselftests (run_kselftest.sh)
#   $RUST_TESTS     directory of Rust userspace test binaries
#   $USERSPACE_DIR  built posix_spawn library tests ($USERSPACE_SRC: sources)
#   $DOCTESTS_DIR   the io-uring-spawn crate's doc example binaries
#   $STRESS_DIR     spawn_stress and spawn_fuzz ($STRESS_ARGS, $FUZZ_ARGS)
#   $KSFT_ARGS      arguments for run_kselftest.sh (a subset of tests)
#   $INJECT         harness self-test only: kunit,warn (comma list)
set -u
cd "$RESULTS" || exit 1
echo "guest: $(uname -r)" >guest-info.txt

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
# virtme-ng points /dev/stdout at its console port; the kselftest runner
# writes through /dev/stdout, and its output belongs in our files.
ln -sfn /proc/self/fd/1 /dev/stdout
ln -sfn /proc/self/fd/2 /dev/stderr

for what in ${INJECT:+${INJECT//,/ }}; do
	case $what in
	kunit) insmod "$KUNIT_CANARY" ;;
	warn) echo WARNING >/sys/kernel/debug/provoke-crash/DIRECT ;;
	esac
done


if [ -n "${RUST_TESTS:-}" ]; then
	: >rust-tests.log
	for t in "$RUST_TESTS"/*; do
		[ -x "$t" ] || continue
		"$t" --test-threads=1 >>rust-tests.log 2>&1
		echo "$(basename "$t") $?" >>rust-tests.rc
	done
fi

if [ -n "${USERSPACE_DIR:-}" ]; then
	# The posix_spawn library against glibc; GNU make and Rust's Command
	# through its preload object.
	"$USERSPACE_SRC/run.sh" "$USERSPACE_DIR" >userspace.tap 2>&1
	echo $? >userspace.rc
fi

if [ -n "${STRESS_DIR:-}" ]; then
	# Randomized chains at volume and the SQE fuzzer: the short form in
	# make check, the long one (STRESS_ARGS, FUZZ_ARGS) in make stress.
	src=0 frc=0
	# shellcheck disable=SC2086
	{
		"$STRESS_DIR/spawn_stress" ${STRESS_ARGS:--n 5000 -t 2 -q} || src=$?
		"$STRESS_DIR/spawn_fuzz" ${FUZZ_ARGS:--n 3000} || frc=$?
	} >stress.tap 2>stress.log
	[ "$src" != 0 ] && echo "$src" >stress.rc || echo "$frc" >stress.rc
fi

if [ -n "${DOCTESTS_DIR:-}" ]; then
	# The io-uring-spawn crate's doc examples, one binary each, each run
	# in a scratch directory (the build tree is read-only here).
	n=0
	: >doctests.log
	for bin in "$DOCTESTS_DIR"/*/rust_out; do
		n=$((n + 1))
		name=$(basename "$(dirname "$bin")")
		dir=$(mktemp -d)
		if (cd "$dir" && "$bin") >>doctests.log 2>&1; then
			echo "ok $n $name"
		else
			echo "not ok $n $name"
		fi
		rm -rf "$dir"
	done >doctests.tap
	echo "1..$n" >>doctests.tap
fi

# Last: the fault injection kselftests may leave the guest's 9p root
# filesystem unusable (a failed allocation in its client), which must not
# take the other layers with it.
if [ -n "${KSFT_DIR:-}" ]; then
	# Per-test timeouts come from each target's settings file.
	# Through a pipe: the runner reopens /dev/stdout, which for a regular
	# file would start a second writer at offset 0. $KSFT_ARGS may pick
	# tests (make stress: the fault injection ones).
	# shellcheck disable=SC2086
	(cd "$KSFT_DIR" && ./run_kselftest.sh ${KSFT_ARGS:-}) 2>&1 | cat >kselftest.tap
	echo "${PIPESTATUS[0]}" >kselftest.rc
fi

if [ -f /sys/kernel/debug/kmemleak ]; then
	# Two scans: an object must look unreferenced twice to be reported.
	echo scan >/sys/kernel/debug/kmemleak
	sleep 5
	echo scan >/sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak >kmemleak.log
fi

dmesg >dmesg.log
echo done >guest-done
