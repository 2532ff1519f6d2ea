#!/bin/bash
# Fetch, once, what the end-to-end tests' tiny guest is made of, for amd64
# and arm64:
#
#   $CACHE_DIR/guest/<debarch>/vmlinuz    the kernel (Debian's "cloud" flavour)
#   $CACHE_DIR/guest/<debarch>/config     its /boot/config-*
#   $CACHE_DIR/guest/<debarch>/busybox    static busybox for that architecture
#   $CACHE_DIR/guest/<debarch>/VERSIONS   "package version" of what was used
#   $CACHE_DIR/guest/<debarch>/stamp      present once the directory is complete
#
# <debarch> is amd64 or arm64. tests/e2e/lib/guest.sh builds the initramfs
# from these files.
#
# Packages are fetched with `apt-get download` through a private apt
# configuration per architecture ($CACHE_DIR/apt-amd64, $CACHE_DIR/apt-arm64,
# see private_apt_setup in common.sh) and unpacked with `dpkg-deb -x`: nothing
# is installed, no foreign architecture is added to the machine and
# /etc/apt is not touched. busybox-static is fetched for amd64 too (instead of
# using the machine's /bin/busybox), so both guests are built the same way and
# the amd64 guest does not change when the machine's busybox does.
#
# Why the cloud flavour on arm64 too: the guest needs no module (initramfs
# only, no disk, no network), and the cloud arm64 config has everything used
# built in: PL011 + its console, 8250 console, devtmpfs, initrd + gzip,
# PSCI (poweroff), NUMA incl. OF_NUMA (device-tree NUMA as QEMU's virt
# machine provides it), HOTPLUG_CPU, ACPI_HOTPLUG_CPU/MEMORY. The check below
# enforces it, so a future package that lacks one of them fails loudly here.
#
# A second run finds the stamps and does nothing. To refetch, remove
# $CACHE_DIR/guest (or one arch directory under it).
#
# Usage: fetch-guest.sh [--print] [amd64|arm64 ...]   (default: both)
# Prints nothing on stdout, except with --print: for each arch, the paths of
# vmlinuz and busybox, one per line, in that order. Progress goes to stderr.

set -euo pipefail
. "$(dirname "$0")/common.sh"

# Bump when the content or layout of a guest directory changes.
GUEST_FORMAT=1
KERNEL_FLAVOUR=cloud

print=0
arches=()
for arg in "$@"; do
    case $arg in
        --print) print=1 ;;
        amd64|arm64) arches+=("$arg") ;;
        -h|--help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
        *) die "unknown argument '$arg' (accepted: --print, amd64, arm64)" ;;
    esac
done
[ ${#arches[@]} -gt 0 ] || arches=(amd64 arm64)

GUEST_DIR=$CACHE_DIR/guest
stamp_content() {
    echo "format=$GUEST_FORMAT suite=$DEBIAN_SUITE flavour=$KERNEL_FLAVOUR arch=$1"
}
is_done() {
    local d=$GUEST_DIR/$1
    [ -f "$d/stamp" ] && [ "$(< "$d/stamp")" = "$(stamp_content "$1")" ] &&
        [ -s "$d/vmlinuz" ] && [ -x "$d/busybox" ]
}

# Kernel options the guest relies on, per arch (all must be =y).
required_config() {
    local common="BLK_DEV_INITRD RD_GZIP DEVTMPFS SERIAL_8250 SERIAL_8250_CONSOLE
        NUMA HOTPLUG_CPU SYSFS PROC_FS"
    case $1 in
        amd64) echo "$common ACPI ACPI_NUMA ACPI_HOTPLUG_CPU ACPI_HOTPLUG_MEMORY MEMORY_HOTPLUG" ;;
        arm64) echo "$common SERIAL_AMBA_PL011 SERIAL_AMBA_PL011_CONSOLE ARM_PSCI_FW OF_NUMA" ;;
    esac
}

