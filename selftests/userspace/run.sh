#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The userspace tests of the io_uring posix_spawn library, as one TAP
# stream (plan at the end):
#
#   run.sh BUILD_DIR        (BUILD_DIR: the O= of this folder's Makefile)
#
#   - the library's exported names
#   - spawn_diff: posix_spawn cases, glibc against io_uring (with
#     IO_URING_SPAWN=require when the kernel supports io_uring spawns,
#     unless IO_URING_SPAWN is set already)
#   - make_test.sh: GNU make -j2 with the preload library
#   - command_test.sh: Rust's std::process::Command with it
#
# Each sub-test's lines are renumbered and prefixed with its name. Exit
# status: 1 if anything failed, else 4 (kselftest's skip) if the kernel
# could not spawn through io_uring (the io_uring path was not tested; the
# glibc fallback was), else 0.
set -u

build=$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd) || exit 1
src=$(cd "$(dirname "$0")" && pwd)
n=0
failed=0
skipped=0

emit() { # ok|not ok, name, rest
	n=$((n + 1))
	echo "$1 $n $2: $3"
}

# Run a sub-test and fold its TAP into ours.
run_sub() { # name command...
	local name=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	sub_fold "$name" "$rc" <<<"$out"
}

sub_fold() { # name exit-status, TAP on stdin
	local name=$1 rc=$2 line rest bad=0 seen=0
	while IFS= read -r line; do
		case $line in
		"ok "*)
			seen=1
			rest=${line#ok }
			emit ok "$name" "${rest#* }"
			;;
		"not ok "*)
			seen=1
			rest=${line#not ok }
			emit "not ok" "$name" "${rest#* }"
			case $line in
			*"# TODO"*) ;;
			*) bad=1 ;;
			esac
			;;
		1..*) ;;
		"Bail out!"*)
			echo "# $name: $line"
			bad=1
			;;
		*) echo "$line" ;;
		esac
	done
	case $rc in
	0) ;;
	4) skipped=1 ;;
	*) [ "$bad" = 1 ] || emit "not ok" "$name" "exited with status $rc"
	   bad=1 ;;
	esac
	[ "$seen" = 1 ] || { emit "not ok" "$name" "no TAP output"; bad=1; }
	[ "$bad" = 0 ] || failed=1
}

# The archive defines only io_uring_* names; the preload object exports
# those and glibc's four.
symbols() {
	local lib=$build/spawn/libspawn_uring.a so=$build/spawn/libspawn_uring_preload.so bad
	bad=$(nm -g --defined-only "$lib" | awk 'NF == 3 { print $3 }' | grep -v '^io_uring_')
	[ -z "$bad" ] && echo "ok 1 libspawn_uring.a defines only io_uring_* names" ||
		echo "not ok 1 libspawn_uring.a defines: $bad"
	bad=$(nm -D --defined-only "$so" | awk '{ print $3 }' |
	      grep -Ev '^(io_uring_.*|posix_spawnp?|pidfd_spawnp?)$')
	for sym in posix_spawn posix_spawnp pidfd_spawn pidfd_spawnp; do
		nm -D --defined-only "$so" | grep -qw "$sym" || bad="$bad missing:$sym"
	done
	[ -z "$bad" ] && echo "ok 2 the preload object exports the io_uring_* and glibc's four names" ||
		echo "not ok 2 the preload object: $bad"
}

why=$("$build/spawn_check")
supported=$?
echo "# $(uname -sr); glibc $(getconf GNU_LIBC_VERSION | cut -d' ' -f2); io_uring spawn: $why"

run_sub symbols symbols
if [ -n "${IO_URING_SPAWN+set}" ]; then
	run_sub spawn_diff "$build/spawn_diff"
elif [ "$supported" = 0 ]; then
	run_sub spawn_diff env IO_URING_SPAWN=require "$build/spawn_diff"
else
	run_sub spawn_diff "$build/spawn_diff"
fi
run_sub make "$src/make_test.sh" "$build"
run_sub command "$src/command_test.sh" "$build"

echo "1..$n"
[ "$failed" = 0 ] || exit 1
[ "$skipped" = 0 ] || exit 4
exit 0
