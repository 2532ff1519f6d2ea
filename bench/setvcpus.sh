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

# One long-lived virsh per side, fed through a FIFO: with qemu:///embed a
# domain's QEMU does not outlive the virsh process that started it once
# another one connects.
declare -A sess_fd sess_pid
session_start() {
    local side=$1 fifo=$E2E_TMP/$1.in out=$E2E_TMP/$1.out virsh fd
    mkfifo "$fifo"
    : > "$out"
    if [ "$side" = stock ]; then virsh=$BENCH_STOCK_VIRSH; else virsh="$E2E_RUN virsh"; fi
    LIBVIRT_LOG_OUTPUTS="3:file:$E2E_TMP/$side.log" \
        $virsh -q -t -c "$(e2e_uri "$side")" < "$fifo" > "$out" 2>&1 &
    sess_pid[$side]=$!
    exec {fd}> "$fifo"
    sess_fd[$side]=$fd
    e2e_on_exit "session_stop $side"
}
session_stop() {
    local fd=${sess_fd[$1]:-}
    [ -n "$fd" ] || return 0
    echo quit >&"$fd"
    exec {fd}>&-
    wait "${sess_pid[$1]}" 2>/dev/null
    sess_fd[$1]=""
}
# session_cmd SIDE CMD: run CMD, print its output (virsh's echo of the
# command line, the output, "(Time: X ms)"); 1 when it printed an error
session_cmd() {
    local side=$1 out=$E2E_TMP/$1.out start marker i text
    shift
    start=$(stat -c %s "$out")
    marker=__kp_bench_${start}_$RANDOM
    printf '%s\necho %s\n' "$*" "$marker" >&"${sess_fd[$side]}"
    for i in $(seq 1 6000); do
        tail -c +"$((start + 1))" "$out" | grep -qE "(^|[^ ])$marker" && break
        kill -0 "${sess_pid[$side]}" 2>/dev/null || break
        sleep 0.02
    done
    text=$(tail -c +"$((start + 1))" "$out" | tr -d '\r' | sed "/$marker/,\$d")
    printf '%s\n' "$text"
    ! printf '%s\n' "$text" | grep -q '^error: '
}

one_round() {
    local side=$1 n=$2 log=$E2E_TMP/$1-$2.log out t
    rm -f "$log"
    GUEST_VCPUS=$n GUEST_VCPUS_CURRENT=1 \
        guest_domain_xml x86_64 "$DOM" "$(guest_kernel x86_64)" "$E2E_TMP/initrd" \
        "$log" > "$E2E_TMP/$side-$n.xml"
    session_cmd "$side" create "$E2E_TMP/$side-$n.xml" >/dev/null || return 1
    if ! guest_report_wait "$log" '^KP-REPORT ' 90 >/dev/null; then
        session_cmd "$side" destroy "$DOM" >/dev/null
        return 1
    fi
    out=$(session_cmd "$side" setvcpus "$DOM" "$n" --live)
    local rc=$?
    session_cmd "$side" destroy "$DOM" >/dev/null
    if [ $rc != 0 ]; then
        echo "$side: setvcpus $n: $out" >&2
        return 1
    fi
    t=$(printf '%s\n' "$out" | sed -n 's/^(Time: \([0-9]*\)\.[0-9]* ms)$/\1/p' | head -n 1)
    [ -n "$t" ] || { echo "$side: no timing in: $out" >&2; return 1; }
    echo "$t"
}

session_start ours
session_start stock
status=0
for n in $COUNTS; do
    round_n() { one_round "$1" "$n"; }
    bench_compare "setvcpus 1->$n --live (x86_64 TCG)" "$REPEATS" round_n || status=1
done
exit $status
