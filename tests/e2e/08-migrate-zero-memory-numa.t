#!/bin/bash
# F4: a guest whose NUMA node 1 booted without memory and got memory by hot
# add is live-migrated, end to end with QEMU 7.2 (x86_64 TCG) between two
# private virtqemud "hosts" in their own network namespaces:
#  - the destination starts node 1 without a memory backend and with the
#    hot-added module, so the migration stream matches and the guest keeps
#    running with the module's memory in node 1;
#  - the live and persistent XML on the destination keep the cell with
#    memory='0' and the module in node 1;
#  - memory can be hot added into node 1 again on the destination.
# The migration is client-driven (virsh talks to both daemons' sockets); the
# migration stream goes from the source's QEMU to the destination's over the
# veth pair.

. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/guest.sh"
. "$(dirname "$0")/lib/libvirt.sh"

plan 11
e2e_init
dom=kp-mig-zero-node
src_log=$E2E_TMP/src-console.log
dst_log=$E2E_TMP/dst-console.log

ns1=kpMs$$ ns2=kpMd$$
netns_pair "$ns1" 10.252.0.1/24 "$ns2" 10.252.0.2/24 ||
    bail_out "cannot create the network namespaces"
daemon_start src --netns "$ns1" --hostname kp-src --host-uuid 11111111-2222-3333-4444-000000000011 &&
    daemon_start dst --netns "$ns2" --hostname kp-dst --host-uuid 11111111-2222-3333-4444-000000000012
ok $? "two private daemons, each in its own network namespace"

guest_initramfs x86_64 "$E2E_TMP/initrd" || bail_out "cannot build the initramfs"
GUEST_VCPUS=2 GUEST_MEMORY_MIB=256 GUEST_TOPOLOGY="sockets='2' cores='1' threads='1'" \
    GUEST_CPU_EXTRA="<numa><cell id='0' cpus='0' memory='256' unit='MiB'/><cell id='1' cpus='1' memory='0' unit='KiB'/></numa>" \
    guest_domain_xml x86_64 "$dom" "$(guest_kernel x86_64)" "$E2E_TMP/initrd" "$src_log" \
    "<maxMemory slots='4' unit='MiB'>2048</maxMemory>" > "$E2E_TMP/dom.xml"

out=$(vsh src define "$E2E_TMP/dom.xml" 2>&1 && vsh src start "$dom" 2>&1)
ok $? "the guest starts on the source with node 1 at memory='0'" || diag "$out"

mark=$(guest_log_mark "$src_log")
out=$(vsh src attach-memory "$dom" 256MiB --node 1 --live --config 2>&1)
ok $? "virsh attach-memory $dom 256MiB --node 1 --live --config" || diag "$out"
kb=$(guest_node_mem_wait "$src_log" 1 '2[0-9]{5}' "$mark")
ok $? "the guest reports about 256 MiB in node 1 on the source ($kb kB)" ||
    diag "$(tail -n 5 "$src_log")"

# The destination writes the console to its own file: the serial source
# path is not part of the guest ABI.
vsh src dumpxml --migratable "$dom" | sed "s|$src_log|$dst_log|g" > "$E2E_TMP/dst.xml"
out=$(vsh src migrate --live --persistent --undefinesource --xml "$E2E_TMP/dst.xml" \
      "$dom" "$(e2e_uri dst)" tcp://10.252.0.2:49152 2>&1)
ok $? "virsh migrate --live to the other host" ||
    diag "$out" "$(tail -n 20 "$E2E_TMP/dst/log/qemu/$dom.log" 2>/dev/null)"

is "$(vsh dst domstate "$dom" 2>&1) / $(vsh src list --all --name 2>&1 | xargs)" "running / " \
    "the guest runs on the destination and is gone from the source"

kb=$(guest_node_mem_wait "$dst_log" 1 '2[0-9]{5}')
ok $? "the migrated guest still reports about 256 MiB in node 1 ($kb kB)" ||
    diag "$(tail -n 5 "$dst_log")"

# The module as it must appear in the XML, whitespace removed.
module="<memorymodel='dimm'><target><sizeunit='KiB'>262144</size><node>1</node></target>"
xml=$(vsh dst dumpxml "$dom" | tr -d '\n ')
like "$xml" "<cellid='1'cpus='1'memory='0'unit='KiB'/>.*$module<aliasname='dimm0'/><addresstype='dimm'slot='0'" \
    "the destination's live XML has the memory-less cell and the module in node 1"
xml=$(vsh dst dumpxml --inactive "$dom" | tr -d '\n ')
like "$xml" "<cellid='1'cpus='1'memory='0'unit='KiB'/>.*$module" \
    "the destination's persistent XML has them too"

cmdline=$(daemon_qemu_args dst "$dom" | tr '\n' ' ')
like "$cmdline" '-numa node,nodeid=1,cpus=1 .*-device [{]"driver":"pc-dimm","node":1,"memdev":"memdimm0"' \
    "the destination's QEMU got node 1 without memdev and the module in it" ||
    diag "$cmdline"

mark=$(guest_log_mark "$dst_log")
out=$(vsh dst attach-memory "$dom" 128MiB --node 1 --live 2>&1)
kb=$(guest_node_mem_wait "$dst_log" 1 '3[0-9]{5}' "$mark")
ok $? "a further hot add into node 1 works on the destination ($kb kB)" ||
    diag "$out" "$(tail -n 5 "$dst_log")"

vsh dst destroy "$dom" >/dev/null 2>&1
