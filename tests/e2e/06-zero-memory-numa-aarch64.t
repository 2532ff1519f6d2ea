#!/bin/bash
# F4 on aarch64 'virt' (TCG, QEMU 7.2): a NUMA node without memory and
# memory hot added into it. QEMU hot adds memory on 'virt' through its ACPI
# GED device, which it creates only with ACPI and UEFI firmware:
#  - without them libvirt refuses the domain, saying what is needed (QEMU
#    would start it and only fail the hot add: "memory hotplug is not
#    enabled: missing acpi-ged device");
#  - with them (Debian's AAVMF, direct kernel boot) node 1 starts without a
#    memory backend and 'virsh attach-memory ... --node 1 --live' adds memory
#    the guest sees.
# Which node the guest puts it in is not checked: with this firmware
# (AAVMF 2022.11) the Debian 6.1 guest kernel finds a memory range the SRAT
# does not cover and falls back to a single NUMA node, for any NUMA layout.

. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/guest.sh"
. "$(dirname "$0")/lib/libvirt.sh"

code=/usr/share/AAVMF/AAVMF_CODE.fd
vars=/usr/share/AAVMF/AAVMF_VARS.fd
plan 7
if [ ! -r "$code" ] || [ ! -r "$vars" ]; then
    for i in 1 2 3 4 5 6 7; do
        skip "aarch64 memory hot add" "UEFI firmware for aarch64 missing (package qemu-efi-aarch64)"
    done
    exit 0
fi

e2e_init
dom=kp-zero-node-arm
log=$E2E_TMP/console.log

daemon_start host
ok $? "private virtqemud starts"

guest_initramfs aarch64 "$E2E_TMP/initrd" || bail_out "cannot build the initramfs"
GUEST_VCPUS=4 GUEST_MEMORY_MIB=256 GUEST_TOPOLOGY="sockets='2' cores='2' threads='1'" \
    GUEST_CPU_EXTRA="<numa><cell id='0' cpus='0-1' memory='256' unit='MiB'/><cell id='1' cpus='2-3' memory='0' unit='KiB'/></numa>" \
    GUEST_CMDLINE_EXTRA="memhp_default_state=online" \
    guest_domain_xml aarch64 "$dom" "$(guest_kernel aarch64)" "$E2E_TMP/initrd" "$log" \
    "<maxMemory slots='4' unit='MiB'>2048</maxMemory>" > "$E2E_TMP/dt.xml"

out=$(vsh host define "$E2E_TMP/dt.xml" 2>&1)
like "$out" "NUMA cell 1 has no memory \(memory='0'\): on aarch64 memory is hot added through the ACPI GED device, which needs <features><acpi/></features> and UEFI firmware" \
    "without ACPI and UEFI the domain is refused, naming both" || diag "$out"

# The same guest with ACPI and UEFI firmware (the kernel is still given
# directly: the firmware boots it).
sed -e "s|<features>|<features><acpi/>|" \
    -e "s|\(<type arch='aarch64'[^>]*>hvm</type>\)|\1<loader readonly='yes' type='pflash'>$code</loader><nvram template='$vars'>$E2E_TMP/vars.fd</nvram>|" \
    "$E2E_TMP/dt.xml" > "$E2E_TMP/uefi.xml"
out=$(vsh host define "$E2E_TMP/uefi.xml" 2>&1 && vsh host start "$dom" 2>&1)
ok $? "with ACPI and UEFI firmware the guest starts" || diag "$out"

cmdline=$(daemon_qemu_args host "$dom" | tr '\n' ' ')
like "$cmdline" "-numa node,nodeid=1,cpus=2-3 " "QEMU gets node 1 without memdev" ||
    diag "$cmdline"

line=$(guest_report_wait "$log" '^KP-REPORT ' 90)
ok $? "the guest boots through the firmware and reports" || diag "$(tail -n 20 "$log")"
before=$(guest_report_field "$line" mem_total)

mark=$(guest_log_mark "$log")
out=$(vsh host attach-memory "$dom" 256MiB --node 1 --live 2>&1)
ok $? "virsh attach-memory $dom 256MiB --node 1 --live (through QEMU's ACPI GED device)" ||
    diag "$out"

grown=no
for i in $(seq 1 60); do
    line=$(guest_report_wait "$log" '^KP-REPORT ' 10 "$mark") || break
    after=$(guest_report_field "$line" mem_total)
    if [ $((after - before)) -ge 250000 ]; then grown=yes; break; fi
    sleep 1
done
is "$grown" yes "the guest's memory grows by 256 MiB ($before kB -> ${after:-?} kB)" ||
    diag "$(tail -n 5 "$log")"
diag "the guest reports its NUMA nodes as: $(guest_report_field "$line" nodes)"

vsh host destroy "$dom" >/dev/null 2>&1
