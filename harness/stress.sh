#!/bin/bash
# make stress: the long form of the hardening tests, on the debug kernel
# (KASAN, lockdep, kmemleak, fault injection): the randomized spawn stress
# (100,000 spawns, 4 threads, every ring kind), the SQE fuzzer (100,000
# chains) and the fault injection kselftests, in one guest boot; then the
# kernel log and kmemleak are checked like in make check.
#   STRESS_ARGS, FUZZ_ARGS   override the programs' arguments
#   FAULT_ROUNDS             children each fault kselftest injects into (400)
#   STRESS_TIMEOUT           guest wall-clock limit in seconds (7200)
set -euo pipefail
export FLAVOUR=${FLAVOUR:-debug}
. "$(dirname "$0")/env.sh"

"$ROOT/harness/prepare-tree.sh"
"$ROOT/harness/build-kernel.sh"
"$ROOT/harness/userspace.sh"

out=$BUILD/stress-$FLAVOUR
rm -rf "$out" && mkdir -p "$out"
rc=0
RESULTS=$out "$ROOT/harness/vm.sh" --timeout "${STRESS_TIMEOUT:-7200}" --rwdir "$out" \
	--env "RESULTS=$out" --env "KSFT_DIR=$BUILD/kselftest" \
	--env "KSFT_ARGS=-t io_uring_spawn:spawn_fault" --env "SPAWN_FAULT_ROUNDS=${FAULT_ROUNDS:-400}" \
	--env "STRESS_DIR=$BUILD/stress" \
	--env "STRESS_ARGS=${STRESS_ARGS:--n 100000 -t 4}" \
	--env "FUZZ_ARGS=${FUZZ_ARGS:--n 100000}" \
	-- "$ROOT/harness/guest/run-tests.sh" || rc=$?
python3 "$ROOT/harness/verdict.py" guest "$out" "$KSRC" --kselftest --stress
if [ $rc != 0 ]; then
	python3 "$ROOT/harness/verdict.py" summary "$out/summary" guest-boot 0 1 \
		"stress guest exited $rc (124: timeout, 125: panic)"
fi
grep -h '^#' "$out/stress.tap" 2>/dev/null | sed 's/^/  /' || true
python3 "$ROOT/harness/verdict.py" total "$out/summary"
