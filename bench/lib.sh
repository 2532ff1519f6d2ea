# shellcheck shell=bash
# Peer harness: run the same operation against this build ("ours"), against
# Debian's stock libvirt 9.0 ("stock") and straight over QMP with no libvirt
# at all ("raw", the floor), on the same QEMU binary (Debian's 7.2), in one
# run, and report the medians and the ratios ours/stock and ours/raw. Both
# libvirt sides use libvirt's embedded QEMU driver with the same qemu.conf,
# each with its own root directory; the raw side runs the QEMU command line
# this build's libvirt ran for the same domain (see bench_raw_args).
#
#   bench_stock_install           install Debian's libvirt (apt) when missing
#   bench_setup                   temp dir, both embedded roots, the raw
#                                 side's directory, cleanup trap
#   bench_virsh SIDE ARGS...      virsh of SIDE (ours|stock) on its root
#   bench_session_start SIDE      a long-lived virsh of SIDE with timing on
#                                 (virsh -t), driven with vsh_session SIDE
#                                 CMD...: with qemu:///embed a guest's QEMU
#                                 stays with the virsh process that started it
#   bench_virsh_ms OUTPUT         the first "(Time: X ms)" of virsh -t OUTPUT
#   bench_time_ms CMD...          wall time of CMD in ms (fails if CMD fails)
#   bench_raw_args SIDE DOM OUT [CONSOLE]
#                                 write OUT: the QEMU command line of the last
#                                 start of domain DOM in SIDE's domain log
#                                 (<root>/log/qemu/DOM.log), made to run
#                                 without libvirt (qmp-raw.py cmdline): QMP on
#                                 $BENCH_RAW_SOCK, serial console to CONSOLE
#                                 (default $E2E_TMP/raw/console.log)
#   bench_raw_start ARGS          start QEMU with the command line in ARGS
#                                 (paused: libvirt's has -S), wait until its
#                                 QMP socket is there
#   bench_raw_qmp OP ARGS...      bench/qmp-raw.py OP $BENCH_RAW_SOCK ARGS...
#   bench_raw_stop                stop the QEMU of bench_raw_start (also at
#                                 exit); fails if it was not running anymore
#   bench_compare NAME REPEATS FN [SIDE...]
#                                 print one line: per SIDE (default: ours
#                                 stock) the median and the range, and the
#                                 ratios of ours to each other side; FN SIDE
#                                 runs one repetition for SIDE and prints its
#                                 time in ms (fractions allowed). One untimed
#                                 round per SIDE first, then the sides
#                                 alternate, in the order given, each repeat.

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
    BENCH_RAW_DIR=$E2E_TMP/raw
    BENCH_RAW_SOCK=$BENCH_RAW_DIR/qmp.sock
    mkdir -p "$BENCH_RAW_DIR"
    e2e_on_exit bench_raw_stop
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

bench_virsh_ms() {
    printf '%s\n' "$1" | sed -n 's/^(Time: \([0-9.]*\) ms)$/\1/p' | head -n 1 | grep .
}

# Print the wall time of "$@" in milliseconds.
bench_time_ms() {
    local t0 t1
    t0=$(date +%s%N)
    "$@" >/dev/null || return 1
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000000))
}

bench_raw_args() {
    local log=$E2E_TMP/$1/log/qemu/$2.log
    /usr/bin/python3 "$BENCH_DIR/qmp-raw.py" cmdline "$log" \
        "${4:-$BENCH_RAW_DIR/console.log}" "$BENCH_RAW_SOCK" > "$3"
}

