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
}

rm -rf "$SUM" && mkdir -p "$SUM"
stage deps "$ROOT/harness/deps.sh"
stage tree "$ROOT/harness/prepare-tree.sh"
stage kernel "$ROOT/harness/build-kernel.sh"
stage userspace "$ROOT/harness/userspace.sh"
stage host-tests "$ROOT/harness/host-tests.sh" "$SUM"
stage lint "$ROOT/harness/lint.sh" "$SUM"
# A guest that dies is a failed run, not a broken harness: the verdict
# below reports it.
stage guest bash -c '"$0"/harness/guest-run.sh "$1" || true' "$ROOT" "$RESULTS/guest"
if [ "${SELFTEST:-1}" = 1 ]; then
	stage harness-selftest "$ROOT/harness/selftest/live.sh" "$SUM"
fi
print_times
python3 "$ROOT/harness/verdict.py" total "$SUM" "$RESULTS/guest/summary"
