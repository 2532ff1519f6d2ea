# shellcheck shell=bash
# Peer harness: run the same virsh operation against this build and against
# Debian's stock libvirt 9.0 on the same QEMU, in one run, and report the
# ratio of medians. Both sides use libvirt's embedded QEMU driver with the
# same qemu.conf, each with its own root directory.
#
#   bench_stock_install           install Debian's libvirt (apt) when missing
#   bench_setup                   temp dir, both embedded roots, cleanup trap
#   bench_virsh SIDE ARGS...      virsh of SIDE (ours|stock) on its root
#   bench_session_start SIDE      a long-lived virsh of SIDE with timing on
#                                 (virsh -t), driven with vsh_session SIDE
#                                 CMD...: with qemu:///embed a guest's QEMU
#                                 stays with the virsh process that started it
#   bench_time_ms CMD...          wall time of CMD in ms (fails if CMD fails)
#   bench_compare NAME REPEATS FN print medians and the ratio; FN SIDE runs
#                                 one repetition for SIDE and prints its time
#                                 in ms (fractions allowed), sides alternate
#                                 each repeat

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH_TOPDIR=$(cd "$BENCH_DIR/.." && pwd)
. "$BENCH_TOPDIR/tests/e2e/lib/tap.sh"
. "$BENCH_TOPDIR/tests/e2e/lib/guest.sh"
. "$BENCH_TOPDIR/tests/e2e/lib/libvirt.sh"

BENCH_STOCK_PACKAGES="libvirt-clients libvirt-daemon-driver-qemu"
BENCH_STOCK_VIRSH=/usr/bin/virsh

bench_stock_install() {
    local missing="" p
    for p in $BENCH_STOCK_PACKAGES; do
        [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] ||
            missing="$missing $p"
    done
    if [ -n "$missing" ]; then
        echo ">>> installing Debian's stock libvirt for comparison:$missing" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing >&2 ||
            return 1
    fi
    local v
    v=$("$BENCH_STOCK_VIRSH" --version)
    case $v in
        9.0.*) ;;
        *) echo "stock virsh is $v, expected 9.0.x" >&2; return 1 ;;
    esac
}

bench_setup() {
    e2e_init
    embed_setup ours
    embed_setup stock
}

bench_virsh() {
    local side=$1
    shift
    local uri
    uri=$(e2e_uri "$side")
    if [ "$side" = stock ]; then
        LIBVIRT_LOG_OUTPUTS="3:file:$E2E_TMP/stock.log" "$BENCH_STOCK_VIRSH" -q -c "$uri" "$@"
    else
        LIBVIRT_LOG_OUTPUTS="3:file:$E2E_TMP/ours.log" "$E2E_RUN" virsh -q -c "$uri" "$@"
    fi
}

bench_session_start() {
    if [ "$1" = stock ]; then
        vsh_session_start stock "$BENCH_STOCK_VIRSH" -t
    else
        vsh_session_start ours "$E2E_RUN" virsh -t
    fi
}

# Print the wall time of "$@" in milliseconds.
bench_time_ms() {
    local t0 t1
    t0=$(date +%s%N)
    "$@" >/dev/null || return 1
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000000))
}

_bench_median() {
    sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

bench_compare() {
    local name=$1 repeats=$2 fn=$3 i side t
    local ours="" stock=""
    # one untimed round each: QEMU capabilities get probed and cached
    "$fn" ours >/dev/null && "$fn" stock >/dev/null || { echo "$name: warm-up failed" >&2; return 1; }
    for i in $(seq 1 "$repeats"); do
        for side in ours stock; do
            t=$("$fn" "$side") || { echo "$name: $side failed" >&2; return 1; }
            if [ "$side" = ours ]; then ours="$ours $t"; else stock="$stock $t"; fi
        done
    done
    local mo ms
    mo=$(printf '%s\n' $ours | _bench_median)
    ms=$(printf '%s\n' $stock | _bench_median)
    printf '%-36s ours %6.1f ms  stock %6.1f ms  ratio %s  (median of %d; ours:%s; stock:%s)\n' \
        "$name" "$mo" "$ms" "$(awk -v a="$mo" -v b="$ms" 'BEGIN { printf "%.2f", a / b }')" \
        "$repeats" "$ours" "$stock"
}
