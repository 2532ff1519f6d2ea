#!/bin/bash
# Benchmark: hot add of N-1 vCPUs to an x86_64 TCG guest started with 1 of
# N vCPUs, for N = 8, 16, 32, 64, on Debian's QEMU 7.2:
#
#   ours   "virsh setvcpus DOM N --live", this build
#   stock  the same with Debian's stock libvirt 9.0
#   raw    the QMP commands of that hot add sent straight to QEMU
#          (qmp-raw.py setvcpus: query-hotpluggable-cpus, N-1 device_add,
#          query-cpus-fast), QEMU started with the command line this
#          build's libvirt ran for the same domain
#
# The time is virsh's own (--timing) for the setvcpus command alone, in a
# long-lived virsh per side, and qmp-raw.py's for the raw side. Each round
# starts a fresh guest, paused (create --paused, QEMU's -S) so that no TCG
# vCPU thread competes with the hot add, hot-adds, and destroys it.
#
# Only 1 -> N is measured, not N -> 1: a removal needs the guest to eject
# the vCPUs, which a paused guest does not do; with a running guest, QEMU
# 7.2 under TCG often locks up while the guest offlines the second or third
# of several removed vCPUs (stop_machine never completes; QEMU 10.0 does
# not show this), and QEMU 7.2 crashes on the next device_add after a vCPU
# removal, so a removal time would measure QEMU's bug, and stock libvirt's
# 5 s per-vCPU timeout.
#
# Expected: ours/stock below 1. This build issues the N-1 device_adds back
# to back and reads the vCPU state once; stock libvirt reads it back after
# every vCPU (2 QMP queries each). ours/raw is libvirt's own cost on top of
# QEMU's device_adds. 25 rounds by default (REPEATS): QEMU's time for the
# same hot add varies by half from round to round here, and with fewer the
# interval of ours/raw is wider than what libvirt adds.

set -uo pipefail
. "$(dirname "$0")/lib.sh"

REPEATS=${REPEATS:-25}
COUNTS=${COUNTS:-"8 16 32 64"}
DOM=kp-bench-vcpus

bench_stock_install || exit 1
bench_setup
guest_initramfs x86_64 "$E2E_TMP/initrd" || exit 1

# one_round SIDE N: print the time in ms of one hot add 1 -> N by SIDE
one_round() {
    local side=$1 n=$2 out rc
    if [ "$side" = raw ]; then
        # bench_compare's warm-up ran ours first: the last start in its
        # domain log is the guest with N vCPUs.
        if [ ! -s "$E2E_TMP/raw-$n.args" ]; then
            bench_raw_args ours "$DOM" "$E2E_TMP/raw-$n.args" || return 1
            if ! tr '\0' '\n' < "$E2E_TMP/raw-$n.args" | grep -q "^1,maxcpus=$n,"; then
                echo "raw: the last QEMU of ours had not 1 of $n vCPUs" >&2
                rm -f "$E2E_TMP/raw-$n.args"
                return 1
            fi
        fi
        bench_raw_start "$E2E_TMP/raw-$n.args" || return 1
        out=$(bench_raw_qmp setvcpus "$n")
        rc=$?
        bench_raw_stop || rc=1
        [ $rc = 0 ] && echo "$out"
        return $rc
    fi
    GUEST_VCPUS=$n GUEST_VCPUS_CURRENT=1 \
        guest_domain_xml x86_64 "$DOM" "$(guest_kernel x86_64)" "$E2E_TMP/initrd" \
        "$E2E_TMP/$side-$n.log" > "$E2E_TMP/$side-$n.xml"
    out=$(vsh_session "$side" create --paused "$E2E_TMP/$side-$n.xml") ||
        { echo "$side: create: $out" >&2; return 1; }
    out=$(vsh_session "$side" setvcpus "$DOM" "$n" --live)
    rc=$?
    vsh_session "$side" destroy "$DOM" >/dev/null
    if [ $rc != 0 ]; then
        echo "$side: setvcpus $n: $out" >&2
        return 1
    fi
    bench_virsh_ms "$out" || { echo "$side: no timing in: $out" >&2; return 1; }
}

bench_session_start ours
bench_session_start stock
status=0
for n in $COUNTS; do
    round_n() { one_round "$1" "$n"; }
    bench_compare "setvcpus 1->$n --live (x86_64 TCG, paused)" "$REPEATS" round_n \
        ours stock raw || status=1
done
exit $status
