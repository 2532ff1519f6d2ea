#!/bin/bash
# Install what building and testing libvirt-kunpeng needs, with apt, and only
# what is missing (a second run costs one dpkg query).
#
# Also creates the libvirt-qemu user and group the way Debian's libvirt
# package does: the QEMU driver refuses to initialise when its configured
# QEMU user does not exist.

set -euo pipefail
. "$(dirname "$0")/common.sh"

BUILD_DEPS="meson ninja-build gcc pkg-config make git perl python3 python3-docutils
 xsltproc libxml2-dev libxml2-utils libglib2.0-dev libgnutls28-dev libnuma-dev
 libcap-ng-dev libtirpc-dev libyajl-dev libnl-3-dev libnl-route-3-dev libacl1-dev
 libattr1-dev libpciaccess-dev libreadline-dev libudev-dev libselinux1-dev
 libapparmor-dev libdevmapper-dev bash-completion augeas-tools flake8"
RUNTIME_DEPS="locales qemu-system-x86 qemu-system-arm qemu-efi-aarch64 busybox-static iproute2
 cpio gzip xz-utils dpkg-dev ca-certificates python3-libvirt binutils"
# The resctrl emulator of the e2e tests (tests/e2e/resctrlfs, FUSE), built
# by tests/e2e/lib/resctrlfs.sh with gcc and pkg-config. Run as root,
# libfuse mounts and unmounts by itself: no fuse3 (fusermount3) needed.
RUNTIME_DEPS="$RUNTIME_DEPS libfuse3-dev"
# The client tests (tests/e2e/clients/): Nova's own code and libvirt's Go
# binding, as OpenStack and KubeVirt use them.
CLIENT_DEPS="python3-nova golang-go golang-github-libvirt-libvirt-go-dev"

# dpkg-query exits non-zero when a package is unknown to dpkg (never
# installed on this machine): that is the normal case on a fresh machine.
installed=$( (dpkg-query -W -f='${Package} ${db:Status-Status}\n' $BUILD_DEPS $RUNTIME_DEPS $CLIENT_DEPS 2>/dev/null || true) |
    awk '$2 == "installed" { print $1 }')
missing=""
for pkg in $BUILD_DEPS $RUNTIME_DEPS $CLIENT_DEPS; do
    printf '%s\n' "$installed" | grep -qx "$pkg" || missing="$missing $pkg"
done

if [ -n "$missing" ]; then
    [ "$(id -u)" = 0 ] || die "missing packages:$missing (run as root to install them)"
    msg "installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y --no-install-recommends $missing >&2; then
        apt-get update >&2
        apt-get install -y --no-install-recommends $missing >&2
    fi
fi

if ! getent group libvirt-qemu >/dev/null; then
    [ "$(id -u)" = 0 ] || die "the libvirt-qemu group is missing (run as root to create it)"
    addgroup --quiet --system libvirt-qemu
fi
if ! getent passwd libvirt-qemu >/dev/null; then
    [ "$(id -u)" = 0 ] || die "the libvirt-qemu user is missing (run as root to create it)"
    adduser --quiet --system --ingroup libvirt-qemu --no-create-home \
        --home /var/lib/libvirt --disabled-password libvirt-qemu
fi

# vshtabletest needs the en_US.UTF-8 locale; without it the test skips.
if ! locale -a 2>/dev/null | grep -qix 'en_US.utf8'; then
    [ "$(id -u)" = 0 ] || die "the en_US.UTF-8 locale is missing (run as root to generate it)"
    localedef -i en_US -f UTF-8 en_US.UTF-8
fi
