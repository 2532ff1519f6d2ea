#!/bin/bash
# F2: the guest CPU caches (<cpu><cacheinfo>), end to end.
#  - Debian's QEMU 7.2 has no smp-cache machine property: an x86 and an
#    aarch64 guest with <cacheinfo> are refused before QEMU starts, with the
#    error naming what is missing, and nothing is left behind;
#  - with Debian's QEMU 10.0 (bookworm-backports, unpacked by
#    scripts/fetch-qemu-backports.sh) an x86 guest is started with
#    -machine smp-cache and its kernel sees the caches shared as described:
#    L2 per socket, where QEMU's default is L2 per core (checked with the
#    same guest without <cacheinfo>). The guest has one die per socket:
#    QEMU 10.0.2 aborts (encode_topo_cpuid1f assertion) when an x86 guest
#    with several dies boots, with or without smp-cache.
# The cache geometry (sizes) needs the Kunpeng QEMU, which is not available
# here: it is covered by qemuxml2argvtest only.

. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/guest.sh"
. "$(dirname "$0")/lib/libvirt.sh"

plan 11
e2e_init
daemon_start host
ok $? "private virtqemud starts"

CACHEINFO="<cacheinfo cache='l1i' topology='core'/><cacheinfo cache='l1d' topology='core'/><cacheinfo cache='l2' topology='socket'/><cacheinfo cache='l3' topology='socket'/>"

# QEMU 7.2: refused before start, on both architectures.
guest_initramfs x86_64 "$E2E_TMP/initrd-x86" || bail_out "cannot build the initramfs"
guest_initramfs aarch64 "$E2E_TMP/initrd-arm" || bail_out "cannot build the initramfs"
GUEST_VCPUS=4 GUEST_TOPOLOGY="sockets='2' dies='1' cores='2' threads='1'" \
    GUEST_CPU_EXTRA=$CACHEINFO \
    guest_domain_xml x86_64 kp-cache-72 "$(guest_kernel x86_64)" "$E2E_TMP/initrd-x86" \
    "$E2E_TMP/x86-72.log" > "$E2E_TMP/x86-72.xml"
out=$(vsh host create "$E2E_TMP/x86-72.xml" 2>&1)
like "$out" "CPU cache description <cacheinfo> is not supported by this QEMU binary: it needs the 'smp-cache' machine property of QEMU 9.2 or newer" \
    "x86 with QEMU 7.2: refused, naming the smp-cache property and QEMU 9.2"

GUEST_VCPUS=4 GUEST_TOPOLOGY="sockets='1' clusters='2' cores='2' threads='1'" \
    GUEST_CPU_EXTRA="<cacheinfo cache='l1' topology='core'/><cacheinfo cache='l2' topology='cluster'/>" \
    guest_domain_xml aarch64 kp-cache-arm "$(guest_kernel aarch64)" "$E2E_TMP/initrd-arm" \
    "$E2E_TMP/arm-72.log" > "$E2E_TMP/arm-72.xml"
out=$(vsh host define "$E2E_TMP/arm-72.xml" 2>&1 && vsh host start kp-cache-arm 2>&1)
like "$out" "CPU cache description <cacheinfo> is not supported by this QEMU binary: it needs the 'smp-cache' machine property of QEMU 9.2 or newer" \
    "aarch64 with QEMU 7.2: refused at define, naming the smp-cache property and QEMU 9.2"
is "$(vsh host list --all --name | grep -c .)" 0 "no domain is left defined or running"
is "$(pgrep -f -- "qemu-system.*$E2E_TMP/" | grep -c .)" 0 "no QEMU process was started"

# QEMU 10.0: the guest sees the sharing levels it was given.
qemu10=$("$E2E_TOPDIR/scripts/fetch-qemu-backports.sh" --print) ||
    bail_out "cannot fetch QEMU from bookworm-backports"

# cpu0's caches as the guest reports them: "L1/Data/32K/0 ..." -> one
# "level/type:shared_cpu_list" per cache, e.g. "L2/Unified:0-1"
cpu0_sharing() {
    local line
    line=$(guest_report_wait "$1" '^KP-CACHE seq=[0-9]* cpu=0 ' 90) || return 1
    printf '%s\n' "$line" | tr ' ' '\n' | sed -n 's#^index[0-9]*=\([^/]*/[^/]*\)/[^/]*/\(.*\)$#\1:\2#p' |
        tr '\n' ' ' | sed 's/ $//'
}

boot_qemu10() {
    local name=$1 extra=$2
    GUEST_VCPUS=4 GUEST_CPU_MODEL=Nehalem GUEST_EMULATOR=$qemu10 \
        GUEST_TOPOLOGY="sockets='2' dies='1' cores='2' threads='1'" \
        GUEST_CPU_EXTRA=$extra \
        guest_domain_xml x86_64 "$name" "$(guest_kernel x86_64)" "$E2E_TMP/initrd-x86" \
        "$E2E_TMP/$name.log" > "$E2E_TMP/$name.xml"
    vsh host create "$E2E_TMP/$name.xml" 2>&1
}

out=$(boot_qemu10 kp-cache "$CACHEINFO")
ok $? "x86 with QEMU 10.0: a guest with <cacheinfo> starts" || diag "$out"
machine=$(daemon_qemu_args host kp-cache | grep -A1 -x -- -machine | tail -n1)
like "$machine" "smp-cache.0.cache=l1i,smp-cache.0.topology=core,smp-cache.1.cache=l1d,smp-cache.1.topology=core,smp-cache.2.cache=l2,smp-cache.2.topology=socket,smp-cache.3.cache=l3,smp-cache.3.topology=socket" \
    "QEMU runs with one smp-cache item per <cacheinfo>"
like "$(vsh host dumpxml kp-cache)" "<cacheinfo cache='l2' topology='socket'/>" \
    "the live XML keeps the caches"
with=$(cpu0_sharing "$E2E_TMP/kp-cache.log")
is "$with" "L1/Data:0 L1/Instruction:0 L2/Unified:0-1 L3/Unified:0-1" \
    "the guest sees L1 per core, L2 and L3 per socket" ||
    diag "$(tail -n 5 "$E2E_TMP/kp-cache.log")"
vsh host destroy kp-cache >/dev/null 2>&1

out=$(boot_qemu10 kp-nocache "")
ok $? "x86 with QEMU 10.0: the same guest without <cacheinfo> starts" || diag "$out"
without=$(cpu0_sharing "$E2E_TMP/kp-nocache.log")
is "$without" "L1/Data:0 L1/Instruction:0 L2/Unified:0 L3/Unified:0-1" \
    "without <cacheinfo> QEMU's default differs: L2 per core"
vsh host destroy kp-nocache >/dev/null 2>&1
