#!/bin/bash
# make bench: spawnbench in the guest, twice: under the guest's wall clock,
# and with QEMU's -icount (guest time = executed instructions, so the figures
# do not move with the host's load). Then results.json, the table and chart.
#   BENCH_RUNS (200) rounds per cell, BENCH_TPUT (2000) processes in the
#   build-like run; make check runs it briefly with small values.
# make profile (FLAVOUR=profile, a kernel with the ftrace function profiler):
# BENCH_RUNS (200) spawns per method under -icount with every kernel function
# counted, with its own time (not its callees', not its sleep); profile.md
# in $BUILD/profile says where each method's work goes.
set -euo pipefail
. "$(dirname "$0")/env.sh"
runs=${BENCH_RUNS:-200} tput=${BENCH_TPUT:-2000}
if [ "$FLAVOUR" = profile ]; then
	out=${BENCH_OUT:-$BUILD/profile}
else
	out=${BENCH_OUT:-$BUILD/bench}
fi
hdr=$KOBJ/usr/include
mkdir -p "$out"
# make bench has them from userspace.sh; the profile kernel needs its own.
[ "$FLAVOUR" = profile ] && "${KMAKE[@]}" -s headers >/dev/null
cc -O2 -static -nostdlib -fno-stack-protector -fno-pie -no-pie -isystem "$hdr" \
	-o "$out/bench_child" "$ROOT/samples/bench/bench_child.c"
cc -O2 -Wall -Wextra -Werror -isystem "$hdr" -I"$ROOT/selftests/kselftest" \
	-o "$out/spawnbench" "$ROOT/samples/bench/spawnbench.c" -ldl

# One instruction = 1 ns of guest time. One vCPU: with two, a vCPU that
# idles makes guest time jump to the next timer, which is noise.
icount=(--cpus 1 --qemu-opts "-icount shift=0,sleep=off")

if [ "$FLAVOUR" = profile ]; then
	log "spawnbench, function profile: $runs spawns per method"
	rm -rf "$out/functions" && mkdir -p "$out/functions"
	t=/sys/kernel/tracing
	RESULTS=$out/vm "$ROOT/harness/vm.sh" --timeout "${BENCH_TIMEOUT:-3600}" \
		--memory 3G "${icount[@]}" --rwdir "$out" -- sh -c \
		"{ mountpoint -q $t || mount -t tracefs nodev $t; } && echo 0 > $t/options/graph-time && echo 0 > $t/options/sleep-time && cp '$out/spawnbench' '$out/bench_child' /tmp/ && /tmp/spawnbench /tmp/bench_child profile $runs '$out/functions'" ||
		die "spawnbench profile failed; see $out/vm/console.log"
	python3 "$ROOT/harness/profile_report.py" "$out/functions" >"$out/profile.md"
	log "wrote $out/profile.md"
	exit 0
fi

# The programs run from the guest's /tmp (tmpfs in the guest), not over 9p:
# a vCPU waiting for 9p I/O makes icount time jump to the next timer.
for mode in wall icount; do
	qemu=(--cpus 2)
	[ $mode = icount ] && qemu=("${icount[@]}")
	log "spawnbench, $mode clock: $runs rounds, $tput processes"
	rm -f "$out/raw-$mode.jsonl"
	RESULTS=$out/vm-$mode "$ROOT/harness/vm.sh" --timeout "${BENCH_TIMEOUT:-3600}" \
		--memory 3G "${qemu[@]}" --rwdir "$out" -- sh -c \
		"cp '$out/spawnbench' '$out/bench_child' /tmp/ && /tmp/spawnbench /tmp/bench_child $mode $runs $tput > '$out/raw-$mode.jsonl'" ||
		die "spawnbench failed ($mode); see $out/vm-$mode/console.log"
done
"$VENV/bin/python" "$ROOT/harness/bench_report.py" "$out" "$out"/raw-*.jsonl
