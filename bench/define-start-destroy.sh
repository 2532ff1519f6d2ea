#!/bin/bash
# Benchmark: define + start + destroy + undefine of the tiny x86_64 guest in
# one virsh process, this build against Debian's stock libvirt 9.0.
# Expected ratio: about 1.0 (no patch touches this path).

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
    bench_time_ms bench_virsh "$1" \
        "define $E2E_TMP/$1.xml; start kp-bench; destroy kp-bench; undefine kp-bench"
}

bench_compare "define+start+destroy (x86_64 TCG)" "$REPEATS" one_round
