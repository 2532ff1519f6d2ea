# shellcheck shell=bash
# make demo section, sourced by scripts/demo.sh (see there for the helpers).

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
