# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Sourced by the preload tests (make_test.sh, command_test.sh) with the
# build directory as $1: sets build, preload, a scratch $work removed on
# exit, whether the kernel can spawn ($supported, $why, $require), and the
# TAP helpers. tap_end prints the plan and exits as run.sh expects: 1 on a
# failure, 4 (SKIP) without kernel support, else 0.

build=$(cd "$1" && pwd) || exit 1
preload=$build/spawn/libspawn_uring_preload.so
work=$(mktemp -d "/tmp/$(basename "$0" .sh).XXXXXX")
trap 'rm -rf "$work"' EXIT
n=0
failed=0

tap() { # status name [directive]
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n $2${3:+ # $3}"
	else
		echo "not ok $n $2"
		failed=1
	fi
}

diag() { sed 's/^/# /'; }

tap_end() {
	echo "1..$n"
	[ "$failed" = 0 ] || exit 1
	[ "$supported" = 0 ] || exit 4
	exit 0
}

[ -r "$preload" ] || { echo "Bail out! no $preload"; exit 1; }
why=$("$build/spawn_check")
supported=$?
# IO_URING_SPAWN=require only where the kernel can: elsewhere the preloaded
# run must go through glibc and change nothing.
require=
[ "$supported" = 0 ] && require=require
