#!/bin/bash
# Benchmark: hot add of 1 GiB into guest NUMA node 1 of an x86_64 TCG guest,
# on Debian's QEMU 7.2:
#
#   ours   virsh attach-memory DOM 1GiB --node 1 --live, this build, node 1
#          started with memory='0'
#   stock  virsh attach-device DOM dimm.xml --live with Debian's stock
#          libvirt 9.0, the same <memory model='dimm'> (1 GiB, node 1);
#          stock libvirt cannot start a node without memory, so there node 1
#          starts with 128 MiB: the only difference between the guests
#   raw    the QMP commands of that hot add sent straight to QEMU
#          (qmp-raw.py attach-memory: object-add, device_add,
#          query-memory-devices), QEMU started with the command line this
#          build's libvirt ran for its guest
#
# What is timed is the command as virsh itself measures it (virsh -t), in
# one long-lived virsh process per side (with qemu:///embed a guest's QEMU
# stays with the virsh process that started it), and qmp-raw.py's time for
# the raw side. One guest per side, started paused (create --paused, QEMU's
# -S) so that no TCG vCPU thread competes with the attaches; one untimed
# attach each, then the sides alternate, one attach each per repeat. Every
# attach stays; at the end the guests run and must see all the memory in
# node 1. Expected: ours/stock about 1.0 (attach-memory adds one
# virDomainGetXMLDesc for its checks to the same attach); ours/raw is
# libvirt's own cost on top of QEMU's.

set -uo pipefail
. "$(dirname "$0")/lib.sh"

REPEATS=${REPEATS:-9}
DOM=kp-bench-mem
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
        guest_domain_xml x86_64 "$DOM" "$(guest_kernel x86_64)" "$E2E_TMP/initrd" \
        "$E2E_TMP/$side-console.log" \
        "<maxMemory slots='$slots' unit='GiB'>40</maxMemory>" > "$E2E_TMP/$side.xml"
done
cat > "$E2E_TMP/dimm.xml" <<'XML'
<memory model='dimm'>
  <target>
    <size unit='KiB'>1048576</size>
    <node>1</node>
  </target>
</memory>
XML

for side in ours stock; do
    bench_session_start "$side"
    out=$(vsh_session "$side" create --paused "$E2E_TMP/$side.xml") ||
        { echo "attach-memory: $side: the guest does not start: $out" >&2; exit 1; }
done
if ! bench_raw_args ours "$DOM" "$E2E_TMP/raw.args" "$E2E_TMP/raw-console.log" ||
   ! bench_raw_start "$E2E_TMP/raw.args"; then
    echo "attach-memory: raw: the guest does not start" >&2
    exit 1
fi

# one_attach SIDE: hot add 1 GiB into node 1, print its time in ms
one_attach() {
    local out
    case $1 in
        ours) out=$(vsh_session ours attach-memory "$DOM" 1GiB --node 1 --live) ;;
        stock) out=$(vsh_session stock attach-device "$DOM" "$E2E_TMP/dimm.xml" --live) ;;
        raw) bench_raw_qmp attach-memory 1024 1; return ;;
    esac || { echo "attach-memory: $1: $out" >&2; return 1; }
    # the first time is the attach's (vsh_session adds an 'echo' after it)
    bench_virsh_ms "$out"
}

bench_compare "hot add 1 GiB into node 1 (x86_64 TCG, paused)" "$REPEATS" one_attach \
    ours stock raw || exit 1

# The guests see it once they run: node 1 has all the attached memory.
want=$((slots * 1048576))
for side in ours stock; do
    vsh_session "$side" resume "$DOM" >/dev/null || exit 1
done
bench_raw_qmp cont || exit 1
status=0
for side in ours stock raw; do
    kb=0
    deadline=$((SECONDS + 120))
    while [ $SECONDS -lt $deadline ]; do
        line=$(guest_report_wait "$E2E_TMP/$side-console.log" '^KP-NODE seq=[0-9]+ node=1 ' 10 \
                   2>/dev/null) &&
            kb=$(guest_report_field "$line" mem_kb)
        case $kb in ''|*[!0-9]*) kb=0 ;; esac
        [ "$kb" -ge "$want" ] && break
        sleep 1
    done
    echo "  $side guest: $kb kB in node 1 after $slots attaches of 1 GiB"
    if [ "$kb" -lt "$want" ]; then
        echo "attach-memory: $side: the guest has less than $want kB in node 1" >&2
        status=1
    fi
done
for side in ours stock; do
    vsh_session "$side" destroy "$DOM" >/dev/null
    vsh_session_stop "$side"
done
bench_raw_stop || status=1
exit $status
