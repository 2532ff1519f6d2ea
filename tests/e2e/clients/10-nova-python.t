#!/bin/bash
# Clients: what OpenStack Nova and oVirt VDSM do through the Python binding,
# with Debian's python3-libvirt and Nova 26's own code (python3-nova), end
# to end against this build (see nova_client.py for the steps):
#  - Nova's Host opens a private virtqemud and qemu:///embed with its event
#    loop, and reads the host capabilities (this machine's, and a Kunpeng
#    host's with cluster_id) and domain capabilities with its own parsers;
#  - an x86_64 guest on QEMU 10.0 with <cacheinfo> and a NUMA cell with
#    memory='0' is defined and started the way Nova does it; vCPUs go
#    2 -> 8 -> 6 (with the unaligned flag) -> 2 and a dimm goes into the
#    memory-less node the way VDSM does it; after each step Nova's
#    LibvirtConfigGuest reads the XML and the guest's console agrees;
#  - a guest pinned 1:1 as Nova pins a dedicated-CPU flavor gets the host's
#    layout from the daemon's auto_topology = 1 (F1b), which Nova reads;
#  - an aarch64 guest with clusters='2' is created on the embedded driver.
# Then, where `make` made it (build/python), the same binding with the
# project's names: VIR_DOMAIN_VCPU_HOTPLUG_UNALIGNED by name on a live guest.

. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/guest.sh"
. "$(dirname "$0")/../lib/libvirt.sh"
. "$(dirname "$0")/python_client.sh"

CLIENTS_DIR=$(cd "$(dirname "$0")" && pwd)
NOVA_CHECKS=29
BINDING=$E2E_TOPDIR/build/python
plan $((NOVA_CHECKS + 4))
e2e_init

qemu10=$("$E2E_TOPDIR/scripts/fetch-qemu-backports.sh" --print) ||
    bail_out "cannot fetch QEMU from bookworm-backports"
guest_initramfs x86_64 "$E2E_TMP/initrd-x86" || bail_out "cannot build the initramfs"
guest_initramfs aarch64 "$E2E_TMP/initrd-arm" || bail_out "cannot build the initramfs"

GUEST_VCPUS=8 GUEST_VCPUS_CURRENT=2 GUEST_MEMORY_MIB=256 GUEST_EMULATOR=$qemu10 \
    GUEST_CPU_MODEL=Nehalem GUEST_TOPOLOGY="sockets='2' dies='1' cores='4' threads='1'" \
    GUEST_CPU_EXTRA="<cacheinfo cache='l1d' topology='core'/><cacheinfo cache='l1i' topology='core'/><cacheinfo cache='l2' topology='socket'/><cacheinfo cache='l3' topology='socket'/><numa><cell id='0' cpus='0-3' memory='256' unit='MiB'/><cell id='1' cpus='4-7' memory='0' unit='KiB'/></numa>" \
    guest_domain_xml x86_64 kp-nova "$(guest_kernel x86_64)" "$E2E_TMP/initrd-x86" \
    "$E2E_TMP/x86.log" "<maxMemory slots='4' unit='MiB'>2048</maxMemory>" > "$E2E_TMP/x86.xml"
GUEST_VCPUS=4 GUEST_MEMORY_MIB=256 \
    GUEST_TOPOLOGY="sockets='1' dies='1' clusters='2' cores='2' threads='1'" \
    guest_domain_xml aarch64 kp-nova-arm "$(guest_kernel aarch64)" "$E2E_TMP/initrd-arm" \
    "$E2E_TMP/arm.log" > "$E2E_TMP/arm.xml"

# auto_topology = 1: the host default that gives Nova's dedicated-CPU guests
# the host's layout (F1b)
# As Nova writes a hw:cpu_policy=dedicated guest: each vCPU pinned to a host
# CPU of its own (the first two this test may run on), and a topology of
# Nova's (no auto_topology attribute).
read -r pin0 pin1 < <(/usr/bin/python3 -c 'import os; print(*sorted(os.sched_getaffinity(0))[:2])')
[ -n "$pin1" ] || bail_out "the pinned guest needs 2 host CPUs to run on"
GUEST_VCPUS=2 GUEST_MEMORY_MIB=128 GUEST_CPU_MODEL=Nehalem \
    GUEST_TOPOLOGY="sockets='2' cores='1' threads='1'" \
    guest_domain_xml x86_64 kp-nova-pinned "$(guest_kernel x86_64)" "$E2E_TMP/initrd-x86" \
    "$E2E_TMP/pinned.log" "<cputune><vcpupin vcpu='0' cpuset='$pin0'/><vcpupin vcpu='1' cpuset='$pin1'/></cputune>" \
    > "$E2E_TMP/pinned.xml"

