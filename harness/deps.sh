#!/bin/bash
# Install everything the build and the guest runs need, idempotently.
# Debian packages, bindgen-cli from crates.io and virtme-ng from PyPI, all
# pinned; a second run finds everything in place and installs nothing.
set -euo pipefail
. "$(dirname "$0")/env.sh"

APT_PKGS=(linux-source-6.12 rustc-web rust-web-src clang lld llvm libclang-dev
	  libelf-dev libssl-dev bc flex bison cpio qemu-system-x86 python3-venv
	  libcap-dev rsync xz-utils make gcc rust-web-clippy rustfmt-web
	  udev kmod)  # in the guest (host root): udev names the virtio ports vng
		      # needs; vng runs depmod for a kernel with modules

missing=()
for p in "${APT_PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
if ((${#missing[@]})); then
	log "installing Debian packages: ${missing[*]}"
	[ "$(id -u)" = 0 ] || die "installing packages needs root"
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "${missing[@]}"
fi

[ -x "$BINDGEN" ] && "$BINDGEN" --version | grep -q "$BINDGEN_VERSION" || {
	log "installing bindgen-cli $BINDGEN_VERSION from crates.io (~4 min)"
	cargo install --locked --version "$BINDGEN_VERSION" --root "$TOOLS" \
		bindgen-cli
}

[ -x "$VENV/bin/vng" ] && "$VENV/bin/vng" --version 2>&1 |
	grep -q "$VNG_VERSION" || {
	log "installing virtme-ng $VNG_VERSION into $VENV"
	python3 -m venv "$VENV"
	"$VENV/bin/pip" install -q "virtme-ng==$VNG_VERSION"
}

# The benchmark's chart.
"$VENV/bin/python" -c 'import matplotlib' 2>/dev/null || {
	log "installing matplotlib $MPL_VERSION into $VENV"
	"$VENV/bin/pip" install -q "matplotlib==$MPL_VERSION"
}

[ -f "$KSRC_TARBALL" ] || die "$KSRC_TARBALL missing after install"
exit 0
