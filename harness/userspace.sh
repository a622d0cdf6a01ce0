#!/bin/bash
# Build what runs in the guest besides the kernel: the UAPI headers, the
# kselftests (through the kernel's kselftest framework), the Rust userspace
# tests and the samples. Output goes under $BUILD.
set -euo pipefail
. "$(dirname "$0")/env.sh"

# Kselftest targets: in-tree ones that cover process creation, plus this
# project's own once the series adds them.
KSFT_TARGETS=${KSFT_TARGETS:-clone3 io_uring_spawn}

log "installing UAPI headers"
"${KMAKE[@]}" -s headers >/dev/null
hdr=$KOBJ/usr/include

log "building kselftests: $KSFT_TARGETS"
rm -rf "$BUILD/kselftest"
make -s -C "$KSRC/tools/testing/selftests" TARGETS="$KSFT_TARGETS" \
	O="$BUILD/kselftest-build" KHDR_INCLUDES="-isystem $hdr" \
	INSTALL_PATH="$BUILD/kselftest" -j"$JOBS" install >"$BUILD/kselftest-build.log" 2>&1 ||
	{ tail -30 "$BUILD/kselftest-build.log"; die "kselftest build failed"; }
# The selftests' install goes on past a target that failed to build.
for t in $KSFT_TARGETS; do
	[ -d "$BUILD/kselftest/$t" ] ||
		{ grep -B2 -A6 -E 'error|warning' "$BUILD/kselftest-build.log" | head -40
		  die "kselftest target $t did not build"; }
done
! grep -E '(error|warning):' "$BUILD/kselftest-build.log" ||
	die "kselftests build with warnings (see $BUILD/kselftest-build.log)"
# Cases that cannot pass in this guest, with the reason; each is named here.
#  clone3_cap_checkpoint_restore: libcap cannot raise CAP_CHECKPOINT_RESTORE
#  in the virtme-ng guest (capset fails), unrelated to this series.
sed -i '/^clone3:clone3_cap_checkpoint_restore$/d' "$BUILD/kselftest/kselftest-list.txt"

log "building Rust userspace tests"
export CARGO_TARGET_DIR=$BUILD/cargo
rm -rf "$BUILD/rust-tests" && mkdir -p "$BUILD/rust-tests"
cargo test --manifest-path "$ROOT/selftests/rust/Cargo.toml" --release \
	--no-run --message-format=json 2>"$BUILD/cargo-build.log" |
	python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["profile"]["test"]:
        print(m["executable"])' |
	while read -r exe; do cp "$exe" "$BUILD/rust-tests/"; done
[ -n "$(ls "$BUILD/rust-tests")" ] || { cat "$BUILD/cargo-build.log"; die "no Rust test binaries"; }

# The Command-like crate: its tests join the Rust layer; its doc examples
# are built here (rustdoc's --persist-doctests, unstable, hence
# RUSTC_BOOTSTRAP) and run in the guest, where the kernel can spawn.
log "building the io-uring-spawn crate's tests and doc examples"
crate=$ROOT/samples/rust/io-uring-spawn
export CARGO_TARGET_DIR=$BUILD/cargo-spawn
cargo test --manifest-path "$crate/Cargo.toml" --locked --release --no-run \
	--message-format=json 2>"$BUILD/cargo-spawn-build.log" |
	python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["profile"]["test"]:
        print(m["executable"])' |
	while read -r exe; do cp "$exe" "$BUILD/rust-tests/spawn-crate-$(basename "$exe")"; done
ls "$BUILD"/rust-tests/spawn-crate-* >/dev/null 2>&1 ||
	{ tail -30 "$BUILD/cargo-spawn-build.log"; die "no io-uring-spawn test binaries"; }
rm -rf "$BUILD/doctests"
RUSTC_BOOTSTRAP=1 RUSTDOCFLAGS="-Zunstable-options --persist-doctests $BUILD/doctests --no-run -Cdebuginfo=0" \
	cargo test --manifest-path "$crate/Cargo.toml" --locked --doc \
	>"$BUILD/doctests-build.log" 2>&1 ||
	{ tail -30 "$BUILD/doctests-build.log"; die "io-uring-spawn doc examples did not build"; }
ls "$BUILD"/doctests/*/rust_out >/dev/null 2>&1 || die "no doc example binaries"

log "building the posix_spawn library, its preload object and their tests"
make -s -C "$ROOT/selftests/userspace" O="$BUILD/userspace" UAPI="$hdr" \
	>"$BUILD/userspace-build.log" 2>&1 ||
	{ tail -30 "$BUILD/userspace-build.log"; die "posix_spawn library or its tests failed to build"; }

log "building the stress test and the fuzzer"
make -s -C "$ROOT/selftests/stress" O="$BUILD/stress" KHDR="$hdr" \
	>"$BUILD/stress-build.log" 2>&1 ||
	{ tail -30 "$BUILD/stress-build.log"; die "stress test or fuzzer failed to build"; }

log "building samples"
mkdir -p "$BUILD/samples"
cc -O2 -Wall -Wextra -Werror -isystem "$hdr" -o "$BUILD/samples/uring_info" \
	"$ROOT/samples/demo/uring_info.c"
cc -O2 -Wall -Wextra -Werror -isystem "$hdr" -I"$ROOT/selftests/kselftest" \
	-o "$BUILD/samples/spawn_demo" "$ROOT/samples/demo/spawn_demo.c"