# The pid is kept in a file: bench_compare runs FN in a subshell.
bench_raw_start() {
    local -a args
    mapfile -d '' -t args < "$1"
    [ ${#args[@]} -gt 0 ] || { echo "raw: empty command line in $1" >&2; return 1; }
    bench_raw_stop 2>/dev/null
    rm -f "$BENCH_RAW_SOCK"
    # Without the virsh sessions' pipes, as libvirt starts QEMU: with no
    # descriptor but its own.
    (
        # shellcheck disable=SC2154 # set by tests/e2e/lib/libvirt.sh
        for fd in ${_e2e_session_fd[@]+"${_e2e_session_fd[@]}"}; do
            [ -z "$fd" ] || eval "exec $fd>&-"
        done
        exec "${args[@]}"
    ) < /dev/null >> "$BENCH_RAW_DIR/qemu.log" 2>&1 &
    local pid=$!
    echo "$pid" > "$BENCH_RAW_DIR/qemu.pid"
    for _ in $(seq 1 600); do
        [ -S "$BENCH_RAW_SOCK" ] && return 0
        _bench_alive "$pid" || break
        sleep 0.05
    done
    echo "raw: QEMU did not open its QMP socket:" "$(tail -n 5 "$BENCH_RAW_DIR/qemu.log")" >&2
    bench_raw_stop 2>/dev/null
    return 1
}

bench_raw_qmp() {
    local op=$1
    shift
    /usr/bin/python3 "$BENCH_DIR/qmp-raw.py" "$op" "$BENCH_RAW_SOCK" "$@"
}

# Whether process $1 runs: a zombie does not (it is this shell's child when
# bench_raw_start did not run in a subshell).
_bench_alive() {
    local state
    state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
    [ "${state%% *}" != Z ]
}

# As libvirt destroys a domain: SIGTERM, SIGKILL if that was not enough.
bench_raw_stop() {
    local pidfile=${BENCH_RAW_DIR:-/nonexistent}/qemu.pid pid rc=0
    [ -f "$pidfile" ] || return 0
    pid=$(cat "$pidfile")
    rm -f "$pidfile"
    if _bench_alive "$pid"; then
        kill -TERM "$pid"
        for _ in $(seq 1 100); do
            _bench_alive "$pid" || break
            sleep 0.05
        done
        _bench_alive "$pid" && kill -KILL "$pid"
    else
        echo "raw: QEMU $pid had exited:" "$(tail -n 5 "$BENCH_RAW_DIR/qemu.log")" >&2
        rc=1
    fi
    wait "$pid" 2>/dev/null
    return $rc
}

# Print "median min max" of the numbers on stdin.
_bench_stats() {
    sort -g | awk '{ v[NR] = $1 }
        END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
              print m, v[1], v[NR] }'
}

bench_compare() {
    local name=$1 repeats=$2 fn=$3 side t
    shift 3
    local -a sides=("$@")
    [ ${#sides[@]} -gt 0 ] || sides=(ours stock)
    local -A times=() med=()
    # One untimed round each: QEMU capabilities get probed and cached, the
    # QEMU binary and the guest files are in the page cache.
    for side in "${sides[@]}"; do
        "$fn" "$side" >/dev/null || { echo "$name: $side: warm-up failed" >&2; return 1; }
    done
    for _ in $(seq 1 "$repeats"); do
        for side in "${sides[@]}"; do
            t=$("$fn" "$side") || { echo "$name: $side failed" >&2; return 1; }
            case $t in
                ''|*[!0-9.]*) echo "$name: $side: not a time in ms: '$t'" >&2; return 1 ;;
            esac
            times[$side]="${times[$side]:-} $t"
        done
    done
    local line unit=" ms" med_i min max
    line=$(printf '%-44s' "$name")
    for side in "${sides[@]}"; do
        read -r med_i min max < <(printf '%s\n' ${times[$side]} | _bench_stats)
        med[$side]=$med_i
        line="$line $(printf ' %s %.1f%s [%.1f-%.1f]' "$side" "$med_i" "$unit" "$min" "$max")"
        unit=""
    done
    for side in "${sides[@]}"; do
        [ "$side" != ours ] || continue
        line="$line $(awk -v a="${med[ours]}" -v b="${med[$side]}" -v s="$side" \
            'BEGIN { if (b > 0) printf " ours/%s %.2f", s, a / b; else printf " ours/%s -", s }')"
    done
    printf '%s  (median of %d)\n' "$line" "$repeats"
}
