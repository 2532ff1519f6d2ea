# shellcheck shell=bash
# Peer harness: run the same operation against this build ("ours"), against
# Debian's stock libvirt 9.0 ("stock") and straight over QMP with no libvirt
# at all ("raw", the floor), on the same QEMU binary (Debian's 7.2), in one
# run, and report the medians and the ratios ours/stock and ours/raw. Both
# libvirt sides use libvirt's embedded QEMU driver with the same qemu.conf,
# each with its own root directory; the raw side runs the QEMU command line
# this build's libvirt ran for the same domain (see bench_raw_args).
#
#   bench_stock_install [PKG...]  install Debian's libvirt (apt) when missing,
#                                 and the packages PKG... (libvirt-daemon
#                                 for bench_stock_daemon_start's libvirtd)
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
#                                 ratio of ours to each other side: the
#                                 median of the rounds' ratios, with its 95%
#                                 interval (bench/stats.py ratio); FN SIDE
#                                 runs one repetition for SIDE and prints its
#                                 time in ms (fractions allowed). One untimed
#                                 round per SIDE first, then the sides
#                                 alternate, in the order given, each repeat.
#                                 With BENCH_SAMPLES=FILE, each side's times
#                                 in the order taken are appended to FILE, a
#                                 line "NAME<tab>SIDE<tab>TIMES" per side.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH_TOPDIR=$(cd "$BENCH_DIR/.." && pwd)
. "$BENCH_TOPDIR/tests/e2e/lib/tap.sh"
. "$BENCH_TOPDIR/tests/e2e/lib/guest.sh"
. "$BENCH_TOPDIR/tests/e2e/lib/libvirt.sh"

BENCH_STOCK_PACKAGES="libvirt-clients libvirt-daemon-driver-qemu"
BENCH_STOCK_VIRSH=/usr/bin/virsh

bench_stock_install() {
    local missing="" p
    for p in $BENCH_STOCK_PACKAGES "$@"; do
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
        for fd in ${_e2e_session_fd[@]+"${_e2e_session_fd[@]}"} \
                  ${_e2e_session_ofd[@]+"${_e2e_session_ofd[@]}"}; do
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
    local -A times=()
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
        line="$line $(printf ' %s %.1f%s [%.1f-%.1f]' "$side" "$med_i" "$unit" "$min" "$max")"
        unit=""
    done
    local stats ratio low high
    for side in "${sides[@]}"; do
        [ "$side" != ours ] || continue
        # shellcheck disable=SC2086 # the times are words
        stats=$(/usr/bin/python3 "$BENCH_DIR/stats.py" ratio \
            ${times[ours]} -- ${times[$side]}) ||
            { echo "$name: no ratio ours/$side" >&2; return 1; }
        read -r ratio low high <<< "$stats"
        if [ "$ratio" = - ]; then
            line="$line  ours/$side -"
        else
            line="$line  ours/$side $ratio [$low-$high]"
        fi
    done
    printf '%s  (median of %d)\n' "$line" "$repeats"
    if [ -n "${BENCH_SAMPLES:-}" ]; then
        for side in "${sides[@]}"; do
            printf '%s\t%s\t%s\n' "$name" "$side" "${times[$side]# }" >> "$BENCH_SAMPLES"
        done
    fi
}

# --- two hosts, for the migration benchmarks ---------------------------------
#
#   bench_stock_daemon_start NAME [OPTS]
#                                 daemon_start (tests/e2e/lib/libvirt.sh) for
#                                 Debian's stock libvirt: /usr/sbin/libvirtd
#                                 (Debian 12 ships no modular virtqemud) with
#                                 Debian's own libraries and its directories
#                                 (/etc/libvirt, /var/lib/libvirt, ...) bound
#                                 to $E2E_TMP/NAME/... in its own mount
#                                 namespace; the same options (--netns,
#                                 --hostname, --host-uuid), qemu.conf and log
#                                 settings; its URI is E2E_URI_<NAME>, for
#                                 vsh and bench_virsh_host. It leaves the e2e
#                                 QEMU capabilities cache alone (this build's);
#                                 a --caps-from OTHER copies the capabilities
#                                 OTHER's daemon probed. Stopped at exit.
#   bench_stock_daemon_stop NAME  stop it (its domains are destroyed first)
#   bench_virsh_host SIDE NAME ARGS...
#                                 virsh of SIDE (ours|stock) on daemon NAME
#                                 (ours: waits up to 2 min for the built
#                                 virsh while the build tree is relinked)
#   bench_raw_select NAME         make the bench_raw_* functions work on raw
#                                 QEMU NAME: its own directory
#                                 $E2E_TMP/raw-NAME (BENCH_RAW_DIR) and QMP
#                                 socket (BENCH_RAW_SOCK), stopped at exit;
#                                 for two raw QEMUs at a time
#   bench_tx_bytes NS DEV         bytes sent so far by network device DEV of
#                                 network namespace NS

# Debian's configure directories: /etc, /var, /run.
BENCH_STOCK_LIBVIRTD=/usr/sbin/libvirtd

