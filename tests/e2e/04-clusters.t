#!/bin/bash
# F1: the cluster level of the CPU topology, end to end with QEMU 7.2.
#  - an aarch64 'virt' TCG guest with clusters='2' is started with
#    -smp ...,clusters=2 and sees sockets/clusters/cores/threads in sysfs;
#  - an x86 'pc' guest with clusters > 1 is refused before QEMU starts;
#  - virsh capabilities reports the cluster id of every host CPU the kernel
#    reports one for.

. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/guest.sh"
. "$(dirname "$0")/lib/libvirt.sh"

plan 8
e2e_init
daemon_start host
ok $? "private virtqemud starts"

guest_initramfs aarch64 "$E2E_TMP/initrd-arm" || bail_out "cannot build the initramfs"
GUEST_VCPUS=8 GUEST_MEMORY_MIB=256 \
    GUEST_TOPOLOGY="sockets='2' dies='1' clusters='2' cores='2' threads='1'" \
    guest_domain_xml aarch64 kp-clusters "$(guest_kernel aarch64)" "$E2E_TMP/initrd-arm" \
    "$E2E_TMP/arm.log" > "$E2E_TMP/arm.xml"

out=$(vsh host define "$E2E_TMP/arm.xml" 2>&1 && vsh host start kp-clusters 2>&1)
ok $? "an aarch64 guest with 2 sockets x 2 clusters x 2 cores starts" || diag "$out"

topo=$(vsh host dumpxml kp-clusters | grep '<topology')
like "$topo" "clusters='2'" "the live XML keeps clusters='2'"

smp=$(daemon_qemu_args host kp-clusters | grep -A1 -x -- -smp | tail -n1)
is "$smp" "8,sockets=2,dies=1,clusters=2,cores=2,threads=1" "QEMU runs with -smp clusters=2"

line=$(guest_report_wait "$E2E_TMP/arm.log" '^KP-REPORT ' 90)
ok $? "the guest boots and reports" || diag "$(tail -n 20 "$E2E_TMP/arm.log")"
is "$(guest_topo_summary "$line")" "cpus=8 sockets=2 dies=1 clusters=2 cores=2 threads=1" \
    "the guest sees 2 sockets x 2 clusters x 2 cores x 1 thread"
vsh host destroy kp-clusters >/dev/null 2>&1

guest_initramfs x86_64 "$E2E_TMP/initrd-x86"
GUEST_VCPUS=4 GUEST_TOPOLOGY="sockets='1' clusters='2' cores='2' threads='1'" \
    guest_domain_xml x86_64 kp-clusters-x86 "$(guest_kernel x86_64)" "$E2E_TMP/initrd-x86" \
    "$E2E_TMP/x86.log" > "$E2E_TMP/x86.xml"
out=$(vsh host create "$E2E_TMP/x86.xml" 2>&1)
like "$out" "clusters per die is not supported by machine type 'pc(-i440fx-[0-9.]*)?': clusters are supported on Arm 'virt' machine types only" \
    "clusters on x86 'pc' are refused before start, naming the machine type"

# The host's own view: every CPU with a kernel cluster id shows it.
want=$(ls /sys/devices/system/cpu/cpu*/topology/cluster_id 2>/dev/null | wc -l)
got=$(vsh host capabilities | grep -c "<cpu id='[0-9]*' socket_id=.* cluster_id='[0-9]*'")
if [ "$(cat /sys/devices/system/cpu/cpu0/topology/cluster_id 2>/dev/null)" = 65535 ]; then
    want=0  # x86 AMD: the kernel's "no L2 id"
fi
is "$got" "$want" "virsh capabilities shows cluster_id for the host CPUs that have one"
