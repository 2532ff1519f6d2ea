#!/bin/bash
# Write the commits on top of 'overlay' in build/libvirt back to patches/,
# as a git format-patch series plus a 'series' file.
#
# The output is deterministic: no numbering prefix in subjects, a zero
# commit hash in the From line and no version signature, so refreshing an
# unchanged tree rewrites identical files.

set -euo pipefail
. "$(dirname "$0")/common.sh"

[ -d "$TREE/.git" ] || die "$TREE does not exist: run 'make' first"
git -C "$TREE" rev-parse -q --verify refs/tags/overlay >/dev/null ||
    die "$TREE has no 'overlay' tag"

if [ -n "$(git -C "$TREE" status --porcelain --untracked-files=no)" ]; then
    echo "warning: $TREE has uncommitted edits; they are not part of the refreshed series" >&2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tree_export_series "$tmp"

mkdir -p "$TOPDIR/patches"
# Drop patches that are no longer in the series, then write the new ones.
for old in "$TOPDIR"/patches/*.patch; do
    [ -e "$old" ] || continue
    [ -e "$tmp/$(basename "$old")" ] || rm -f "$old"
done
: > "$tmp/series.new"
for p in $(cd "$tmp" && ls | grep '\.patch$' | LC_ALL=C sort); do
    cmp -s "$tmp/$p" "$TOPDIR/patches/$p" || cp "$tmp/$p" "$TOPDIR/patches/$p"
    echo "$p" >> "$tmp/series.new"
done
cmp -s "$tmp/series.new" "$TOPDIR/patches/series" || cp "$tmp/series.new" "$TOPDIR/patches/series"

# The tree and patches/ now agree.
"$TOPDIR/scripts/assemble.sh"
echo "patches/: $(wc -l < "$TOPDIR/patches/series") patches"
