#!/bin/bash
# Clients: F7's baseline of a Kunpeng fleet's host CPUs through Debian's
# python3-libvirt, as OpenStack Nova calls it (baselineCPU, and
# baselineHypervisorCPU for QEMU's aarch64 binary), against a private
# virtqemud: the same result as virsh cpu-baseline and virsh
# hypervisor-cpu-baseline on the same host CPUs (those cputest reads from
# fake /proc/cpuinfo files of each generation), read by Nova's parser; and
# the refusal of two vendors; and that the guest <cpu> Nova's own code
# writes for cpu_mode = custom is the one qemuxml2argvtest turns into
# -cpu host,SYSREG_... (see cpu_client.py). There is no aarch64 host here,
# so compare, which needs the host's own CPU, is not run.

. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/libvirt.sh"
. "$(dirname "$0")/python_client.sh"

CLIENTS_DIR=$(cd "$(dirname "$0")" && pwd)
CLIENT_CHECKS=14
plan "$CLIENT_CHECKS"
e2e_init

CPUS=$E2E_TOPDIR/build/libvirt/tests/cputestdata
[ -f "$CPUS/aarch64-host-kunpeng-920.xml" ] || bail_out "no Kunpeng host CPUs in $CPUS"
daemon_start host || bail_out "the private virtqemud does not start"

hosts() {
    for h in "$@"; do
        cat "$CPUS/aarch64-host-$h.xml"
    done
}
hosts kunpeng-920 kunpeng-920-v1 > "$E2E_TMP/920+920-v1.xml"
hosts kunpeng-920-v1 kunpeng-950-v1 > "$E2E_TMP/920-v1+950-v1.xml"
hosts kunpeng-920-v1-nosve kunpeng-950-v1 > "$E2E_TMP/920-v1-nosve+950-v1.xml"
hosts kunpeng-920 kunpeng-920-v2 kunpeng-950-v1 > "$E2E_TMP/920+920-v2+950-v1.xml"
{ hosts kunpeng-920; sed 's/HiSilicon/ARM/' "$CPUS/aarch64-host-kunpeng-920.xml"; } > "$E2E_TMP/mixed.xml"

fleets="920+920-v1 920-v1+950-v1 920-v1-nosve+950-v1 920+920-v2+950-v1"
for f in $fleets; do
    vsh host cpu-baseline "$E2E_TMP/$f.xml" > "$E2E_TMP/$f.virsh" ||
        bail_out "virsh cpu-baseline $f: $(cat "$E2E_TMP/$f.virsh")"
    vsh host hypervisor-cpu-baseline --emulator /usr/bin/qemu-system-aarch64 \
        --arch aarch64 --machine virt --virttype qemu "$E2E_TMP/$f.xml" > "$E2E_TMP/$f.hvirsh" ||
        bail_out "virsh hypervisor-cpu-baseline $f: $(cat "$E2E_TMP/$f.hvirsh")"
done

KP_DAEMON_URI=$E2E_URI_host KP_CPU_DIR=$E2E_TMP KP_FLEETS=$fleets KP_MIXED=$E2E_TMP/mixed.xml \
    KP_NOVA_GUEST=$E2E_TOPDIR/build/libvirt/tests/qemuxml2argvdata/aarch64-cpu-kunpeng-nova.xml \
    python_client_run "$CLIENTS_DIR/cpu_client.py" "$CLIENT_CHECKS"
