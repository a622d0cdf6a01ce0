#!/bin/bash
# Configure and build the kernel of $FLAVOUR (plain, debug or profile) out
# of tree.
# The config is tinyconfig + fragments; it is regenerated only when a
# fragment changes, so incremental builds stay incremental.
set -euo pipefail
. "$(dirname "$0")/env.sh"

frags=("$ROOT/harness/configs/base.config")
case $FLAVOUR in
plain) ;;
debug | profile) frags+=("$ROOT/harness/configs/$FLAVOUR.config") ;;
*) die "FLAVOUR=$FLAVOUR?" ;;
esac

mkdir -p "$KOBJ"
stamp=$KOBJ/.fragments.sha
want=$(cat "${frags[@]}" | sha256sum | cut -d' ' -f1)
if [ ! -f "$KOBJ/.config" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
	log "configuring $FLAVOUR kernel"
	"${KMAKE[@]}" -s tinyconfig
	(cd "$KSRC" && KCONFIG_CONFIG="$KOBJ/.config" \
		scripts/kconfig/merge_config.sh -m -O "$KOBJ" "$KOBJ/.config" \
		"${frags[@]}" >/dev/null)
	"${KMAKE[@]}" -s olddefconfig
	# Every fragment line must have survived olddefconfig; a later
	# fragment's line overrides an earlier one's, as in merge_config.sh.
	bad=0
	declare -A want_val=()
	syms=()
	while IFS= read -r line; do
		if [[ $line =~ ^(CONFIG_[A-Z0-9_]+)=(.*)$ ]]; then
			sym=${BASH_REMATCH[1]} val=${BASH_REMATCH[2]}
		elif [[ $line =~ ^#\ (CONFIG_[A-Z0-9_]+)\ is\ not\ set ]]; then
			sym=${BASH_REMATCH[1]} val=n
		else
			continue
		fi
		[ -n "${want_val[$sym]:-}" ] || syms+=("$sym")
		want_val[$sym]=$val
	done < <(cat "${frags[@]}")
	for sym in "${syms[@]}"; do
		val=${want_val[$sym]}
		if [ "$val" = n ]; then
			grep -qx "$sym=.*" "$KOBJ/.config" && { echo "  $sym: want n"; bad=1; }
		else
			grep -qx "$sym=$val" "$KOBJ/.config" ||
				{ echo "  $sym: want $val, got '$(grep "^$sym=" "$KOBJ/.config" || echo unset)'"; bad=1; }
		fi
	done
	[ $bad = 0 ] || die "config fragments not honoured (missing dependency?)"
	echo "$want" >"$stamp"
fi

log "building $FLAVOUR kernel (log: $KOBJ/build.log)"
# "modules" writes Module.symvers, which the harness self-test's module needs.
if ! "${KMAKE[@]}" bzImage modules >"$KOBJ/build.log" 2>&1; then
	tail -40 "$KOBJ/build.log"
	die "kernel build failed"
fi
# The quality bar is a warning-free build.
if grep -E '(^|[^a-z_])(warning|Warning):' "$KOBJ/build.log" | grep -v '^make' >"$KOBJ/warnings.log"; then
	cat "$KOBJ/warnings.log"
	die "the kernel build printed warnings"
fi
log "built $(cat "$KOBJ/include/config/kernel.release")"
