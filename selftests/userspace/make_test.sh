#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# GNU make with and without the io_uring posix_spawn preload library:
#
#   make_test.sh BUILD_DIR
#
# Builds copies of make-project/ with make -j2, once plainly and once with
# LD_PRELOAD=BUILD_DIR/spawn/libspawn_uring_preload.so, IO_URING_SPAWN=require
# and IO_URING_SPAWN_LOG, and compares make's exit status, the program's
# output, the objects and the binary (byte for byte), and a deliberately
# failing build's status and error lines. Debian's make 4.3 runs every
# recipe through posix_spawn(); the first case checks that it really does
# (by the log: one line per call), rather than assuming it.
#
# Without kernel support the preloaded build runs without require (the
# library hands every call to glibc, which must change nothing), require is
# shown to fail the build with ENOSYS, and the run ends with a SKIP and
# status 4. TAP on stdout; status 1 on a failure.
set -u

. "$(dirname "$0")/tap_lib.sh" "$1"
src=$(cd "$(dirname "$0")" && pwd)

check() { # name command...
	local name=$1
	shift
	"$@"
	tap $? "$name"
}

# make in a fresh copy of the project: copy name, then make's arguments.
# Leaves its exit status in $dir/rc and its output in $dir/out, $dir/err.
run_make() {
	local dir=$work/$1
	shift
	cp -r "$src/make-project" "$dir"
	(cd "$dir" && make -j2 "$@" >out 2>err; echo $? >rc)
}

run_make_preloaded() { # log copy args...
	local log=$1
	shift
	LD_PRELOAD=$preload IO_URING_SPAWN_LOG=$log \
		IO_URING_SPAWN=${require-} run_make "$@"
}

same_file() { cmp -s "$1" "$2" || { echo "$1 and $2 differ" | diag; return 1; }; }

same_build() { # copy copy
	local a=$work/$1 b=$work/$2 f
	same_file "$a/rc" "$b/rc" || return 1
	for f in main.o greet.o sum.o version.o gen.h hello; do
		same_file "$a/$f" "$b/$f" || return 1
	done
	(cd "$a" && ./hello) >"$a/run.out" && (cd "$b" && ./hello) >"$b/run.out" &&
		same_file "$a/run.out" "$b/run.out"
}

# The compiler's error and make's verdict, without make's scheduling notes.
error_lines() { grep -E 'error|Error' "$1" | grep -v 'Waiting for' | sort; }

same_failure() { # copy copy
	local a=$work/$1 b=$work/$2
	[ "$(cat "$a/rc")" = 2 ] && same_file "$a/rc" "$b/rc" &&
		[ -n "$(error_lines "$a/err")" ] &&
		[ "$(error_lines "$a/err")" = "$(error_lines "$b/err")" ] ||
		{ { echo "glibc:"; cat "$a/err"; echo "io_uring:"; cat "$b/err"; } | diag; return 1; }
}

log_count() { grep -c "^$1 " "$2" 2>/dev/null || true; }

echo "# io_uring spawn: $why; $(make --version | head -1)"

# 1. Does make use posix_spawn at all? Count the library's log lines.
run_make_preloaded "$work/probe.log" probe
calls=$(grep -c '' "$work/probe.log" 2>/dev/null || true)
echo "# make called posix_spawn $calls times for 6 recipes" \
	"($(log_count uring "$work/probe.log") through io_uring)"
check "make runs its recipes through posix_spawn" [ "${calls:-0}" -ge 6 ]

# 2. A whole build, glibc against preloaded.
run_make plain
run_make_preloaded "$work/uring.log" uring
check "build: same status, objects, binary and output" same_build plain uring

# 3. A build that fails.
run_make plain-broken BREAK=1
run_make_preloaded "$work/broken.log" uring-broken BREAK=1
check "failing build: same status and error text" \
	same_failure plain-broken uring-broken

# 4. What the log says.
u=$(cat "$work/uring.log" "$work/broken.log" | grep -c '^uring ')
f=$(cat "$work/uring.log" "$work/broken.log" | grep -c '^fallback ')
echo "# preloaded builds: $u spawns through io_uring, $f through glibc"
if [ "$supported" = 0 ]; then
	[ "$u" -gt 0 ] && [ "$f" = 0 ]
	tap $? "log: io_uring spawns and no fallback"
else
	sort "$work/uring.log" | uniq -c | diag
	require=require run_make_preloaded "$work/require.log" require
	grep -q 'required' "$work/require.log" && [ "$(cat "$work/require/rc")" != 0 ]
	tap $? "IO_URING_SPAWN=require: make fails, its posix_spawn returns ENOSYS"
	grep -h 'Function not implemented' "$work/require/err" | head -2 | diag
	tap 0 "make through io_uring" "SKIP kernel cannot spawn through io_uring: $why"
fi

tap_end
