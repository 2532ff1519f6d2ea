# shellcheck shell=bash
# make demo section, sourced by scripts/demo.sh (see there for the helpers).

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
