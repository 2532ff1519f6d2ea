#!/bin/bash
# Fetch, once, Debian's newer QEMU for x86_64 from bookworm-backports (10.0),
# for the end-to-end tests of what Debian 12's QEMU 7.2 lacks (the
# smp-cache machine property of QEMU >= 9.2):
#
#   $CACHE_DIR/qemu-backports/root/...            the unpacked packages
#   $CACHE_DIR/qemu-backports/qemu-system-x86_64  a wrapper that runs it
#   $CACHE_DIR/qemu-backports/VERSION             "package version"
#
# The packages are fetched with `apt-get download` through a private apt
# configuration ($CACHE_DIR/apt-backports) and unpacked with `dpkg-deb -x`:
# nothing is installed and the machine's QEMU 7.2 stays the default. The
# wrapper points QEMU_MODULE_DIR at the unpacked modules; without it QEMU
# 10.0 finds the installed QEMU 7.2's modules and aborts. Its firmware is
# found relative to the binary (root/usr/share/qemu).
#
# Usage: fetch-qemu-backports.sh [--print]   (--print: the wrapper's path)

set -euo pipefail
. "$(dirname "$0")/common.sh"

PACKAGES="qemu-system-x86 qemu-system-common qemu-system-data
 qemu-system-modules-opengl qemu-system-modules-spice"
dir=$CACHE_DIR/qemu-backports
wrapper=$dir/qemu-system-x86_64

if [ ! -x "$wrapper" ]; then
    # shellcheck disable=SC2034 # read by private_apt_setup
    PRIVATE_APT_SOURCES="deb $DEBIAN_MIRROR $DEBIAN_SUITE-backports main"
    private_apt_setup backports ""

    work=$(mktemp -d "$CACHE_DIR/.tmp-qemu.XXXXXX")
    # shellcheck disable=SC2064 # expand $work now
    trap "rm -rf '$work'" EXIT
    pkgs=$(for p in $PACKAGES; do printf '%s/%s-backports ' "$p" "$DEBIAN_SUITE"; done)
    msg "downloading QEMU from $DEBIAN_SUITE-backports: $PACKAGES"
    # shellcheck disable=SC2086 # word splitting wanted
    (cd "$work" && apt-get -q "${PRIVATE_APT_OPTS[@]}" download $pkgs >&2) ||
        die "could not download QEMU from $DEBIAN_SUITE-backports"
    mkdir "$work/root"
    for deb in "$work"/*.deb; do
        dpkg-deb -x "$deb" "$work/root"
    done
    version=$(dpkg-deb -f "$work"/qemu-system-x86_*.deb Version)
    "$work/root/usr/bin/qemu-system-x86_64" --version >/dev/null ||
        die "the QEMU from $DEBIAN_SUITE-backports does not run here"

    rm -rf "$dir"
    mkdir -p "$dir"
    mv "$work/root" "$dir/root"
    echo "qemu-system-x86 $version" > "$dir/VERSION"
    cat > "$wrapper.tmp" <<EOF
#!/bin/sh
# QEMU $version from $DEBIAN_SUITE-backports, unpacked, not installed
QEMU_MODULE_DIR='$dir/root/usr/lib/x86_64-linux-gnu/qemu' exec '$dir/root/usr/bin/qemu-system-x86_64' "\$@"
EOF
    chmod 0755 "$wrapper.tmp"
    mv "$wrapper.tmp" "$wrapper"
    rm -rf "$work"
    trap - EXIT
    msg "QEMU for e2e tests: $(cat "$dir/VERSION") in $dir"
fi

if [ "${1:-}" = --print ]; then
    echo "$wrapper"
fi
