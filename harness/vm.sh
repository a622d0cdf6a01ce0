#!/bin/bash
# Boot the built kernel in virtme-ng and run a command in it.
#   vm.sh [--timeout SECS] [--rwdir DIR]... [--env VAR=VAL]... -- CMD...
#   vm.sh --shell                    interactive shell (no time limit)
#   --memory SIZE, --cpus N, --qemu-opts OPTS   guest memory (2G), vCPUs (2),
#                                    extra QEMU options
# The console (kernel log included) goes to $RESULTS/console.log. A guest
# that outlives its limit is killed; that is a failure, and the tail of the
# console is printed.
set -euo pipefail
. "$(dirname "$0")/env.sh"

timeout=${VM_TIMEOUT:-900}
rw=() envs=() shell=0 memory=2G cpus=2 qemu=()
while (($#)); do
	case $1 in
	--timeout) timeout=$2; shift 2 ;;
	--rwdir) rw+=(--rwdir "$2"); shift 2 ;;
	--env) envs+=("$2"); shift 2 ;;
	--shell) shell=1; shift ;;
	--memory) memory=$2; shift 2 ;;
	--cpus) cpus=$2; shift 2 ;;
	--qemu-opts) qemu=(--qemu-opts "$2"); shift 2 ;;
	--) shift; break ;;
	*) die "vm.sh: unknown option $1" ;;
	esac
done

kimg=$KOBJ/arch/x86/boot/bzImage
[ -f "$kimg" ] || die "no kernel at $kimg: run make kernel"

# KVM on machines of this kind hangs after the BIOS; only use it when a real
# boot under it was proven (harness/probe-kvm.sh writes the marker).
accel=(--disable-kvm)
[ -f "$BUILD/kvm-works" ] && accel=()

vng_args=(--run "$kimg" "${accel[@]}" --force-9p --cpus "$cpus" --memory "$memory"
	  "${qemu[@]}"
	  --verbose --append "panic=-1 oops=panic panic_on_warn=0"
	  --cwd "$ROOT" "${rw[@]}")

if ((shell)); then
	exec vng "${vng_args[@]}"
fi

mkdir -p "$RESULTS"
console=$RESULTS/console.log
# The command line is built here so that the guest gets exactly these
# variables and nothing from the host's environment that might differ.
cmd="env"
for e in "${envs[@]}"; do cmd+=" $(printf '%q' "$e")"; done
for a in "$@"; do cmd+=" $(printf '%q' "$a")"; done

rc=0
timeout -k 15 "$timeout" vng "${vng_args[@]}" --exec "$cmd" \
	</dev/null >"$console" 2>&1 || rc=$?
if [ $rc = 124 ] || [ $rc = 137 ]; then
	echo "GUEST TIMEOUT: no exit within ${timeout}s; console tail:" >&2
	tail -30 "$console" >&2
	exit 124
fi
if grep -qE 'Kernel panic|end Kernel panic' "$console"; then
	echo "GUEST PANIC; console tail:" >&2
	tail -40 "$console" >&2
	exit 125
fi
exit $rc
