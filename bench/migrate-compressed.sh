#!/bin/bash
# Benchmark (F6): live migration of a busy x86_64 TCG guest (512 MiB, its
# /init rewriting a 256 MiB file of compressible text at 24 MiB/s,
# kp.dirty=256:24) over a slow link, on Debian's QEMU 7.2, between two
# "hosts": network namespaces kpBs$$ (10.255.0.1) and kpBd$$ (10.255.0.2)
# joined by a veth pair, each veth throttled with tc (tbf 256mbit burst
# 256kbit latency 50ms: QEMU's max-bandwidth counts the bytes before
# multifd compression, so it does not model a slow link). Three sides, in
# turns, in one run:
#
#   ours   this build: a private virtqemud per host, client-driven
#          "virsh migrate --live --parallel --parallel-connections N
#          [--compressed --comp-methods zlib|zstd]" (default levels), and
#          "--compressed --comp-methods mt" (legacy compression, QEMU's
#          default threads, no --parallel)
#   stock  Debian's stock libvirt 9.0, a private libvirtd per host: the
#          same without zlib/zstd, which it does not know (none with
#          --parallel N, and mt)
#   raw    the same QMP commands sent straight to two QEMUs started with
#          the command lines this build's libvirt ran for the guest (the
#          destination's with -incoming defer): qmp-raw.py migrate
#
# Per migration: whether it converged (completed within BENCH_CAP s of
# QEMU's own clock; one that has not is cancelled: domjobabort /
# migrate_cancel), QEMU's 'total-time' (migrate command to completion) and
# 'downtime', read from query-migrate on all three sides (libvirt's replies
# from the source daemon's log), the switchover answer (QEMU stops the guest
# and waits for migrate-continue: from its pre-switchover event to its
# device event, by QEMU's event timestamps; the part of the downtime the
# client of QEMU adds), the wall time of the client command (virsh
# migrate; raw: the destination QEMU's start to its cont), and the bytes the
# source's veth sent. A migration goes from the host the guest is on to the
# other one (the guests move back and forth, so they keep dirtying in
# steady state); while one side migrates, the other sides' guests are
# paused, so that their TCG vCPUs stay off this machine's CPUs, and each
# migrated guest runs BENCH_SETTLE s before its migration starts. After
# each migration the guest must print a new KP-REPORT line on the host it is
# on. Output: one line per migration, then one table line per method x
# connections with per side the converged count, the median total-time
# [min-max], the median downtime and MiB on the wire, the median wall times,
# and the ratios of the median total-times ours/raw and ours/stock (for
# zlib/zstd: against stock mt and against stock none with as many
# connections); last, per side, the median switchover answer of all its
# migrations.
#
#   BENCH_REPEAT   repetitions per side and migration (default REPEATS, as
#                  the other benchmarks, or 3)
#   BENCH_CONNS    parallel connections (default "1 2 4")
#   BENCH_METHODS  (default "none zlib zstd mt")
#   BENCH_CAP      seconds a migration gets to converge (default 120)
#   BENCH_SETTLE   seconds a guest runs before its migration (default 3)
#   BENCH_QUICK=1  BENCH_REPEAT=1 and BENCH_CONNS=2 unless set: for
#                  development
#   BENCH_KEEP     a directory: the logs (the whole temp dir) are copied
#                  there at the end

set -uo pipefail
. "$(dirname "$0")/lib.sh"

if [ "${BENCH_QUICK:-0}" = 1 ]; then
    : "${BENCH_REPEAT:=1}" "${BENCH_CONNS:=2}"
fi
REPEAT=${BENCH_REPEAT:-${REPEATS:-3}}
CONNS=${BENCH_CONNS:-"1 2 4"}
METHODS=${BENCH_METHODS:-"none zlib zstd mt"}
CAP=${BENCH_CAP:-120}
SETTLE=${BENCH_SETTLE:-3}
DOM=kp-bench-mig
# The guest's two host names, their namespaces and addresses.
declare -A NS=([a]=kpBs$$ [b]=kpBd$$) IP=([a]=10.255.0.1 [b]=10.255.0.2)
declare -A PORT=([ours]=49152 [stock]=49153 [raw]=49154)
# Where each side's guest is now (a or b).
declare -A LOC=([ours]=a [stock]=a [raw]=a)
# Results, per "METHOD:CONNS:SIDE": space-separated values of the runs.
declare -A R_CONV R_TOTAL R_DOWN R_WALL R_MIB R_RUNS R_BROKEN R_NOFIG R_SWITCH
BROKEN_MULTIFD=0 N_BROKEN=0

