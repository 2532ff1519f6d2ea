#!/bin/bash
# Assemble build/libvirt: a git repository holding
#
#   upstream  (tag)  the pristine libvirt tarball
#   overlay   (tag)  the project's own files, as symlinks to this checkout
#   ...              one commit per entry of patches/series
#
# Re-running is cheap: the tree is only rebuilt when patches/ or the set of
# overlay files changed, and never when that would throw away commits made in
# the tree that were not yet written back with 'make refresh'.

set -euo pipefail
. "$(dirname "$0")/common.sh"

STAMP=$TREE/.git/kunpeng-applied

export GIT_AUTHOR_NAME="libvirt-kunpeng" GIT_AUTHOR_EMAIL="libvirt-kunpeng@localhost"
export GIT_COMMITTER_NAME="$GIT_AUTHOR_NAME" GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"

git_tree() {
    git -C "$TREE" -c advice.detachedHead=false "$@"
}

# The overlay: every file under the overlay directories, minus exclusions.
overlay_files() {
    local d
    cd "$TOPDIR"
    for d in $OVERLAY_DIRS; do
        [ -d "$d" ] || continue
        find "$d" \( -type f -o -type l \) -print
    done | grep -v -E "^($(echo "$OVERLAY_EXCLUDE" | tr ' ' '|'))/" | LC_ALL=C sort
}

series_files() {
    [ -f "$TOPDIR/patches/series" ] || return 0
    grep -v -E '^[[:space:]]*(#|$)' "$TOPDIR/patches/series"
}

# A digest of what the series in patches/ would produce.
patches_digest() {
    local p
    for p in $(series_files); do
        [ -f "$TOPDIR/patches/$p" ] || die "patches/series lists $p, which does not exist"
        cat "$TOPDIR/patches/$p"
    done | sha256sum | cut -d' ' -f1
}

# The same digest for the commits in the tree on top of 'overlay'.
tree_digest() {
    local tmp p
    tmp=$(mktemp -d)
    tree_export_series "$tmp"
    for p in $(cd "$tmp" && ls | LC_ALL=C sort); do
        cat "$tmp/$p"
    done | sha256sum | cut -d' ' -f1
    rm -rf "$tmp"
}

import_upstream() {
    local tarball
    tarball=$("$TOPDIR/scripts/fetch-source.sh")
    msg "importing $(basename "$tarball") into $TREE"
    rm -rf "$TREE"
    mkdir -p "$TREE"
    tar -C "$TREE" --strip-components=1 --no-same-owner -xf "$tarball"
    git -C "$TREE" init -q -b main
    printf '/build/\n' >> "$TREE/.git/info/exclude"
    # keycodemapdb is a git submodule upstream: keep it one here too, so that
    # syntax-check skips it exactly as it does in libvirt's own repository.
    git -C "$TREE/src/keycodemapdb" init -q -b main
    git -C "$TREE/src/keycodemapdb" add -A -f .
    GIT_AUTHOR_DATE="2023-01-16T00:00:00Z" GIT_COMMITTER_DATE="2023-01-16T00:00:00Z" \
        git -C "$TREE/src/keycodemapdb" commit -q -m "Import keycodemapdb from libvirt $LIBVIRT_VERSION"
    git_tree -c advice.addEmbeddedRepo=false add -A -f .
    GIT_AUTHOR_DATE="2023-01-16T00:00:00Z" GIT_COMMITTER_DATE="2023-01-16T00:00:00Z" \
        git_tree commit -q -m "Import libvirt $LIBVIRT_VERSION" \
        -m "Pristine upstream tarball from Debian's source package."
    git_tree tag -f upstream >/dev/null
}

# (Re)create the overlay commit on top of 'upstream' and move the tag.
make_overlay_commit() {
    local f
    git_tree checkout -q --detach upstream
    while read -r f; do
        [ -n "$f" ] || continue
        if git_tree cat-file -e "upstream:$f" 2>/dev/null; then
            die "overlay file $f exists upstream: change it with a patch instead"
        fi
        mkdir -p "$(dirname "$TREE/$f")"
        ln -sfr "$TOPDIR/$f" "$TREE/$f"
        git_tree add -f "$f"
    done < <(overlay_files)
    GIT_AUTHOR_DATE="2023-01-16T00:00:00Z" GIT_COMMITTER_DATE="2023-01-16T00:00:00Z" \
        git_tree commit -q --allow-empty -m "overlay: libvirt-kunpeng files" \
        -m "Symlinks to the files libvirt-kunpeng adds to the libvirt tree."
    git_tree tag -f overlay >/dev/null
}

apply_series() {
    local p
    for p in $(series_files); do
        git_tree am -q --keep-cr --committer-date-is-author-date "$TOPDIR/patches/$p" ||
            die "patch $p does not apply; fix it in $TREE (git am --show-current-patch) and run 'make refresh'"
    done
    git_tree checkout -q -B main
}

overlay_changed() {
    [ "$(git_tree ls-tree -r --name-only overlay | LC_ALL=C sort)" != \
      "$( (git_tree ls-tree -r --name-only upstream; overlay_files) | LC_ALL=C sort)" ]
}

tree_clean() {
    [ -z "$(git_tree status --porcelain --untracked-files=no)" ]
}

if [ ! -d "$TREE/.git" ] || ! git_tree rev-parse -q --verify refs/tags/overlay >/dev/null; then
    import_upstream
    make_overlay_commit
    apply_series
    patches_digest > "$STAMP"
    exit 0
fi

want=$(patches_digest)
applied=$(cat "$STAMP" 2>/dev/null || true)
have=$(tree_digest)

if [ "$want" != "$applied" ]; then
    if [ "$have" = "$want" ]; then
        # patches/ was just refreshed from the tree
        echo "$want" > "$STAMP"
    elif [ "$have" = "$applied" ]; then
        tree_clean || die "patches/ changed but $TREE has uncommitted edits: commit or stash them first"
        msg "patches/ changed: re-applying the series"
        make_overlay_commit
        apply_series
        echo "$want" > "$STAMP"
        exit 0
    else
        die "both patches/ and the commits in $TREE changed; run 'make refresh' to keep the tree's commits, or 'make reassemble' to take patches/"
    fi
fi

if overlay_changed; then
    tree_clean || die "the set of overlay files changed but $TREE has uncommitted edits: commit or stash them first"
    msg "overlay files added or removed: rebuilding the overlay commit"
    old_overlay=$(git_tree rev-parse overlay)
    head=$(git_tree rev-parse HEAD)
    make_overlay_commit
    git_tree rebase -q --onto overlay "$old_overlay" "$head"
    git_tree checkout -q -B main
fi

# New overlay files need a symlink even before they are committed there.
while read -r f; do
    [ -e "$TREE/$f" ] || ln -sfr "$TOPDIR/$f" "$TREE/$f"
done < <(overlay_files)
