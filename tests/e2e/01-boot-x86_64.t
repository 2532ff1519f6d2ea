#!/bin/bash
# Boot the tiny x86_64 guest (TCG) through a private virtqemud started from
# the build tree; check what the guest reports, then destroy it.

. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/guest.sh"
. "$(dirname "$0")/lib/libvirt.sh"

plan 7
e2e_init

guest_initramfs x86_64 "$E2E_TMP/initrd" || bail_out "cannot build the initramfs"
GUEST_VCPUS=4 GUEST_MEMORY_MIB=256 GUEST_TOPOLOGY="sockets='2' cores='2' threads='1'" \
    guest_domain_xml x86_64 kp-boot-x86 "$(guest_kernel x86_64)" "$E2E_TMP/initrd" \
    "$E2E_TMP/console.log" > "$E2E_TMP/dom.xml"

daemon_start hostA
ok $? "private virtqemud starts from the build tree"

out=$(vsh hostA define "$E2E_TMP/dom.xml" 2>&1 && vsh hostA start kp-boot-x86 2>&1)
ok $? "define and start the guest" || diag "$out"

state=$(vsh hostA domstate kp-boot-x86 2>&1)
is "$state" "running" "domstate says running"

line=$(guest_report_wait "$E2E_TMP/console.log" '^KP-REPORT ' 60)
ok $? "the guest boots and reports on its serial console" ||
    diag "console:" "$(tail -n 20 "$E2E_TMP/console.log" 2>/dev/null)"

is "$(guest_topo_summary "$line")" "cpus=4 sockets=2 dies=1 clusters=1 cores=2 threads=1" \
    "the guest sees the 2 sockets x 2 cores it was given"

pid=$(cat "$E2E_TMP/hostA/run/qemu/kp-boot-x86.pid" 2>/dev/null)
vsh hostA destroy kp-boot-x86 >/dev/null 2>&1
is "$(vsh hostA domstate kp-boot-x86 2>&1)" "shut off" "destroy stops the guest"

sleep 0.2
! kill -0 "${pid:-0}" 2>/dev/null
ok $? "its QEMU process (pid ${pid:-unknown}) is gone"
