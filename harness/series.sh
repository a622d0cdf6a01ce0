#!/bin/bash
# make series: the series as git format-patch files on top of pristine 6.12,
# with a cover letter, in $BUILD/series.
set -euo pipefail
. "$(dirname "$0")/env.sh"
out=$BUILD/series
rm -rf "$out"
n=$(git -C "$KSRC" rev-list --count pristine..HEAD)
[ "$n" -gt 0 ] || die "the series is empty"
git -C "$KSRC" format-patch -q --subject-prefix="RFC PATCH" --cover-letter \
	-o "$out" pristine..HEAD
cover=$(ls "$out"/0000-*.patch)
if [ -f "$ROOT/series/cover-letter" ]; then
	python3 - "$cover" "$ROOT/series/cover-letter" <<'PY'
import sys
cover, letter = sys.argv[1], open(sys.argv[2]).read()
subject, _, body = letter.partition("\n")
text = open(cover).read()
text = text.replace("*** SUBJECT HERE ***", subject.strip())
text = text.replace("*** BLURB HERE ***", body.strip())
open(cover, "w").write(text)
PY
fi
log "$n patches and a cover letter in $out"
"$KSRC/scripts/checkpatch.pl" --strict --terse --no-tree "$out"/0*.patch || true
