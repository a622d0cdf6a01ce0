# Shared settings for the harness scripts; sourced, not run.
# shellcheck shell=bash
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
# Tools survive a fresh clone on the same machine (CI clones anew), so
# they live outside the work tree; a new machine installs them again.
TOOLS=${TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/io_uring_spawn}
BINDGEN_VERSION=0.73.2
VNG_VERSION=1.42
MPL_VERSION=3.9.2
BINDGEN=$TOOLS/bin/bindgen
VENV=$TOOLS/venv
KSRC_TARBALL=/usr/src/linux-source-6.12.tar.xz
KSRC=$BUILD/linux            # git tree: pristine commit + the series
FLAVOUR=${FLAVOUR:-plain}    # plain | debug | profile
KOBJ=$BUILD/kbuild-$FLAVOUR  # out-of-tree kbuild output
RESULTS=${RESULTS:-$BUILD/results-$FLAVOUR}
JOBS=${JOBS:-$(nproc)}
# The kernel wants Debian's rustc (it ships the matching core sources);
# rustup's rustc comes first on PATH and has none.
KMAKE=(make -C "$KSRC" O="$KOBJ" LLVM=1 RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
       BINDGEN="$BINDGEN" -j"$JOBS")
export PATH="$VENV/bin:$PATH"

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
