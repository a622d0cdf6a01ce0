#!/bin/bash
# Host-side tests: unit tests of the userspace crates and of the harness's
# own verdict logic. Writes SUMMARY_DIR/host-*.json.
set -euo pipefail
. "$(dirname "$0")/env.sh"
sum=$1
export CARGO_TARGET_DIR=$BUILD/cargo

# Unit tests only: the integration tests need the patched kernel and run in
# the guest.
{
	cargo test --manifest-path "$ROOT/selftests/rust/Cargo.toml" --release --lib 2>&1
	CARGO_TARGET_DIR=$BUILD/cargo-spawn cargo test --locked --release --lib \
		--manifest-path "$ROOT/samples/rust/io-uring-spawn/Cargo.toml" 2>&1
} | tee "$BUILD/host-cargo.log" | grep -E '^test |test result' || true
python3 - "$BUILD/host-cargo.log" "$sum/host-cargo.json" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
p = f = s = 0
for m in re.finditer(r"test result: (\w+)\. (\d+) passed; (\d+) failed; (\d+) ignored", text):
    p += int(m.group(2)); f += int(m.group(3)); s += int(m.group(4))
probs = [] if "test result:" in text else ["cargo test did not run"]
if f: probs.append("host cargo tests failed")
json.dump({"layer": "host-cargo", "passed": p, "failed": f, "skipped": s, "problems": probs}, open(sys.argv[2], "w"))
PY

python3 "$ROOT/harness/selftest/test_verdict.py" --summary "$sum/host-verdict.json" "$KSRC"
