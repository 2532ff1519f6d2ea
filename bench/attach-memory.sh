#!/bin/bash
# Benchmark: hot add of 1 GiB into guest NUMA node 1 of a running x86_64 TCG
# guest, this build against Debian's stock libvirt 9.0 on the same QEMU.
#
#   ours   virsh attach-memory DOM 1GiB --node 1 --live, node 1 booted
#          with memory='0'
#   stock  virsh attach-device DOM dimm.xml --live, the same
#          <memory model='dimm'> (1 GiB, node 1); stock libvirt cannot start
#          a node without memory, so there node 1 boots with 128 MiB: the
#          only difference between the two guests
#
# What is timed is the command as virsh itself measures it (virsh -t), in
# one long-lived virsh process per side: with qemu:///embed a guest's QEMU
# stays with the virsh process that started it. Both guests boot, are paused
# while the sides alternate, one attach each per repeat after one untimed
# attach each (so that neither guest's TCG vCPUs, busy with the memory
# added before, compete with the other side's attach), then resume and
# must see the memory. Expected ratio: about 1.0 (attach-memory adds one
# virDomainGetXMLDesc for its checks to the same attach).

set -uo pipefail
. "$(dirname "$0")/lib.sh"

REPEATS=${REPEATS:-9}
bench_stock_install || exit 1
bench_setup
guest_initramfs x86_64 "$E2E_TMP/initrd" || exit 1

# Every attach stays: room for the untimed one and the repeats.
slots=$((REPEATS + 1))
[ "$slots" -le 32 ] || { echo "REPEATS=$REPEATS: at most 31" >&2; exit 1; }
for side in ours stock; do
    node1=0
    [ $side = stock ] && node1=131072
    # 768 MiB in node 0: the guest kernel's memory map for the hot added
    # memory (16 MiB per GiB) comes from there.
    GUEST_VCPUS=2 GUEST_TOPOLOGY="sockets='2' cores='1' threads='1'" \
        GUEST_CPU_EXTRA="<numa><cell id='0' cpus='0' memory='786432' unit='KiB'/><cell id='1' cpus='1' memory='$node1' unit='KiB'/></numa>" \
        guest_domain_xml x86_64 kp-bench-mem "$(guest_kernel x86_64)" "$E2E_TMP/initrd" \
        "$E2E_TMP/$side-console.log" \
        "<maxMemory slots='$slots' unit='GiB'>40</maxMemory>" > "$E2E_TMP/$side.xml"
done
cat > "$E2E_TMP/dimm.xml" <<'EOF'
<memory model='dimm'>
  <target>
    <size unit='KiB'>1048576</size>
    <node>1</node>
  </target>
</memory>
EOF

for side in ours stock; do
    bench_session_start "$side"
    out=$(vsh_session "$side" create "$E2E_TMP/$side.xml") ||
        { echo "attach-memory: $side: the guest does not start: $out" >&2; exit 1; }
done
for side in ours stock; do
    guest_report_wait "$E2E_TMP/$side-console.log" '^KP-REPORT ' 90 >/dev/null ||
        { echo "attach-memory: $side: the guest does not boot" >&2; exit 1; }
    vsh_session "$side" suspend kp-bench-mem >/dev/null || exit 1
done

# one_attach SIDE: hot add 1 GiB into node 1, print virsh's time in ms
one_attach() {
    local out
    if [ "$1" = ours ]; then
        out=$(vsh_session ours attach-memory kp-bench-mem 1GiB --node 1 --live)
    else
        out=$(vsh_session stock attach-device kp-bench-mem "$E2E_TMP/dimm.xml" --live)
    fi || { echo "attach-memory: $1: $out" >&2; return 1; }
    # the first time is the attach's (vsh_session adds an 'echo' after it)
    printf '%s\n' "$out" | sed -n 's/^(Time: \([0-9.]*\) ms)$/\1/p' | head -n 1 | grep .
}

bench_compare "hot add 1 GiB into node 1 (x86 TCG)" "$REPEATS" one_attach || exit 1

# The guests see it once resumed: node 1 grew by all the attached memory.
want=$((slots * 1048576))
for side in ours stock; do
    vsh_session "$side" resume kp-bench-mem >/dev/null || exit 1
done
for side in ours stock; do
    kb=0
    for i in $(seq 1 120); do
        line=$(guest_report_wait "$E2E_TMP/$side-console.log" '^KP-NODE seq=[0-9]+ node=1 ' 10) &&
            kb=$(guest_report_field "$line" mem_kb)
        [ "$kb" -ge "$want" ] && break
        sleep 1
    done
    echo "  $side guest: $kb kB in node 1 after $slots attaches of 1 GiB"
    vsh_session "$side" destroy kp-bench-mem >/dev/null
    vsh_session_stop "$side"
done
