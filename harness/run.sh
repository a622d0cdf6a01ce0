#!/bin/bash
# make run: boot the built kernel, run the demo; from a terminal, then boot
# again into an interactive shell in the guest.
set -euo pipefail
. "$(dirname "$0")/env.sh"
RESULTS=$BUILD/run "$ROOT/harness/vm.sh" --timeout 600 -- \
	"$ROOT/samples/demo/demo.sh" "$BUILD/samples" && rc=0 || rc=$?
# Show what the guest printed, without the kernel's boot chatter.
grep -vE '^\[ *[0-9]+\.[0-9]+\]|^$|virtme' "$BUILD/run/console.log" || tail -20 "$BUILD/run/console.log"
[ $rc = 0 ] || die "the demo failed (exit $rc); console log: $BUILD/run/console.log"
if [ -t 0 ] && [ -t 1 ] && [ -z "${CI:-}" ]; then
	log "starting a shell in the guest (exit it to stop the VM)"
	exec "$ROOT/harness/vm.sh" --shell
fi
