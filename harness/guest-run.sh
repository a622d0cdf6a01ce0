#!/bin/bash
# One guest boot that runs every guest-side test layer, then the verdict.
#   guest-run.sh RESULTS_DIR [KSFT_DIR] [INJECT]
# Writes RESULTS_DIR/summary/*.json. Exit status: 0 when the guest finished
# (pass or fail is decided from the summaries), non-zero when it did not.
set -euo pipefail
. "$(dirname "$0")/env.sh"

out=$1 ksft=${2:-$BUILD/kselftest} inject=${3:-}
rm -rf "$out" && mkdir -p "$out"
envs=(--env "RESULTS=$out" --env "KSFT_DIR=$ksft" --env "RUST_TESTS=$BUILD/rust-tests"
      --env "INJECT=$inject" --env "KUNIT_CANARY=$BUILD/canary/kunit_canary.ko")
layers=(--kselftest --rust)
# The harness self-test (INJECT) needs only the layers it checks.
if [ -z "$inject" ]; then
	envs+=(--env "USERSPACE_DIR=$BUILD/userspace" --env "USERSPACE_SRC=$ROOT/selftests/userspace"
	       --env "DOCTESTS_DIR=$BUILD/doctests" --env "STRESS_DIR=$BUILD/stress")
	layers+=(--userspace --doctests --stress)
fi
rc=0
RESULTS=$out "$ROOT/harness/vm.sh" --timeout "${GUEST_TIMEOUT:-2400}" --rwdir "$out" \
	"${envs[@]}" -- "$ROOT/harness/guest/run-tests.sh" || rc=$?
python3 "$ROOT/harness/verdict.py" guest "$out" "$KSRC" "${layers[@]}"
if [ $rc != 0 ]; then
	case $rc in
	124) msg="guest timed out (hang)" ;;
	125) msg="guest kernel panicked" ;;
	*) msg="guest run exited $rc" ;;
	esac
	python3 "$ROOT/harness/verdict.py" summary "$out/summary" guest-boot 0 1 "$msg"
fi
exit $rc
