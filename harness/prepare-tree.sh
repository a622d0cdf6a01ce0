#!/bin/bash
# Make $KSRC a git tree whose first commit is the pristine Debian 6.12 source
# and put this project's series on top of it as commits (branch "spawn").
#
# The series is built with a private index and then checked out with
# "git reset --hard", which rewrites only paths whose content changed, so
# kbuild's timestamps stay valid and a re-apply after an edit rebuilds only
# what the edit touched.
set -euo pipefail
shopt -s nullglob
. "$(dirname "$0")/env.sh"

# The series' author and sign-off (one identity for the whole project).
SIGNOFF="io_uring_spawn developers <io-uring-spawn@users.noreply.invalid>"
GIT=(git -C "$KSRC" -c user.name="io_uring_spawn developers"
     -c user.email=io-uring-spawn@users.noreply.invalid
     -c core.autocrlf=false -c gc.auto=0)
# Fixed dates: the same series gives the same commit ids on every machine.
export GIT_AUTHOR_DATE='2026-01-01T00:00:00Z'
export GIT_COMMITTER_DATE=$GIT_AUTHOR_DATE

if ! "${GIT[@]}" rev-parse -q --verify refs/tags/pristine >/dev/null 2>&1; then
	[ -f "$KSRC_TARBALL" ] || die "$KSRC_TARBALL missing: run harness/deps.sh"
	log "extracting $KSRC_TARBALL"
	rm -rf "$KSRC" && mkdir -p "$KSRC"
	tar -xf "$KSRC_TARBALL" -C "$KSRC" --strip-components=1
	ver=$(make -s -C "$KSRC" kernelversion)
	case $ver in
	6.12.*) ;;
	*) die "kernel source is $ver, this series is for 6.12.x" ;;
	esac
	log "committing pristine $ver tree"
	"${GIT[@]}" init -q -b spawn
	"${GIT[@]}" add -A -f  # Debian's .gitignore ignores "/*"
	"${GIT[@]}" commit -q -m "Linux $ver (Debian linux-source-6.12)"
	"${GIT[@]}" tag pristine
fi

# Repository path -> kernel path, one prefix per line (series/map).
declare -a MAP_FROM MAP_TO
while read -r from to; do
	[[ -z $from || $from == \#* ]] && continue
	MAP_FROM+=("$from") MAP_TO+=("$to")
done <"$ROOT/series/map"

kpath() {
	local i
	for i in "${!MAP_FROM[@]}"; do
		if [[ $1 == "${MAP_FROM[i]}"* ]]; then
			echo "${MAP_TO[i]}${1#"${MAP_FROM[i]}"}"
			return
		fi
	done
	die "$1 is not under any prefix in series/map"
}

# Every overlay file must belong to exactly one commit of the series.
declare -A listed
for dir in "$ROOT"/series/[0-9]*/; do
	while read -r f; do
		[[ -z $f || $f == \#* ]] && continue
		[ -e "$ROOT/$f" ] || die "${dir#"$ROOT"/}files names missing $f"
		[ -z "${listed[$f]:-}" ] || die "$f is listed in two commits"
		listed[$f]=1
	done <"$dir/files"
done
for from in "${MAP_FROM[@]}"; do
	[ -d "$ROOT/$from" ] || continue
	while read -r f; do
		[ -n "${listed[$f]:-}" ] ||
			die "$f is committed in the overlay but in no series/*/files"
	done < <(cd "$ROOT" && git ls-files --cached -- "$from")
	while read -r f; do
		[ -n "${listed[$f]:-}" ] ||
			log "warning: new file $f is in no series/*/files (not applied)"
	done < <(cd "$ROOT" && git ls-files --others --exclude-standard -- "$from")
done

export GIT_INDEX_FILE="$BUILD/series.index"
rm -f "$GIT_INDEX_FILE"
"${GIT[@]}" read-tree pristine
head=$("${GIT[@]}" rev-parse pristine)
n=0
for dir in "$ROOT"/series/[0-9]*/; do
	while read -r f; do
		[[ -z $f || $f == \#* ]] && continue
		if [[ $f == *.patch ]]; then
			"${GIT[@]}" apply --cached --whitespace=error-all "$ROOT/$f" ||
				die "$f does not apply"
		else
			blob=$("${GIT[@]}" hash-object -w "$ROOT/$f")
			mode=100644
			[ -x "$ROOT/$f" ] && mode=100755
			"${GIT[@]}" update-index --add --cacheinfo "$mode,$blob,$(kpath "$f")"
		fi
	done <"$dir/files"
	tree=$("${GIT[@]}" write-tree)
	head=$({ cat "$dir/message"; printf '\nSigned-off-by: %s\n' "$SIGNOFF"; } |
		"${GIT[@]}" commit-tree "$tree" -p "$head")
	n=$((n + 1))
done
unset GIT_INDEX_FILE
rm -f "$BUILD/series.index"

# Only paths that differ between the old and the new HEAD are rewritten.
"${GIT[@]}" reset -q --hard "$head"
log "kernel tree at $("${GIT[@]}" describe --always --tags) ($n series commits)"
