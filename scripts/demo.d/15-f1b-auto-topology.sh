# shellcheck shell=bash
# make demo section, sourced by scripts/demo.sh (see there for the helpers).
# It needs a host whose CPUs come in clusters: this machine's first two CPUs
# are made to look like that for a private virtqemud (a fake
# /sys/devices/system/cpu bind-mounted in its mount namespace, as
# tests/e2e/09-auto-topology.t does), the embedded driver reading the real one.

section "F1b: the guest CPU topology from 1:1 vCPU pinning"
if [ "$(id -u)" != 0 ] || [ "$(nproc)" -lt 2 ]; then
    echo "  (skipped: needs root, for a private daemon, and 2 host CPUs)"
    return 0
fi
sysfs_cpu_tree "$E2E_TMP/f1b-cpu" 0=0/0/0/0 1=0/0/1/1 || die "cannot build the fake sysfs CPU tree"
daemon_start f1b --bind "$E2E_TMP/f1b-cpu:/sys/devices/system/cpu" || die "the private virtqemud did not start"
F1B_URI=$(e2e_uri f1b)

# f1b_virsh ARGS...: demo_virsh for the private daemon
f1b_virsh() {
    printf '$ virsh -c %q %s\n' "$F1B_URI" "$*"
    vsh f1b "$@" 2>&1 | sed 's/^/  /'
}
# f1b_started DOM: what the domain DOM got
f1b_started() {
    printf '  QEMU: -smp %s\n' "$(daemon_qemu_args f1b "$1" | grep -A1 -x -- -smp | tail -n1)"
    printf '  live XML: %s\n' "$(vsh f1b dumpxml "$1" | grep -o '<topology [^>]*>')"
    sed -n 's/^[0-9-]* [0-9:.+]*: \(\(warning: \)\?auto_topology: \)/  domain log: \1/p' \
        "$E2E_TMP/f1b/log/qemu/$1.log"
}
# f1b_xml NAME TOPOLOGY CPUTUNE: the 2 vCPU aarch64 guest
f1b_xml() {
    GUEST_VCPUS=2 GUEST_TOPOLOGY=$2 \
        guest_domain_xml aarch64 "$1" "$(guest_kernel aarch64)" "$E2E_TMP/initrd-f1b" \
        "$E2E_TMP/$1.log" "<cputune>$3</cputune>" > "$E2E_TMP/$1.xml"
    grep -o -e '<topology [^>]*>' -e '<vcpupin [^>]*>' "$E2E_TMP/$1.xml" | sed 's/^/    /'
}

echo "  The host CPUs a private virtqemud sees: 1 socket, CPU 0 in cluster 0, CPU 1 in cluster 1"
vsh f1b capabilities | grep "<cpu id=" | sed 's/^ */  /'
guest_initramfs aarch64 "$E2E_TMP/initrd-f1b" || die "cannot build the guest initramfs"

echo "  An aarch64 guest asking for its topology from its pinning (the counts are the fallback):"
f1b_xml kp-auto "auto_topology='yes' sockets='1' cores='2' threads='1'" \
    "<vcpupin vcpu='0' cpuset='0'/><vcpupin vcpu='1' cpuset='1'/>"
f1b_virsh define "$E2E_TMP/kp-auto.xml" || die "the guest could not be defined"
f1b_virsh start kp-auto || die "the guest did not start"
f1b_started kp-auto
demo_guest_report "$E2E_TMP/kp-auto.log" || die "the guest did not boot"
printf '  persistent XML (what was written): %s\n' \
    "$(vsh f1b dumpxml --inactive kp-auto | grep -o '<topology [^>]*>')"
f1b_virsh destroy kp-auto
f1b_virsh undefine kp-auto

echo "  Pinned the other way round, the vCPUs do not follow the host order: the fallback"
f1b_xml kp-auto-rev "auto_topology='yes' sockets='1' cores='2' threads='1'" \
    "<vcpupin vcpu='0' cpuset='1'/><vcpupin vcpu='1' cpuset='0'/>"
f1b_virsh create "$E2E_TMP/kp-auto-rev.xml"
f1b_started kp-auto-rev
f1b_virsh destroy kp-auto-rev

echo "  A vCPU without a pin of its own is refused at define:"
f1b_xml kp-auto-unpinned "auto_topology='yes'" "<vcpupin vcpu='0' cpuset='0'/>"
f1b_virsh define "$E2E_TMP/kp-auto-unpinned.xml"

echo "  With auto_topology = 1 in qemu.conf, a domain as Nova writes it (no attribute,"
echo "  its own sockets='2', every vCPU pinned 1:1) gets the host's layout too:"
daemon_restart f1b --qemu-conf "auto_topology = 1" || die "the private virtqemud did not restart"
f1b_xml kp-nova "sockets='2' cores='1' threads='1'" \
    "<vcpupin vcpu='0' cpuset='0'/><vcpupin vcpu='1' cpuset='1'/>"
f1b_virsh create "$E2E_TMP/kp-nova.xml"
f1b_started kp-nova
f1b_virsh destroy kp-nova
daemon_stop f1b
