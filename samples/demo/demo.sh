#!/bin/sh
# The demo "make run" boots into: what kernel this is, then a process
# spawned through io_uring with its stdout redirected by the chain.
#   demo.sh BIN_DIR
set -e
echo "== kernel: $(uname -r)"
if zcat /proc/config.gz 2>/dev/null | grep -qx 'CONFIG_RUST=y'; then
	echo "== CONFIG_RUST=y"
else
	echo "== CONFIG_RUST is off"; exit 1
fi
zcat /proc/config.gz | grep -E '^CONFIG_IO_URING(_SPAWN)?=' | sed 's/^/== /'
"$1/uring_info"
"$1/spawn_demo" /tmp/spawn_demo.out
