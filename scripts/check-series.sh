#!/bin/bash
# Check that every prefix of the patch series builds and passes libvirt's
# unit tests and syntax-check, as the series must (slow: one incremental
# build and test run per patch). Uses a second work tree of build/libvirt,
# build/series-libvirt, at the same depth so the overlay symlinks resolve.
#
#   scripts/check-series.sh [FIRST-PATCH-NUMBER]

set -uo pipefail
. "$(dirname "$0")/common.sh"

first=${1:-1}
wt=$BUILD_DIR/series-libvirt
[ -d "$TREE/.git" ] || die "run 'make' first"

if [ ! -e "$wt/.git" ]; then
    git -C "$TREE" worktree prune
    git -C "$TREE" worktree add -q --detach "$wt" overlay || die "cannot create $wt"
    # keycodemapdb is a nested repository (a submodule upstream)
    rmdir "$wt/src/keycodemapdb" 2>/dev/null
    cp -a "$TREE/src/keycodemapdb" "$wt/src/keycodemapdb"
fi

n=0 bad=0
for c in $(git -C "$TREE" rev-list --reverse overlay..HEAD); do
    n=$((n + 1))
    [ "$n" -ge "$first" ] || continue
    subject=$(git -C "$TREE" log -1 --format=%s "$c")
    git -C "$wt" checkout -q --detach "$c" || die "cannot check out $c"
    log=$BUILD_DIR/series-$n.log
    if KP_TREE=$wt "$TOPDIR/scripts/build.sh" > "$log" 2>&1 &&
       meson test -C "$wt/build" --no-rebuild --num-processes "$(nproc)" >> "$log" 2>&1; then
        echo "ok $n - $subject"
    else
        bad=$((bad + 1))
        echo "not ok $n - $subject (log: $log)"
    fi
done
echo "$((n - first + 1 - bad)) passed, $bad failed"
[ "$bad" -eq 0 ]