fetch_arch() {
    local arch=$1 work meta deps kpkg kver bver cfg opt missing=""
    # shellcheck disable=SC2034 # read by private_apt_setup
    PRIVATE_APT_SOURCES="deb $DEBIAN_MIRROR $DEBIAN_SUITE main"
    private_apt_setup "$arch" "$arch"

    meta=linux-image-$KERNEL_FLAVOUR-$arch
    deps=$(apt-cache "${PRIVATE_APT_OPTS[@]}" depends "$meta") ||
        die "apt-cache depends $meta failed ($arch)"
    kpkg=$(sed -n 's/^ *Depends: \(linux-image-[^ ]*-'"$KERNEL_FLAVOUR-$arch"'\)$/\1/p' <<< "$deps")
    kpkg=${kpkg%%$'\n'*}
    [ -n "$kpkg" ] || die "could not resolve $meta to a kernel package ($arch)"

    work=$(mktemp -d "$GUEST_DIR/.tmp-$arch.XXXXXX")
    # shellcheck disable=SC2064 # expand $work now
    trap "rm -rf '$work'" EXIT
    msg "downloading $kpkg and busybox-static ($arch)"
    if ! (cd "$work" && apt-get -q "${PRIVATE_APT_OPTS[@]}" download "$kpkg" busybox-static >&2); then
        # The lists may be older than the mirror: refresh them once and retry.
        rm -f "$CACHE_DIR/apt-$arch/updated"
        private_apt_setup "$arch" "$arch"
        (cd "$work" && apt-get -q "${PRIVATE_APT_OPTS[@]}" download "$kpkg" busybox-static >&2) ||
            die "could not download $kpkg and busybox-static ($arch)"
    fi

    mkdir "$work/x" "$work/out"
    dpkg-deb -x "$work/$kpkg"_*.deb "$work/x"
    dpkg-deb -x "$work"/busybox-static_*.deb "$work/x"
    kver=$(dpkg-deb -f "$work/$kpkg"_*.deb Version)
    bver=$(dpkg-deb -f "$work"/busybox-static_*.deb Version)

    local cfgs=("$work"/x/boot/config-*) kernels=("$work"/x/boot/vmlinuz-*)
    cfg=${cfgs[0]}
    [ -f "$cfg" ] || die "$kpkg ships no /boot/config-*"
    [ -f "${kernels[0]}" ] || die "$kpkg ships no /boot/vmlinuz-*"
    for opt in $(required_config "$arch"); do
        grep -qx "CONFIG_$opt=y" "$cfg" || missing="$missing $opt"
    done
    [ -z "$missing" ] || die "$kpkg lacks built-in:$missing (the guest has no modules)"

    cp "${kernels[0]}" "$work/out/vmlinuz"
    cp "$cfg" "$work/out/config"
    cp "$work/x/bin/busybox" "$work/out/busybox"
    chmod 0755 "$work/out/busybox"
    printf '%s %s\n' "$kpkg" "$kver" busybox-static "$bver" > "$work/out/VERSIONS"
    stamp_content "$arch" > "$work/out/stamp"

    # Move into place atomically: a reader sees either the old directory or
    # the complete new one.
    if [ -e "$GUEST_DIR/$arch" ]; then
        mv "$GUEST_DIR/$arch" "$work/old"
    fi
    mv "$work/out" "$GUEST_DIR/$arch"
    rm -rf "$work"
    trap - EXIT
    msg "guest files for $arch: $kpkg $kver, busybox-static $bver"
}

todo=()
for arch in "${arches[@]}"; do
    is_done "$arch" || todo+=("$arch")
done

if [ ${#todo[@]} -gt 0 ]; then
    mkdir -p "$GUEST_DIR"
    # Serialise concurrent runs (tests started in parallel).
    exec 9> "$GUEST_DIR/.lock"
    flock 9
    for arch in "${todo[@]}"; do
        is_done "$arch" || fetch_arch "$arch"
    done
    exec 9>&-
fi

if [ $print = 1 ]; then
    for arch in "${arches[@]}"; do
        echo "$GUEST_DIR/$arch/vmlinuz"
        echo "$GUEST_DIR/$arch/busybox"
    done
fi