bench_stock_install libvirt-daemon || exit 1
e2e_init
[ -z "${BENCH_KEEP:-}" ] ||
    e2e_on_exit "rm -rf '$BENCH_KEEP'; cp -a '$E2E_TMP' '$BENCH_KEEP'; rm -f '$BENCH_KEEP/initrd'"
start_s=$SECONDS

other() { [ "$1" = a ] && echo b || echo a; }
veth() { echo "v-${NS[$1]}"; }
die() { echo "migrate-compressed: $*" >&2; exit 1; }

netns_pair "${NS[a]}" "${IP[a]}/24" "${NS[b]}" "${IP[b]}/24" ||
    die "cannot create the network namespaces"
for h in a b; do
    ip netns exec "${NS[$h]}" tc qdisc add dev "$(veth $h)" root \
        tbf rate 256mbit burst 256kbit latency 50ms || die "tc on $(veth $h) failed"
done
daemon_start ours-a --netns "${NS[a]}" --hostname kp-bench-oa \
        --host-uuid 11111111-2222-3333-4444-0000000006a1 &&
    daemon_start ours-b --netns "${NS[b]}" --hostname kp-bench-ob \
        --host-uuid 11111111-2222-3333-4444-0000000006b1 ||
    die "this build's daemons do not start"
bench_stock_daemon_start stock-a --netns "${NS[a]}" --hostname kp-bench-sa \
        --host-uuid 11111111-2222-3333-4444-0000000006a2 &&
    bench_stock_daemon_start stock-b --netns "${NS[b]}" --hostname kp-bench-sb \
        --host-uuid 11111111-2222-3333-4444-0000000006b2 --caps-from stock-a ||
    die "the stock daemons do not start"

guest_initramfs x86_64 "$E2E_TMP/initrd" || die "cannot build the initramfs"
console() { echo "$E2E_TMP/$1-$2.log"; }
daemon_log() {
    if [ "$1" = stock ]; then echo "$E2E_TMP/stock-$2/log/libvirtd.log"
    else echo "$E2E_TMP/ours-$2/log/virtqemud.log"; fi
}

# raw_args SIDELOG HOST OUT: the command line of the last QEMU start in
# SIDELOG's domain log (a daemon name), for raw QEMU HOST, run in HOST's
# namespace (ip netns exec keeps the pid: it execs QEMU).
raw_args() {
    bench_raw_select "$2"
    bench_raw_args "$1" "$DOM" "$3.tmp" "$(console raw "$2")" || return 1
    { printf '%s\0' ip netns exec "${NS[$2]}"; cat "$3.tmp"; } > "$3"
    rm -f "$3.tmp"
}

for side in ours stock; do
    GUEST_MEMORY_MIB=512 GUEST_CMDLINE_EXTRA="kp.dirty=256:24" \
        guest_domain_xml x86_64 "$DOM" "$(guest_kernel x86_64)" "$E2E_TMP/initrd" \
        "$(console $side a)" > "$E2E_TMP/$side.xml"
done

# guest_start SIDE: a fresh guest on host a (also after a migration broke
# one), running; guest_wait SIDE: until it has filled its working set.
guest_start() {
    local out h
    LOC[$1]=a
    if [ "$1" = raw ]; then
        for h in a b; do
            bench_raw_select $h
            bench_raw_stop 2>/dev/null
        done
        bench_raw_select a
        bench_raw_start "$E2E_TMP/raw-boot.args" && bench_raw_qmp cont
        return
    fi
    for h in a b; do
        bench_virsh_host "$1" "$1-$h" destroy "$DOM" >/dev/null 2>&1
    done
    out=$(bench_virsh_host "$1" "$1-a" create "$E2E_TMP/$1.xml" 2>&1) ||
        { echo "$1: the guest does not start: $out" >&2; return 1; }
}
guest_wait() {
    guest_report_wait "$(console "$1" a)" '^KP-DIRTY size_mib=256 ' 300 >/dev/null ||
        { echo "$1: no KP-DIRTY line: $(tail -n 3 "$(console "$1" a)")" >&2; return 1; }
}
guest_start ours && guest_start stock || exit 1
raw_args ours-a a "$E2E_TMP/raw-boot.args" || die "raw: no command line"
guest_start raw || die "raw: QEMU does not start"
for side in ours stock raw; do
    guest_wait $side || exit 1