bench_stock_daemon_start() {
    local name=$1
    shift
    local netns="" hostname="" uuid="" caps_from=""
    while [ $# -gt 0 ]; do
        case $1 in
            --netns) netns=$2; shift 2 ;;
            --hostname) hostname=$2; shift 2 ;;
            --host-uuid) uuid=$2; shift 2 ;;
            --caps-from) caps_from=$2; shift 2 ;;
            *) echo "bench_stock_daemon_start: unknown option $1" >&2; return 1 ;;
        esac
    done
    [ -x "$BENCH_STOCK_LIBVIRTD" ] || { echo "no $BENCH_STOCK_LIBVIRTD" >&2; return 1; }
    local dir=$E2E_TMP/$name b script="set -e" d
    local -a binds=(
        "$dir/etc:/etc/libvirt"
        "$dir/lib:/var/lib/libvirt"
        "$dir/cache:/var/cache/libvirt"
        "$dir/log:/var/log/libvirt"
        "$dir/run:/run/libvirt"
    )
    for b in "${binds[@]}"; do
        d=${b#*:}
        # A mount point the package did not make: removed again at exit.
        if [ ! -d "$d" ]; then
            mkdir -p "$d" || return 1
            e2e_on_exit "rmdir '$d'"
        fi
        mkdir -p "${b%%:*}"
        script="$script; mount --bind '${b%%:*}' '$d'"
    done
    [ -z "$hostname" ] || script="$script; hostname '$hostname'"
    _e2e_write_qemu_conf "$dir/etc/qemu.conf"
    if [ -n "$caps_from" ] && [ -d "$E2E_TMP/$caps_from/cache/qemu/capabilities" ]; then
        mkdir -p "$dir/cache/qemu"
        cp -a "$E2E_TMP/$caps_from/cache/qemu/capabilities" "$dir/cache/qemu/"
    fi
    {
        echo "log_outputs = \"1:file:$dir/log/libvirtd.log\""
        echo 'log_filters = "1:qemu 1:conf 1:security 3:object 3:json 3:event 3:util 1:util.command"'
        [ -z "$uuid" ] || echo "host_uuid = \"$uuid\""
    } > "$dir/etc/libvirtd.conf"
    local -a wrap=()
    [ -z "$netns" ] || wrap=(ip netns exec "$netns")
    # Not through ./run: Debian's libvirtd with Debian's libraries.
    "${wrap[@]}" env -u LD_LIBRARY_PATH unshare --mount --propagation private --uts \
        bash -c "$script; exec '$BENCH_STOCK_LIBVIRTD' --config '$dir/etc/libvirtd.conf' --pid-file '$dir/run/libvirtd.pid'" \
        > "$dir/log/stdout.log" 2>&1 &
    _e2e_daemon_pid[$name]=$!
    _e2e_daemon_dir[$name]=$dir
    e2e_on_exit "bench_stock_daemon_stop $name"
    local sock=$dir/run/libvirt-sock
    printf -v "E2E_URI_$(_e2e_var "$name")" '%s' "qemu+unix:///system?socket=$sock"
    # The first start probes every QEMU binary: 10-20 s here.
    for _ in $(seq 1 600); do
        if [ -S "$sock" ] && bench_virsh_host stock "$name" version >/dev/null 2>&1; then
            return 0
        fi
        kill -0 "${_e2e_daemon_pid[$name]}" 2>/dev/null || break
        sleep 0.1
    done
    echo "stock daemon $name did not come up:" \
        "$(tail -n 20 "$dir/log/stdout.log" "$dir/log/libvirtd.log" 2>/dev/null)" >&2
    return 1
}

# daemon_stop without saving the capabilities into the e2e cache.
bench_stock_daemon_stop() {
    local name=$1 pid=${_e2e_daemon_pid[$1]:-} d
    [ -n "$pid" ] || return 0
    if kill -0 "$pid" 2>/dev/null; then
        for d in $(bench_virsh_host stock "$name" list --name 2>/dev/null); do
            bench_virsh_host stock "$name" destroy "$d" >/dev/null 2>&1
        done
    fi
    _e2e_stop_pid "$pid"
    _e2e_daemon_pid[$name]=""
}

bench_virsh_host() {
    local side=$1 uri
    uri=$(e2e_uri "$2")
    shift 2
    if [ "$side" = stock ]; then
        LIBVIRT_LOG_OUTPUTS="3:file:$E2E_TMP/stock.log" "$BENCH_STOCK_VIRSH" -q -c "$uri" "$@"
    else
        # The build tree is relinked now and then while a long benchmark
        # runs: the built virsh is missing for a few seconds.
        for _ in $(seq 1 240); do
            [ -x "$E2E_BUILD/tools/virsh" ] && break
            sleep 0.5
        done
        LIBVIRT_LOG_OUTPUTS="3:file:$E2E_TMP/ours.log" "$E2E_RUN" virsh -q -c "$uri" "$@"
    fi
}

declare -A _bench_raw_selected
bench_raw_select() {
    BENCH_RAW_DIR=$E2E_TMP/raw-$1
    BENCH_RAW_SOCK=$BENCH_RAW_DIR/qmp.sock
    mkdir -p "$BENCH_RAW_DIR"
    if [ -z "${_bench_raw_selected[$1]:-}" ]; then
        _bench_raw_selected[$1]=1
        e2e_on_exit "BENCH_RAW_DIR='$BENCH_RAW_DIR' bench_raw_stop"
    fi
}

bench_tx_bytes() {
    ip netns exec "$1" cat "/sys/class/net/$2/statistics/tx_bytes"
}
