#!/bin/bash
# Benchmark: wall time of "virsh setvcpus DOM N --live" that hot-adds N-1
# vCPUs to a running x86_64 TCG guest booted with 1 of N vCPUs, for
# N = 8, 16, 32, 64, this build against Debian's stock libvirt 9.0 on the
# same QEMU (Debian's 7.2). The time is virsh's own (--timing) for the
# setvcpus command alone, in a long-lived virsh per side; each round boots a
# fresh guest, waits until it runs, hot-adds, and destroys it.
#
# Only 1 -> N is measured, not N -> 1: with QEMU 7.2 under TCG the guest
# often locks up while offlining the second or third of several removed
# vCPUs (stop_machine never completes; QEMU 10.0 does not show this), and
# QEMU 7.2 crashes on the next device_add after a vCPU removal, so a removal
# time would measure QEMU's bug, and stock libvirt's 5 s per-vCPU timeout.
#
# Expected: ratio below 1. This build issues the N-1 device_adds back to
# back and reads the vCPU state once; stock libvirt reads it back after every
# vCPU (2 QMP queries each). QEMU's own device_add (a new TCG vCPU thread)
# takes a large share of the time either way.

set -uo pipefail
. "$(dirname "$0")/lib.sh"

REPEATS=${REPEATS:-5}
COUNTS=${COUNTS:-"8 16 32 64"}
DOM=kp-bench-vcpus

bench_stock_install || exit 1
bench_setup
guest_initramfs x86_64 "$E2E_TMP/initrd" || exit 1

one_round() {
    local side=$1 n=$2 log=$E2E_TMP/$1-$2.log out t
    rm -f "$log"
    GUEST_VCPUS=$n GUEST_VCPUS_CURRENT=1 \
        guest_domain_xml x86_64 "$DOM" "$(guest_kernel x86_64)" "$E2E_TMP/initrd" \
        "$log" > "$E2E_TMP/$side-$n.xml"
    vsh_session "$side" create "$E2E_TMP/$side-$n.xml" >/dev/null || return 1
    if ! guest_report_wait "$log" '^KP-REPORT ' 90 >/dev/null; then
        vsh_session "$side" destroy "$DOM" >/dev/null
        return 1
    fi
    out=$(vsh_session "$side" setvcpus "$DOM" "$n" --live)
    local rc=$?
    vsh_session "$side" destroy "$DOM" >/dev/null
    if [ $rc != 0 ]; then
        echo "$side: setvcpus $n: $out" >&2
        return 1
    fi
    t=$(printf '%s\n' "$out" | sed -n 's/^(Time: \([0-9]*\)\.[0-9]* ms)$/\1/p' | head -n 1)
    [ -n "$t" ] || { echo "$side: no timing in: $out" >&2; return 1; }
    echo "$t"
}

bench_session_start ours
bench_session_start stock
status=0
for n in $COUNTS; do
    round_n() { one_round "$1" "$n"; }
    bench_compare "setvcpus 1->$n --live (x86_64 TCG)" "$REPEATS" round_n || status=1
done
exit $status