done
echo "# setup (daemons, guests filled) took $((SECONDS - start_s)) s"

# guest_pause SIDE, guest_resume SIDE: on the host the guest is on
guest_pause() {
    if [ "$1" = raw ]; then
        bench_raw_select "${LOC[raw]}"
        bench_raw_qmp stop
    else
        bench_virsh_host "$1" "$1-${LOC[$1]}" suspend "$DOM" >/dev/null
    fi
}
guest_resume() {
    if [ "$1" = raw ]; then
        bench_raw_select "${LOC[raw]}"
        bench_raw_qmp cont
    else
        bench_virsh_host "$1" "$1-${LOC[$1]}" resume "$DOM" >/dev/null
    fi
}
for side in ours stock raw; do
    guest_pause $side || die "$side: cannot pause the guest"
done

# QEMU's total-time and downtime of the last completed migration in daemon
# log $1 after its first $2 bytes: "TOTAL DOWNTIME".
log_stats() {
    local reply
    reply=$(tail -c +"$(($2 + 1))" "$1" | grep 'QEMU_MONITOR_RECV_REPLY' |
            grep '"status": "completed"' | grep '"total-time"' | tail -n 1)
    [ -n "$reply" ] || return 1
    echo "$(grep -o '"total-time": [0-9]*' <<< "$reply" | grep -o '[0-9]*$')" \
         "$(grep -o '"downtime": [0-9]*' <<< "$reply" | grep -o '[0-9]*$')"
}

# The switchover answer of the migration in daemon log $1 after its first $2
# bytes: ms from QEMU's pre-switchover event to its device event, or "-".
log_switchover() {
    tail -c +"$(($2 + 1))" "$1" | grep 'QEMU_MONITOR_RECV_EVENT.*"event": "MIGRATION"' |
        sed -n 's/.*"seconds": \([0-9]*\), "microseconds": \([0-9]*\)}.*"status": "\([a-z-]*\)".*/\1 \2 \3/p' |
        awk '$3 == "pre-switchover" { ps = $1; pu = $2 }
             $3 == "device" && ps != "" { ds = $1; du = $2 }
             END { if (ds != "") printf "%.1f\n", (ds - ps) * 1000 + (du - pu) / 1000; else print "-" }'
}

