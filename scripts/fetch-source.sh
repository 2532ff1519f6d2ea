#!/bin/bash
# Fetch libvirt's pristine upstream tarball from Debian's source package.
#
# Uses a private apt sources list with a deb-src line for the same suite the
# machine runs, so the machine's own apt configuration is left alone. Only
# the upstream .orig tarball is kept; Debian's packaging is not used.
# Prints the path of the cached tarball.

set -euo pipefail
. "$(dirname "$0")/common.sh"

tarball=$CACHE_DIR/src/libvirt_$LIBVIRT_VERSION.orig.tar.xz
if [ -s "$tarball" ]; then
    echo "$tarball"
    exit 0
fi

PRIVATE_APT_SOURCES="deb-src $DEBIAN_MIRROR $DEBIAN_SUITE main"
private_apt_setup src ""

work=$(mktemp -d "$CACHE_DIR/src-download.XXXXXX")
trap 'rm -rf "$work"' EXIT
msg "downloading the libvirt source package from Debian ($DEBIAN_SUITE)"
(cd "$work" && apt-get -q "${PRIVATE_APT_OPTS[@]}" source --download-only libvirt >&2) ||
    die "could not download the libvirt source package"

orig=$(ls "$work"/libvirt_"$LIBVIRT_VERSION".orig.tar.* 2>/dev/null | grep -v '\.asc$' | head -n1)
[ -n "$orig" ] || die "the Debian source package has no libvirt $LIBVIRT_VERSION upstream tarball"
mkdir -p "$CACHE_DIR/src"
mv "$orig" "$tarball.tmp"
mv "$tarball.tmp" "$tarball"
echo "$tarball"
