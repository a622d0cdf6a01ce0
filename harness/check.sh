#!/bin/bash
# make check: every test layer, one verdict.
#   host:  Rust userspace unit tests, the harness's own parser tests
#   guest: one boot running KUnit (built in), kselftests, Rust userspace tests,
#          with the kernel log scanned for reports
#   harness self-test: injected failures must each fail a run
# Ends with "N passed, N failed, N skipped" and exits non-zero on any failure.
set -uo pipefail
. "$(dirname "$0")/env.sh"

SUM=$RESULTS/host-summary
stage_times=()
stage() {
	local name=$1 t0=$SECONDS
	shift
	log "stage: $name"
	if ! "$@"; then
		echo "make check: stage '$name' failed" >&2
		stage_times+=("$name $((SECONDS - t0))s FAILED")
		print_times
		echo "0 passed, 1 failed"
		exit 1
	fi
	stage_times+=("$name $((SECONDS - t0))s")
}
print_times() {
	echo "stage times ($FLAVOUR):"
	printf '  %s\n' "${stage_times[@]}"
	echo "  total ${SECONDS}s"
}

rm -rf "$SUM" && mkdir -p "$SUM"
stage deps "$ROOT/harness/deps.sh"
stage tree "$ROOT/harness/prepare-tree.sh"
stage kernel "$ROOT/harness/build-kernel.sh"
stage userspace "$ROOT/harness/userspace.sh"
stage host-tests "$ROOT/harness/host-tests.sh" "$SUM"
# Flavour-independent stages can be skipped on a second run (CI's debug one).
[ "${LINT:-1}" = 1 ] && stage lint "$ROOT/harness/lint.sh" "$SUM"
# A guest that dies is a failed run, not a broken harness: the verdict
# below reports it.
stage guest bash -c '"$0"/harness/guest-run.sh "$1" || true' "$ROOT" "$RESULTS/guest"
# The benchmark is not a test: a short run only proves it works.
bench_smoke() {
	local out=$RESULTS/bench ok=1
	BENCH_RUNS=3 BENCH_TPUT=10 BENCH_OUT=$out "$ROOT/harness/bench.sh" >"$out.log" 2>&1 || ok=0
	[ $ok = 1 ] && python3 - "$out/results.json" <<'PY' || ok=0
import json, sys
r = json.load(open(sys.argv[1]))
have = {(x["method"], x["mode"]) for x in r}
need = [(m, mode) for m in ("vfork", "io_uring_spawn", "io_uring_spawn_batch", "io_uring_spawn_throughput")
        for mode in ("wall", "icount")]
missing = [n for n in need if n not in have]
sys.exit("missing: %s" % missing if missing else 0)
PY
	if [ $ok = 1 ]; then
		python3 "$ROOT/harness/verdict.py" summary "$SUM" bench-smoke 1 0
	else
		python3 "$ROOT/harness/verdict.py" summary "$SUM" bench-smoke 0 1 \
			"make bench does not work; see $out.log"
	fi
}
[ "${BENCH_SMOKE:-1}" = 1 ] && stage bench-smoke bench_smoke
if [ "${SELFTEST:-1}" = 1 ]; then
	stage harness-selftest "$ROOT/harness/selftest/live.sh" "$SUM"
fi
print_times
python3 "$ROOT/harness/verdict.py" total "$SUM" "$RESULTS/guest/summary"