# mig_libvirt SIDE METHOD CONNS: one migration by ours or stock; sets
# M_STATUS (completed|cancelled), M_TOTAL, M_DOWN, M_SWITCH, M_WALL
mig_libvirt() {
    local side=$1 method=$2 conns=$3 from=${LOC[$1]} to pid log off t0 dl stats
    to=$(other "$from")
    local src=$side-$from dst=$side-$to
    local -a opts=(--live)
    case $method in
        mt) opts+=(--compressed --comp-methods mt) ;;
        none) opts+=(--parallel --parallel-connections "$conns") ;;
        *) opts+=(--parallel --parallel-connections "$conns" --compressed --comp-methods "$method") ;;
    esac
    bench_virsh_host "$side" "$src" dumpxml --migratable "$DOM" |
        sed "s|$(console "$side" "$from")|$(console "$side" "$to")|g" > "$E2E_TMP/$side-$to.xml"
    log=$(daemon_log "$side" "$from")
    off=$(stat -c %s "$log")
    t0=$(date +%s%N)
    bench_virsh_host "$side" "$src" migrate "${opts[@]}" --xml "$E2E_TMP/$side-$to.xml" \
        "$DOM" "$(e2e_uri "$dst")" "tcp://${IP[$to]}:${PORT[$side]}" > "$E2E_TMP/migrate.out" 2>&1 &
    pid=$!
    # QEMU's migration starts after the destination's QEMU: 10 s more
    # here, and whether it converged is decided on QEMU's clock.
    dl=$((SECONDS + CAP + 10))
    while kill -0 $pid 2>/dev/null && [ $SECONDS -lt $dl ]; do
        sleep 0.1
    done
    local aborted=0
    if kill -0 $pid 2>/dev/null; then
        aborted=1
        bench_virsh_host "$side" "$src" domjobabort "$DOM" > "$E2E_TMP/abort.out" 2>&1 ||
            echo "$side: domjobabort: $(cat "$E2E_TMP/abort.out")" >&2
    fi
    if wait $pid; then
        M_WALL=$((($(date +%s%N) - t0) / 1000000))
        stats=$(log_stats "$log" "$off") || {
            echo "$side: no completed query-migrate in $log" >&2; return 1; }
        read -r M_TOTAL M_DOWN <<< "$stats"
        M_SWITCH=$(log_switchover "$log" "$off")
        M_STATUS=completed
        LOC[$side]=$to
    else
        M_WALL=$((($(date +%s%N) - t0) / 1000000))
        M_STATUS=cancelled M_TOTAL=- M_DOWN=- M_SWITCH=-
        if [ $aborted = 0 ]; then
            echo "$side: virsh migrate failed: $(cat "$E2E_TMP/migrate.out")" >&2
            return 1
        fi
    fi
}

# mig_raw METHOD CONNS: the same with qmp-raw.py migrate
mig_raw() {
    local method=$1 conns=$2 from=${LOC[raw]} to src_sock out t0 rc
    to=$(other "$from")
    bench_raw_select "$from"
    src_sock=$BENCH_RAW_SOCK
    t0=$(date +%s%N)
    bench_raw_select "$to"
    bench_raw_start "$E2E_TMP/raw-in-$to.args" || return 1
    out=$(/usr/bin/python3 "$BENCH_DIR/qmp-raw.py" migrate "$src_sock" "$BENCH_RAW_SOCK" \
              "${IP[$to]}" "${PORT[raw]}" "$method" "$conns" "$((CAP + 10))")
    rc=$?
    M_WALL=$((($(date +%s%N) - t0) / 1000000))
    [ $rc = 0 ] || { bench_raw_stop 2>/dev/null; return 1; }
    read -r M_STATUS M_TOTAL M_DOWN M_SWITCH <<< "$out"
    if [ "$M_STATUS" = completed ]; then
        bench_raw_select "$from"
        bench_raw_stop || return 1
        LOC[raw]=$to
    else
        # A cancelled incoming migration ends the destination QEMU.
        bench_raw_stop 2>/dev/null
    fi
}

