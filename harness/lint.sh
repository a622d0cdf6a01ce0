#!/bin/bash
# Style gates: rustfmt and clippy for the Rust (kernel and userspace),
# checkpatch --strict for the C files and for the series' patches.
# Writes SUMMARY_DIR/lint.json, one case per gate.
set -uo pipefail
. "$(dirname "$0")/env.sh"
sum=$1
passed=0 failed=0 problems=()
gate() { # name, command...
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		passed=$((passed + 1)); echo "  ok   $name"
	else
		failed=$((failed + 1)); problems+=("lint: $name"); echo "  FAIL $name"
		echo "$out" | tail -30 | sed 's/^/       /'
	fi
}

rs_kernel=("$ROOT"/rust/io_uring_spawn/*.rs "$ROOT"/rust/io_uring_spawn/abstractions/*.rs)
gate "rustfmt (kernel)" /usr/bin/rustfmt --edition 2021 --check \
	--config-path "$KSRC/.rustfmt.toml" "${rs_kernel[@]}"
gate "rustfmt (userspace)" cargo fmt --manifest-path "$ROOT/selftests/rust/Cargo.toml" --check
gate "rustfmt (io-uring-spawn crate)" cargo fmt \
	--manifest-path "$ROOT/samples/rust/io-uring-spawn/Cargo.toml" --check

# Kernel clippy through kbuild, as CLIPPY=1 does, for this series' crate.
clippy_kernel() {
	local out
	out=$("${KMAKE[@]}" CLIPPY=1 CLIPPY_DRIVER=/usr/bin/clippy-driver io_uring/spawn/ 2>&1) ||
		{ echo "$out"; return 1; }
	! echo "$out" | grep -E '^(warning|error)'
}
gate "clippy (kernel, CLIPPY=1)" clippy_kernel
gate "clippy (userspace)" env CARGO_TARGET_DIR="$BUILD/cargo" cargo clippy \
	--manifest-path "$ROOT/selftests/rust/Cargo.toml" --release --all-targets -- -D warnings
gate "clippy (io-uring-spawn crate)" env CARGO_TARGET_DIR="$BUILD/cargo-spawn" cargo clippy \
	--manifest-path "$ROOT/samples/rust/io-uring-spawn/Cargo.toml" --locked --release \
	--all-targets -- -D warnings
gate "rustdoc (io-uring-spawn crate)" env CARGO_TARGET_DIR="$BUILD/cargo-spawn" \
	RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --locked \
	--manifest-path "$ROOT/samples/rust/io-uring-spawn/Cargo.toml"

cp=("$KSRC/scripts/checkpatch.pl" --strict --no-tree --terse --show-types)
kernel_c=("$ROOT"/rust/io_uring_spawn/*.[ch] "$ROOT"/include/linux/io_uring/*.h)
# User space: the C library's fixed-width types and attribute syntax are
# right there, and ENOSYS is what a library function that cannot do its
# job returns (uring_spawn.h's IO_URING_SPAWN=require).
user_c=("$ROOT"/selftests/kselftest/*.[ch] "$ROOT"/samples/*/*.[ch]
	"$ROOT"/selftests/userspace/*.c "$ROOT"/selftests/stress/*.c)
user_ignore=PREFER_KERNEL_TYPES,PREFER_DEFINED_ATTRIBUTE_MACRO,ENOSYS
# checkpatch exits non-zero when it finds something: its output is what
# counts (under pipefail a "checkpatch | grep" pipeline would hide it).
checkpatch_file() { # file [checkpatch options]
	"${cp[@]}" "${@:2}" -f "$1" >"$BUILD/lint-checkpatch.out" 2>&1
	! grep -E ': (ERROR|WARNING|CHECK):' "$BUILD/lint-checkpatch.out"
}
checkpatch_files() {
	local f bad=0
	for f in "${kernel_c[@]}"; do checkpatch_file "$f" || bad=1; done
	for f in "${user_c[@]}"; do checkpatch_file "$f" --ignore "$user_ignore" || bad=1; done
	return $bad
}
gate "checkpatch --strict (C files)" checkpatch_files
# The patches, as a series: FILE_PATH_CHANGES only asks whether MAINTAINERS
# needs an update (patch 3 adds the entry); FUNCTION_ARGUMENTS misreads
# "const char __user *const __user argv[]" as an argument without a name.
checkpatch_series() {
	rm -rf "$BUILD/lint-series" &&
	git -C "$KSRC" format-patch -q -o "$BUILD/lint-series" pristine..HEAD || return 1
	"${cp[@]}" --ignore FILE_PATH_CHANGES,FUNCTION_ARGUMENTS "$BUILD"/lint-series/*.patch \
		>"$BUILD/lint-checkpatch.out" 2>&1
	! grep -E ': (ERROR|WARNING|CHECK):' "$BUILD/lint-checkpatch.out"
}
gate "checkpatch --strict (series)" checkpatch_series

python3 "$ROOT/harness/verdict.py" summary "$sum" lint "$passed" "$failed" "${problems[@]}"
