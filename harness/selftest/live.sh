#!/bin/bash
# The harness's own live test: in real guest boots, a failing KUnit case, a
# failing kselftest, a kernel WARN and a hung guest must each be caught, with
# a clear message. Writes SUMMARY_DIR/harness-selftest.json.
set -uo pipefail
. "$(dirname "$0")/../env.sh"
sum=$1
work=$BUILD/canary
rm -rf "$work" && mkdir -p "$work"
passed=0 failed=0 problems=()
check() { # name, command...
	local name=$1
	shift
	if "$@"; then
		passed=$((passed + 1)); echo "  ok   $name"
	else
		failed=$((failed + 1)); problems+=("harness self-test: $name"); echo "  FAIL $name"
	fi
}

# A failing KUnit suite as a module (real KUnit, loaded in the guest).
cp "$ROOT"/harness/selftest/canary/{kunit_canary.c,Kbuild} "$work/"
"${KMAKE[@]}" M="$work" modules >"$work/build.log" 2>&1 ||
	{ cat "$work/build.log"; die "canary module build failed"; }

# A failing kselftest: the installed kselftests plus one canary binary,
# run by the same run_kselftest.sh.
cp -a "$BUILD/kselftest" "$work/ksft"
mkdir -p "$work/ksft/harness_canary"
cc -O2 -Wall -I"$KSRC/tools/testing/selftests" -isystem "$KOBJ/usr/include" \
	-o "$work/ksft/harness_canary/ksft_canary" \
	"$ROOT/harness/selftest/canary/ksft_canary.c" || die "canary kselftest build failed"
echo "harness_canary:ksft_canary" >>"$work/ksft/kselftest-list.txt"

out=$work/inject
"$ROOT/harness/guest-run.sh" "$out" "$work/ksft" kunit,warn >/dev/null 2>&1
python3 "$ROOT/harness/verdict.py" total "$out/summary" >"$work/inject.verdict" 2>&1
rc=$?
check "injected failures fail the run" test $rc != 0
check "failing KUnit case is named" grep -q 'KUnit case failed: harness_canary.harness_canary_fails' "$work/inject.verdict"
check "failing kselftest case is named" grep -q 'kselftest case failed: .*fails_on_purpose' "$work/inject.verdict"
check "kernel WARN is reported" grep -q 'kernel WARN in the guest kernel log' "$work/inject.verdict"
check "passing tests still counted" grep -qE '^  guest-kunit +[1-9][0-9]* passed' "$work/inject.verdict"

# A guest that never finishes is stopped at its limit and reported.
rc=0
RESULTS=$work/hang "$ROOT/harness/vm.sh" --timeout 40 -- sleep 100000 >"$work/hang.log" 2>&1 || rc=$?
check "hung guest is stopped and reported" test $rc = 124
check "hang message is clear" grep -q 'GUEST TIMEOUT' "$work/hang.log"

python3 "$ROOT/harness/verdict.py" summary "$sum" harness-selftest "$passed" "$failed" \
	"${problems[@]}"
exit 0
