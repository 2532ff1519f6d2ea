# shellcheck shell=bash
# make demo section, sourced by scripts/demo.sh (see there for the helpers).

section "F4: a NUMA node that boots without memory, grown by memory hot add"
guest_initramfs x86_64 "$E2E_TMP/initrd-f4" || die "cannot build the guest initramfs"
GUEST_VCPUS=4 GUEST_MEMORY_MIB=256 GUEST_TOPOLOGY="sockets='2' cores='2' threads='1'" \
    GUEST_CPU_EXTRA="<numa><cell id='0' cpus='0-1' memory='256' unit='MiB'/><cell id='1' cpus='2-3' memory='0' unit='KiB'/></numa>" \
    guest_domain_xml x86_64 kp-zero-node "$(guest_kernel x86_64)" "$E2E_TMP/initrd-f4" \
    "$E2E_TMP/f4.log" "<maxMemory slots='4' unit='MiB'>2048</maxMemory>" \
    > "$E2E_TMP/kp-zero-node.xml"
echo "  an x86_64 guest (TCG) with 4 vCPUs in two NUMA nodes, room for 4 modules:"
grep -o -e "<maxMemory[^>]*>[^<]*</maxMemory>" -e "<cell [^>]*>" "$E2E_TMP/kp-zero-node.xml" |
    sed 's/^/    /'
demo_virsh create "$E2E_TMP/kp-zero-node.xml" || die "the guest did not start"
echo "  QEMU's NUMA nodes: node 1 has no memory backend"
vsh_session demo domxml-to-native qemu-argv --domain kp-zero-node |
    tr ' ' '\n' | grep -A1 -x -e -numa -e -m | grep -v -e '^--$' | paste - - | sed 's/^/    /'
echo "  the guest's view before (node 1 with 0 kB):"
demo_guest_report "$E2E_TMP/f4.log" || die "the guest did not boot"

mark=$(guest_log_mark "$E2E_TMP/f4.log")
demo_virsh attach-memory kp-zero-node 256MiB --node 1 --live --print-xml
demo_virsh attach-memory kp-zero-node 256MiB --node 1 --live
guest_report_wait "$E2E_TMP/f4.log" '^KP-NODE seq=[0-9]+ node=1 mem_kb=[1-9]' 60 "$mark" >/dev/null ||
    echo "  the guest did not report memory in node 1 within 60 s"
echo "  the guest's view after (the kernel onlines the new memory itself,"
echo "  it was booted with memhp_default_state=online):"
demo_guest_report "$E2E_TMP/f4.log"
echo "  the live domain XML now has the module, in node 1:"
vsh_session demo dumpxml kp-zero-node | sed -n "/<memory model=/,/<\/memory>/p" | sed 's/^/  /'
echo "  what virsh refuses before anything reaches QEMU:"
demo_virsh attach-memory kp-zero-node 256MiB --node 2 --live
demo_virsh attach-memory kp-zero-node 2GiB --node 1 --live
demo_virsh destroy kp-zero-node
