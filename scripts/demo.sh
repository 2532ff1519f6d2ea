#!/bin/bash
# make demo: walk through what libvirt-kunpeng adds, with the built virsh and
# real QEMU on libvirt's embedded QEMU driver (qemu:///embed: no daemon to
# install or start). Each capability adds its own section below.

set -uo pipefail
. "$(dirname "$0")/common.sh"
. "$TOPDIR/tests/e2e/lib/tap.sh"
. "$TOPDIR/tests/e2e/lib/guest.sh"
. "$TOPDIR/tests/e2e/lib/libvirt.sh"

section() {
    printf '\n\033[1m== %s ==\033[0m\n' "$*"
}

# Show a virsh command as a user would type it, then run it in the session.
demo_virsh() {
    printf '$ virsh -c %q %s\n' "$DEMO_URI" "$*"
    vsh_session demo "$@" | sed 's/^/  /'
}

demo_guest_report() {
    local line
    line=$(guest_report_wait "$1" '^KP-REPORT ' 90) || {
        echo "  the guest did not report within 90 s; its console:"
        tail -n 20 "$1" | sed 's/^/  | /'
        return 1
    }
    printf '  guest console: %s\n' "$line"
    local seq
    seq=$(guest_report_field "$line" seq)
    guest_report_wait "$1" "^KP-NODE seq=$seq " 10 >/dev/null
    grep -a "^KP-NODE seq=$seq " "$1" | tr -d '\r' | sed 's/^/  guest console: /'
    printf '  topology seen by the guest: %s\n' "$(guest_topo_summary "$line")"
}

e2e_init
embed_setup demo
DEMO_URI=$(e2e_uri demo)
vsh_session_start demo

section "libvirt-kunpeng: libvirt $LIBVIRT_VERSION + $(grep -cv '^\s*\(#\|$\)' "$TOPDIR/patches/series") patches"
sed 's/^/  patches\//' "$TOPDIR/patches/series"
printf '  embedded driver root: %s\n' "${DEMO_URI#*root=}"

section "Boot the tiny aarch64 guest (TCG) on the embedded QEMU driver"
guest_initramfs aarch64 "$E2E_TMP/initrd" || die "cannot build the guest initramfs"
GUEST_VCPUS=4 GUEST_MEMORY_MIB=512 GUEST_TOPOLOGY="sockets='2' cores='2' threads='1'" \
    guest_domain_xml aarch64 kp-demo "$(guest_kernel aarch64)" "$E2E_TMP/initrd" \
    "$E2E_TMP/console.log" > "$E2E_TMP/kp-demo.xml"
echo "  domain XML: $E2E_TMP/kp-demo.xml (4 vCPUs as 2 sockets x 2 cores, direct kernel boot)"
demo_virsh create "$E2E_TMP/kp-demo.xml" || die "the guest did not start"
demo_guest_report "$E2E_TMP/console.log" || die "the guest did not boot"
demo_virsh dominfo kp-demo
demo_virsh domxml-to-native qemu-argv --domain kp-demo |
    sed '/qemu-system/s/ \(-[a-z]\)/ \\\n      \1/g'
demo_virsh destroy kp-demo

section "F1: clusters in the CPU topology"
echo "  The host's CPUs with the cluster the kernel reports for each (up to four):"
vsh_session demo capabilities | grep "<cpu id=" | head -n 4 | sed 's/^ */  /'
guest_initramfs aarch64 "$E2E_TMP/initrd-f1" || die "cannot build the guest initramfs"
GUEST_VCPUS=8 GUEST_MEMORY_MIB=256 \
    GUEST_TOPOLOGY="sockets='2' dies='1' clusters='2' cores='2' threads='1'" \
    guest_domain_xml aarch64 kp-clusters "$(guest_kernel aarch64)" "$E2E_TMP/initrd-f1" \
    "$E2E_TMP/f1.log" > "$E2E_TMP/kp-clusters.xml"
echo "  guest topology: $(grep '<topology' "$E2E_TMP/kp-clusters.xml" | sed 's/^ *//')"
demo_virsh create "$E2E_TMP/kp-clusters.xml" || die "the guest did not start"
echo "  QEMU arguments libvirt generated:"
vsh_session demo domxml-to-native qemu-argv --domain kp-clusters |
    tr ' ' '\n' | grep -A1 -x -e -smp -e -machine | grep -v -e '^--$' |
    paste - - | sed 's/^/    /'
demo_guest_report "$E2E_TMP/f1.log" || die "the guest did not boot"
demo_virsh destroy kp-clusters
echo "  clusters where QEMU cannot build them (x86 'pc') are refused before start:"
guest_initramfs x86_64 "$E2E_TMP/initrd-x86"
GUEST_VCPUS=4 GUEST_TOPOLOGY="sockets='1' clusters='2' cores='2' threads='1'" \
    guest_domain_xml x86_64 kp-clusters-x86 "$(guest_kernel x86_64)" "$E2E_TMP/initrd-x86" \
    "$E2E_TMP/x86.log" > "$E2E_TMP/kp-clusters-x86.xml"
demo_virsh create "$E2E_TMP/kp-clusters-x86.xml"

vsh_session_stop demo
section "Done"
echo "  every QEMU started here has been stopped and $E2E_TMP is removed"
