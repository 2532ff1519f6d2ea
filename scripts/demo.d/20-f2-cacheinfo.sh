# shellcheck shell=bash
# make demo section, sourced by scripts/demo.sh (see there for the helpers).

section "F2: the guest's caches (<cpu><cacheinfo>)"
F2_CACHEINFO="<cacheinfo cache='l1i' topology='core'/><cacheinfo cache='l1d' topology='core'/><cacheinfo cache='l2' topology='socket'/><cacheinfo cache='l3' topology='socket'/>"
echo "  The host's shared caches with their geometry (virsh capabilities):"
vsh_session demo capabilities | sed -n '/<cache>/,/<\/cache>/p' | sed 's/^ */    /'
guest_initramfs x86_64 "$E2E_TMP/initrd-f2" || die "cannot build the guest initramfs"
GUEST_VCPUS=4 GUEST_CPU_MODEL=Nehalem \
    GUEST_TOPOLOGY="sockets='2' dies='1' cores='2' threads='1'" GUEST_CPU_EXTRA=$F2_CACHEINFO \
    guest_domain_xml x86_64 kp-cache-72 "$(guest_kernel x86_64)" "$E2E_TMP/initrd-f2" \
    "$E2E_TMP/f2-72.log" > "$E2E_TMP/kp-cache-72.xml"
echo "  guest caches: L1 per core, L2 and L3 per socket (QEMU's default: L2 per core):"
grep -o '<cacheinfo[^>]*>' "$E2E_TMP/kp-cache-72.xml" | sed 's/^/    /'
echo "  Debian's QEMU 7.2 has no smp-cache machine property: refused before start"
demo_virsh create "$E2E_TMP/kp-cache-72.xml"

F2_QEMU=$("$TOPDIR/scripts/fetch-qemu-backports.sh" --print) || die "cannot fetch QEMU from bookworm-backports"
echo "  the same guest with Debian's QEMU 10.0 from bookworm-backports ($F2_QEMU):"
GUEST_VCPUS=4 GUEST_CPU_MODEL=Nehalem GUEST_EMULATOR=$F2_QEMU \
    GUEST_TOPOLOGY="sockets='2' dies='1' cores='2' threads='1'" GUEST_CPU_EXTRA=$F2_CACHEINFO \
    guest_domain_xml x86_64 kp-cache "$(guest_kernel x86_64)" "$E2E_TMP/initrd-f2" \
    "$E2E_TMP/f2.log" > "$E2E_TMP/kp-cache.xml"
demo_virsh create "$E2E_TMP/kp-cache.xml" || die "the guest did not start"
echo "  QEMU arguments libvirt generated:"
vsh_session demo domxml-to-native qemu-argv --domain kp-cache |
    tr ' ' '\n' | grep -A1 -x -e -smp -e -machine | grep -v -e '^--$' |
    paste - - | sed -e 's/^/    /' -e 's/,smp-cache/\n        smp-cache/g'
if line=$(guest_report_wait "$E2E_TMP/f2.log" '^KP-CACHE seq=[0-9]* cpu=0 ' 90); then
    echo "  guest console (cpu0's caches: level/type/size/CPUs sharing it):"
    printf '    %s\n' "$line"
else
    echo "  the guest did not report within 90 s"
fi
demo_virsh destroy kp-cache
echo "  The cache sizes (size/sets/associativity/line) need the Kunpeng QEMU 8.2;"
echo "  with it, libvirt generates e.g. (from qemuxml2argvtest's expected output):"
grep -o -- '-machine [^ ]*' "$MESON_BUILD/../tests/qemuxml2argvdata/cpu-cacheinfo.aarch64-8.2.0_kunpeng.args" |
    sed -e 's/^/    /' -e 's/,smp-cache/\n        smp-cache/g' | head -n 8
echo "        ..."
