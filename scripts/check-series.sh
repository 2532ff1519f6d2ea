#!/bin/bash
# Check that every prefix of the patch series builds and passes libvirt's
# unit tests and syntax-check, as the series must (slow: one incremental
# build and test run per patch). Uses a second checkout of build/libvirt,
# build/series-libvirt, at the same depth so the overlay symlinks resolve.
#
#   scripts/check-series.sh [FIRST-PATCH-NUMBER [LAST-PATCH-NUMBER]]

set -uo pipefail
. "$(dirname "$0")/common.sh"

first=${1:-1}
last=${2:-0}
wt=$BUILD_DIR/series-libvirt
[ -d "$TREE/.git" ] || die "run 'make' first"

# A clone sharing the tree's objects, not a 'git worktree': libvirt enables
# its syntax-check suite only where .git is a directory.
if [ ! -d "$wt/.git" ]; then
    rm -rf "$wt"
    git -C "$TREE" worktree prune
    git clone -q --shared --no-checkout "$TREE" "$wt" || die "cannot create $wt"
    git -C "$wt" checkout -q --detach overlay || die "cannot check out overlay in $wt"
    printf '/build/\n' >> "$wt/.git/info/exclude"
    # keycodemapdb is a nested repository (a submodule upstream)
    rm -rf "$wt/src/keycodemapdb"
    cp -a "$TREE/src/keycodemapdb" "$wt/src/keycodemapdb"
fi

# The overlay commit comes first, so every prefix has every overlay file,
# where a real series would add a source file with the patch that builds
# it. Drop (from the clone's index and tree only) the overlay C files that
# no meson.build of the prefix names, as a file or as a test, so that the
# checks over all files (po_check) see the tree the prefix describes.
drop_unbuilt_overlay_sources() {
    local f base
    for f in $(git -C "$TREE" diff --name-only --diff-filter=A upstream overlay -- '*.c'); do
        base=$(basename "$f" .c)
        git -C "$wt" grep -q -E "'($base\.c|$base)'" -- '*meson.build' && continue
        git -C "$wt" rm -q --cached -- "$f"
        rm -f "$wt/$f"
    done
}

n=0 bad=0
for c in $(git -C "$TREE" rev-list --reverse overlay..HEAD); do
    n=$((n + 1))
    [ "$n" -ge "$first" ] || continue
    [ "$last" -eq 0 ] || [ "$n" -le "$last" ] || break
    subject=$(git -C "$TREE" log -1 --format=%s "$c")
    git -C "$wt" reset -q --hard
    git -C "$wt" checkout -q --detach "$c" || die "cannot check out $c"
    drop_unbuilt_overlay_sources
    log=$BUILD_DIR/series-$n.log
    if KP_TREE=$wt "$TOPDIR/scripts/build.sh" > "$log" 2>&1 &&
       meson test -C "$wt/build" --no-rebuild --num-processes "$(nproc)" >> "$log" 2>&1; then
        echo "ok $n - $subject"
    else
        bad=$((bad + 1))
        echo "not ok $n - $subject (log: $log)"
    fi
done
[ "$last" -eq 0 ] || [ "$n" -le "$last" ] || n=$last
echo "$((n - first + 1 - bad)) passed, $bad failed"
[ "$bad" -eq 0 ]