daemon_start host --qemu-conf "auto_topology = 1" ||
    bail_out "the private virtqemud does not start"
embed_setup embed

KP_DAEMON_URI=$E2E_URI_host KP_EMBED_URI=$E2E_URI_embed \
    KP_X86_XML=$E2E_TMP/x86.xml KP_X86_LOG=$E2E_TMP/x86.log \
    KP_ARM_XML=$E2E_TMP/arm.xml KP_ARM_LOG=$E2E_TMP/arm.log KP_QEMU10=$qemu10 \
    KP_PINNED_XML=$E2E_TMP/pinned.xml KP_PINNED_CPUS="$pin0 $pin1" KP_PINNED_LOG=$E2E_TMP/pinned.log \
    KP_KUNPENG_CAPS=$E2E_TOPDIR/build/libvirt/tests/vircaps2xmldata/vircaps-aarch64-kunpeng-clusters.xml \
    LIBVIRT_LOG_OUTPUTS="3:file:$E2E_TMP/embed.log" \
    python_client_run "$CLIENTS_DIR/nova_client.py" "$NOVA_CHECKS"

# The binding with the project's names (scripts/build-python-binding.sh).
if [ ! -f "$BINDING/libvirt.py" ]; then
    for i in 1 2 3 4; do
        skip "the project's Python binding, check $i" "no $BINDING: run make"
    done
    exit 0
fi
header=$E2E_TOPDIR/build/libvirt/include/libvirt/libvirt-domain.h
want=$(sed -n 's/^ *VIR_DOMAIN_VCPU_HOTPLUG_UNALIGNED = (1 << \([0-9]*\)),.*/\1/p' "$header")
got=$(PYTHONPATH=$BINDING "$E2E_RUN" /usr/bin/python3 -c \
    'import libvirt; print(libvirt.__file__, libvirt.VIR_DOMAIN_VCPU_HOTPLUG_UNALIGNED)' 2>&1)
is "$got" "$BINDING/libvirt.py $((1 << ${want:-99}))" \
    "the project's binding names VIR_DOMAIN_VCPU_HOTPLUG_UNALIGNED with the header's value"

GUEST_VCPUS=4 GUEST_VCPUS_CURRENT=2 GUEST_EMULATOR=$qemu10 \
    guest_domain_xml x86_64 kp-binding "$(guest_kernel x86_64)" "$E2E_TMP/initrd-x86" \
    "$E2E_TMP/binding.log" > "$E2E_TMP/binding.xml"
out=$(vsh host create "$E2E_TMP/binding.xml" 2>&1) &&
    guest_report_wait "$E2E_TMP/binding.log" '^KP-REPORT .* cpus_online=0-1 ' 90 >/dev/null
ok $? "a guest with 2 of 4 vCPUs boots" || diag "$out"

mark=$(guest_log_mark "$E2E_TMP/binding.log")
out=$(PYTHONPATH=$BINDING "$E2E_RUN" /usr/bin/python3 - "$E2E_URI_host" 2>&1 <<'PY'
import sys
import libvirt
libvirt.registerErrorHandler(lambda ctx, err: None, None)
dom = libvirt.open(sys.argv[1]).lookupByName("kp-binding")
dom.setVcpusFlags(4, libvirt.VIR_DOMAIN_AFFECT_LIVE | libvirt.VIR_DOMAIN_VCPU_HOTPLUG_UNALIGNED)
try:
    dom.setVcpusFlags(2, libvirt.VIR_DOMAIN_VCPU_GUEST | libvirt.VIR_DOMAIN_VCPU_HOTPLUG_UNALIGNED)
    print("accepted")
except libvirt.libvirtError as e:
    print(e.get_error_message())
PY
)
guest_cpus_wait "$E2E_TMP/binding.log" 0-3 "$mark"
ok $? "setVcpusFlags(4, LIVE | libvirt.VIR_DOMAIN_VCPU_HOTPLUG_UNALIGNED): the guest sees 4 CPUs" ||
    diag "$out"
is "$out" "Flags 'VIR_DOMAIN_VCPU_HOTPLUG_UNALIGNED' and 'VIR_DOMAIN_VCPU_GUEST' are mutually exclusive" \
    "by name too, the flag with VIR_DOMAIN_VCPU_GUEST is refused"
