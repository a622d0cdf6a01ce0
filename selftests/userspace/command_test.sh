#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Rust's std::process::Command with and without the io_uring posix_spawn
# preload library:
#
#   command_test.sh BUILD_DIR
#
# Runs BUILD_DIR/command_test (command-test/main.rs) plainly, then with
# LD_PRELOAD=BUILD_DIR/spawn/libspawn_uring_preload.so, IO_URING_SPAWN=require
# and IO_URING_SPAWN_LOG; the outputs and exit statuses must match, and the
# log must have one io_uring line per spawn and no fallback. Without kernel
# support: preloaded without require (glibc underneath must change nothing),
# then a SKIP and status 4. TAP on stdout; status 1 on a failure.
set -u

. "$(dirname "$0")/tap_lib.sh" "$1"
echo "# io_uring spawn: $why"

# The same scratch directory for both runs: the output names it.
"$build/command_test" "$work/scratch" >"$work/plain.out" 2>"$work/plain.err"
plain_rc=$?
LD_PRELOAD=$preload IO_URING_SPAWN=$require IO_URING_SPAWN_LOG=$work/spawn.log \
	"$build/command_test" "$work/scratch" >"$work/uring.out" 2>"$work/uring.err"
uring_rc=$?

[ "$plain_rc" = 0 ] && [ "$uring_rc" = 0 ]
tap $? "command_test exits 0 both times"
cat "$work/plain.err" "$work/uring.err" | diag

cmp -s "$work/plain.out" "$work/uring.out"
tap $? "Command: same output, statuses and errors"
diff "$work/plain.out" "$work/uring.out" | diag

grep -q '^missing: error kind=NotFound errno=Some(2)' "$work/uring.out"
tap $? "a missing program is an io::Error with ENOENT"

spawns=$(sed -n 's/^spawns=//p' "$work/uring.out")
u=$(grep -c '^uring ' "$work/spawn.log" 2>/dev/null)
f=$(grep -c '^fallback ' "$work/spawn.log" 2>/dev/null)
echo "# $spawns Command spawns; log: ${u:-0} through io_uring, ${f:-0} through glibc"
[ "$((${u:-0} + ${f:-0}))" = "${spawns:-x}" ]
tap $? "every Command spawn went through posix_spawn (one log line each)"

if [ "$supported" = 0 ]; then
	[ "${u:-0}" = "$spawns" ] && [ "${f:-0}" = 0 ]
	tap $? "log: io_uring spawns and no fallback"
else
	# require must refuse the glibc path: Command::spawn fails with ENOSYS.
	LD_PRELOAD=$preload IO_URING_SPAWN=require \
		"$build/command_test" "$work/scratch" >/dev/null 2>"$work/require.err"
	rc=$?
	[ "$rc" != 0 ] && grep -q 'code: 38' "$work/require.err"
	tap $? "IO_URING_SPAWN=require: Command fails with ENOSYS"
	diag <"$work/require.err"
	tap 0 "Command through io_uring" "SKIP kernel cannot spawn through io_uring: $why"
fi

tap_end
