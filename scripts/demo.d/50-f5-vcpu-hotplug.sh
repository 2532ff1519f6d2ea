# shellcheck shell=bash
# make demo section, sourced by scripts/demo.sh (see there for the helpers).

section "F5: vCPU hot add and hot remove"
echo "  No QEMU here has Arm vCPU hotplug: the live part uses the x86_64 guest under"
echo "  TCG (same libvirt mechanism), with Debian's QEMU 10.0 from bookworm-backports"
echo "  (QEMU 7.2 often locks the guest up during a long vCPU removal); the Arm checks"
echo "  are shown against the Kunpeng QEMU fixture in the unit tests (see"
echo "  docs/kbase/kunpeng-vcpu-hotplug.rst)."
F5_QEMU=$("$TOPDIR/scripts/fetch-qemu-backports.sh" --print) || die "cannot fetch QEMU from bookworm-backports"
guest_initramfs x86_64 "$E2E_TMP/initrd-f5" || die "cannot build the guest initramfs"
GUEST_VCPUS=8 GUEST_VCPUS_CURRENT=2 GUEST_EMULATOR=$F5_QEMU \
    guest_domain_xml x86_64 kp-hotplug "$(guest_kernel x86_64)" "$E2E_TMP/initrd-f5" \
    "$E2E_TMP/f5.log" > "$E2E_TMP/kp-hotplug.xml"
echo "  guest: $(grep '<vcpu ' "$E2E_TMP/kp-hotplug.xml" | sed 's/^ *//')"
demo_virsh create "$E2E_TMP/kp-hotplug.xml" || die "the guest did not start"
guest_report_wait "$E2E_TMP/f5.log" '^KP-REPORT ' 90 >/dev/null || die "the guest did not boot"
# f5_guest_cpus LIST MARK: show the guest's first report after MARK with
# cpus_online=LIST, or its last report after MARK, or say it printed none
f5_guest_cpus() {
    local line
    line=$(guest_report_wait "$E2E_TMP/f5.log" "^KP-REPORT .* cpus_online=$1 " 15 "$2" 2>/dev/null) ||
        line=$(tail -n "+$(($2 + 1))" "$E2E_TMP/f5.log" | tr -d '\r' | grep -a '^KP-REPORT' | tail -n 1)
    if [ -z "$line" ]; then
        echo "  guest console: no report since"
        return
    fi
    printf '  guest console: cpus_online=%s cpus_present=%s\n' \
        "$(guest_report_field "$line" cpus_online)" "$(guest_report_field "$line" cpus_present)"
}
f5_guest_cpus 0-1 0
demo_virsh vcpucount kp-hotplug

echo "  Hot add 6 vCPUs: 6 device_adds back to back, one vCPU state refresh:"
mark=$(guest_log_mark "$E2E_TMP/f5.log")
t0=$(date +%s%N)
demo_virsh setvcpus kp-hotplug 8 --live
echo "  ($((($(date +%s%N) - t0) / 1000000)) ms)"
f5_guest_cpus 0-7 "$mark"
demo_virsh vcpuinfo kp-hotplug | grep -E '^ *(VCPU|State):' | paste - - | head -n 8

echo "  Hot remove 6 vCPUs: 6 device_dels, one wait for the guest, one refresh."
echo "  (x86 QEMU under TCG sends no DEVICE_DELETED for vCPUs: libvirt completes on"
echo "  QEMU's ACPI eject result; if the guest does not release them all in time,"
echo "  the error says how many were removed and the live count is QEMU's.)"
mark=$(guest_log_mark "$E2E_TMP/f5.log")
t0=$(date +%s%N)
demo_virsh setvcpus kp-hotplug 2 --live
echo "  ($((($(date +%s%N) - t0) / 1000000)) ms)"
demo_virsh vcpucount kp-hotplug
printf '  QEMU reports %s plugged vCPUs\n' \
    "$(vsh_session demo qemu-monitor-command kp-hotplug "'{\"execute\":\"query-hotpluggable-cpus\"}'" |
       grep -o '"qom-path"' | wc -l)"
f5_guest_cpus 0-1 "$mark"
demo_virsh destroy kp-hotplug
