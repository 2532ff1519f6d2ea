#!/bin/bash
# Boot the tiny aarch64 guest (TCG, virt machine, GICv3) through a private
# virtqemud started from the build tree; check what the guest reports, then
# destroy it.

. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/guest.sh"
. "$(dirname "$0")/lib/libvirt.sh"

plan 7
e2e_init

guest_initramfs aarch64 "$E2E_TMP/initrd" || bail_out "cannot build the initramfs"
GUEST_VCPUS=8 GUEST_MEMORY_MIB=512 GUEST_TOPOLOGY="sockets='2' cores='4' threads='1'" \
    guest_domain_xml aarch64 kp-boot-arm "$(guest_kernel aarch64)" "$E2E_TMP/initrd" \
    "$E2E_TMP/console.log" > "$E2E_TMP/dom.xml"

daemon_start hostA
ok $? "private virtqemud starts from the build tree"

out=$(vsh hostA define "$E2E_TMP/dom.xml" 2>&1 && vsh hostA start kp-boot-arm 2>&1)
ok $? "define and start the guest" || diag "$out"

state=$(vsh hostA domstate kp-boot-arm 2>&1)
is "$state" "running" "domstate says running"

line=$(guest_report_wait "$E2E_TMP/console.log" '^KP-REPORT ' 60)
ok $? "the guest boots and reports on its serial console" ||
    diag "console:" "$(tail -n 20 "$E2E_TMP/console.log" 2>/dev/null)"

is "$(guest_topo_summary "$line")" "cpus=8 sockets=2 dies=1 clusters=1 cores=4 threads=1" \
    "the guest sees the 2 sockets x 4 cores it was given"

pid=$(cat "$E2E_TMP/hostA/run/qemu/kp-boot-arm.pid" 2>/dev/null)
vsh hostA destroy kp-boot-arm >/dev/null 2>&1
is "$(vsh hostA domstate kp-boot-arm 2>&1)" "shut off" "destroy stops the guest"

sleep 0.2
! kill -0 "${pid:-0}" 2>/dev/null
ok $? "its QEMU process (pid ${pid:-unknown}) is gone"