# run_one SIDE METHOD CONNS [LABEL]: one migration, printed and (with a
# LABEL) recorded
run_one() {
    local side=$1 method=$2 conns=$3 label=${4:-} key=$2:$3:$1 tx0 tx1 mib conv mark con
    guest_resume "$side" || { echo "$side: cannot resume the guest" >&2; return 1; }
    sleep "$SETTLE"
    local from=${LOC[$side]}
    tx0=$(bench_tx_bytes "${NS[$from]}" "$(veth "$from")")
    if [ "$side" = raw ]; then
        mig_raw "$method" "$conns" || { echo "raw: $method $conns: migration failed" >&2; return 1; }
    else
        mig_libvirt "$side" "$method" "$conns" || return 1
    fi
    tx1=$(bench_tx_bytes "${NS[$from]}" "$(veth "$from")")
    mib=$(awk -v b=$((tx1 - tx0)) 'BEGIN { printf "%.1f", b / 1048576 }')
    # QEMU 7.2 reports the completed state (event and query-migrate)
    # before it has set total-time and downtime: a query-migrate right
    # after the event may read 0 for both. libvirt's single query then has
    # no figure (qmp-raw.py asks again): counted as converged within the
    # wall time, left out of the times.
    conv=no nofig=0
    if [ "$M_STATUS" = completed ] && [ "$M_TOTAL" = 0 ]; then
        nofig=1
        [ "$M_WALL" -le $((CAP * 1000)) ] && conv=yes
    elif [ "$M_STATUS" = completed ] && [ "$M_TOTAL" -le $((CAP * 1000)) ]; then
        conv=yes
    fi
    # The guest runs where it is now: a new report on its console.
    con=$(console "$side" "${LOC[$side]}")
    mark=$(guest_log_mark "$con")
    local alive=yes
    if ! guest_report_wait "$con" '^KP-REPORT seq=' 30 "$mark" >/dev/null 2>&1; then
        # QEMU 7.2's legacy compression sometimes corrupts the guest's
        # memory: its kernel oopses at once on the destination.
        alive=no
        echo "  $side $method c$conns: the guest does not run on host ${LOC[$side]} after the migration:" \
            "$(grep -a -m 1 -E 'BUG|general protection|Oops|panic' "$con" | tr -d '\r')"
        # Its console is kept (BENCH_KEEP); the new guest starts on a.
        N_BROKEN=$((N_BROKEN + 1))
        mv "$con" "$con.broken-$N_BROKEN"
        [ "${LOC[$side]}" = a ] || mv "$(console "$side" a)" "$(console "$side" a).old-$N_BROKEN"
        guest_start "$side" && guest_wait "$side" || return 1
    fi
    guest_pause "$side" || { echo "$side: cannot pause the guest" >&2; return 1; }
    printf '  %-5s %-4s %-5s %-7s %-9s converged %-3s total %6s ms  downtime %5s ms  switchover %5s ms  wall %6s ms  wire %6s MiB  guest alive %s\n' \
        "$side" "$method" "c$conns" "${label:-warm-up}" "$M_STATUS" "$conv" "$M_TOTAL" "$M_DOWN" \
        "$M_SWITCH" "$M_WALL" "$mib" "$alive"
    [ -n "$label" ] || return 0
    R_RUNS[$key]=$((${R_RUNS[$key]:-0} + 1))
    if [ $alive = no ]; then
        R_BROKEN[$key]=$((${R_BROKEN[$key]:-0} + 1))
        [ "$method" = mt ] || BROKEN_MULTIFD=1
    fi
    R_WALL[$key]="${R_WALL[$key]:-} $M_WALL"
    R_MIB[$key]="${R_MIB[$key]:-} $mib"
    case $M_SWITCH in
        ''|-|*[!0-9.]*) ;;
        *) R_SWITCH[$side]="${R_SWITCH[$side]:-} $M_SWITCH" ;;
    esac
    [ $nofig = 0 ] || R_NOFIG[$key]=$((${R_NOFIG[$key]:-0} + 1))
    if [ $conv = yes ]; then
        R_CONV[$key]=$((${R_CONV[$key]:-0} + 1))
        if [ $nofig = 0 ]; then
            R_TOTAL[$key]="${R_TOTAL[$key]:-} $M_TOTAL"
            R_DOWN[$key]="${R_DOWN[$key]:-} $M_DOWN"
        fi
    fi
}

# The migrations: "METHOD CONNS SIDES...".
configs=()
for m in $METHODS; do
    case $m in
        mt) configs+=("mt - ours stock raw") ;;
        none) for c in $CONNS; do configs+=("none $c ours stock raw"); done ;;
        zlib|zstd) for c in $CONNS; do configs+=("$m $c ours raw"); done ;;
        *) die "unknown method $m" ;;
    esac
done

echo "# migrations: ${#configs[@]} x $REPEAT per side, cap ${CAP} s, settle ${SETTLE} s;" \
     "link 256 Mbit/s (tc tbf); guest 512 MiB, kp.dirty=256:24; QEMU 7.2 TCG"
# Untimed, one each: the raw side's destination command line is the one
# this build's libvirt ran on the destination of its first migration.
warm_conns=${CONNS%% *}
run_one ours zstd "$warm_conns" || die "ours: warm-up failed"
raw_args ours-b a "$E2E_TMP/raw-in-a.args" && raw_args ours-b b "$E2E_TMP/raw-in-b.args" ||
    die "raw: no destination command line"
grep -qz '^defer$' "$E2E_TMP/raw-in-a.args" || die "raw: the destination command line has no -incoming defer"
run_one stock mt - || die "stock: warm-up failed"
run_one raw zstd "$warm_conns" || die "raw: warm-up failed"

