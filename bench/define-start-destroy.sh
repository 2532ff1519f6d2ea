#!/bin/bash
# Benchmark: define + start + destroy + undefine of the tiny x86_64 guest in
# one virsh process, this build against Debian's stock libvirt 9.0, and the
# raw floor: the QEMU command line this build's libvirt ran for that guest,
# started by qmp-raw.py boot (QMP ready, cont, quit, QEMU exited). Each
# virsh figure includes that virsh's own start, with the embedded driver's.
# Expected: ours/stock about 1.0 (no patch touches this path). On machines
# whose init (PID 1) reaps orphans late, as on the project's test machines
# (about 1.5 s), both libvirt figures include that: libvirt's destroy waits
# until the daemonized QEMU's pid is gone, while the raw QEMU is the
# benchmark's own child.

set -uo pipefail
. "$(dirname "$0")/lib.sh"

REPEATS=${REPEATS:-7}
bench_stock_install || exit 1
bench_setup
guest_initramfs x86_64 "$E2E_TMP/initrd" || exit 1
for side in ours stock; do
    GUEST_VCPUS=2 guest_domain_xml x86_64 kp-bench "$(guest_kernel x86_64)" "$E2E_TMP/initrd" \
        "$E2E_TMP/$side-console.log" > "$E2E_TMP/$side.xml"
done

one_round() {
    if [ "$1" = raw ]; then
        # bench_compare's warm-up ran ours first and logged its command line.
        [ -s "$E2E_TMP/raw.args" ] || bench_raw_args ours kp-bench "$E2E_TMP/raw.args" ||
            return 1
        bench_raw_qmp boot "$E2E_TMP/raw.args" "$BENCH_RAW_DIR/qemu.log"
        return
    fi
    bench_time_ms bench_virsh "$1" \
        "define $E2E_TMP/$1.xml; start kp-bench; destroy kp-bench; undefine kp-bench"
}

bench_compare "define+start+destroy (x86_64 TCG)" "$REPEATS" one_round ours stock raw