status=0
for rep in $(seq 1 "$REPEAT"); do
    for cfg in "${configs[@]}"; do
        read -r m c sides <<< "$cfg"
        for side in $sides; do
            run_one "$side" "$m" "$c" "#$rep" || { status=1; break 3; }
        done
    done
done

# --- the table ---------------------------------------------------------------

# med KEY ARRAY: "median min max" of ARRAY[KEY], or nothing
stats_of() {
    local -n arr=$2
    [ -n "${arr[$1]:-}" ] || return 0
    printf '%s\n' ${arr[$1]} | _bench_stats
}
median_of() { stats_of "$1" "$2" | awk '{ print $1 }'; }
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b != "" && b > 0) printf "%.2f", a / b; else printf "-" }'
}
cell() {
    local key=$1 runs=${R_RUNS[$1]:-0} med min max
    [ "$runs" -gt 0 ] || { echo "-"; return; }
    read -r med min max < <(stats_of "$key" R_TOTAL)
    if [ -n "${med:-}" ]; then
        printf '%d/%d, %.0f [%.0f-%.0f], %.0f, %.1f' "${R_CONV[$key]:-0}" "$runs" "$med" "$min" "$max" \
            "$(median_of "$key" R_DOWN)" "$(median_of "$key" R_MIB)"
    else
        printf '%d/%d, -, -, %.1f' "${R_CONV[$key]:-0}" "$runs" "$(median_of "$key" R_MIB)"
    fi
    [ -z "${R_NOFIG[$key]:-}" ] || printf ' (total-time 0: %d)' "${R_NOFIG[$key]}"
    [ -z "${R_BROKEN[$key]:-}" ] || printf ' (guest broken: %d)' "${R_BROKEN[$key]}"
}
wall() {
    local k=$1 s out=""
    local v
    for s in ours stock raw; do
        v=$(median_of "$k:$s" R_WALL)
        [ -n "$v" ] && v=$(printf '%.0f' "$v")
        out="$out / ${v:--}"
    done
    echo "${out# / }"
}
echo
echo "Live migration over 256 Mbit/s, 512 MiB x86_64 TCG guest dirtying 256 MiB of text at 24 MiB/s," \
     "QEMU 7.2; per side: converged/runs, QEMU total-time median [min-max] ms, downtime ms, MiB on the wire" \
     "(medians of the converged runs, cap ${CAP} s); wall: the client's time, ours / stock / raw"
echo
echo "| migration | this build | stock 9.0 | raw QMP | wall ms | ours/raw | ours/stock |"
echo "|-----------|-----------|-----------|---------|---------|---------:|-----------:|"
for cfg in "${configs[@]}"; do
    read -r m c sides <<< "$cfg"
    k=$m:$c
    ours=$(median_of "$k:ours" R_TOTAL)
    vs_stock=-
    case $m in
        none|mt) vs_stock=$(ratio "$ours" "$(median_of "$k:stock" R_TOTAL)") ;;
        *) vs_stock="mt $(ratio "$ours" "$(median_of "mt:-:stock" R_TOTAL)"), none $(ratio "$ours" "$(median_of "none:$c:stock" R_TOTAL)")" ;;
    esac
    name="$m, $c conn"
    [ "$m" = mt ] && name="mt (legacy, no --parallel)"
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$(cell "$k:ours")" "$(cell "$k:stock")" \
        "$(cell "$k:raw")" "$(wall "$k")" "$(ratio "$ours" "$(median_of "$k:raw" R_TOTAL)")" "$vs_stock"
done
echo
for side in ours stock raw; do
    read -r med min max < <(stats_of "$side" R_SWITCH)
    [ -n "${med:-}" ] || continue
    printf '# switchover answer %-5s median %.1f ms [%.1f-%.1f] over %d migrations\n' "$side" "$med" "$min" "$max" \
        "$(printf '%s\n' ${R_SWITCH[$side]} | wc -l)"
done
echo "# run time $((SECONDS - start_s)) s"
if [ $BROKEN_MULTIFD = 1 ]; then
    echo "migrate-compressed: a multifd migration left a broken guest" >&2
    status=1
fi
exit $status
