#!/bin/bash
# F6: compressed multifd live migration, end to end, between two private
# virtqemud "hosts" in their own network namespaces (distinct hostnames and
# host UUIDs), of an x86_64 TCG guest (256 MiB, 1 vCPU) that keeps dirtying
# 64 MiB of compressible text at 8 MiB/s (kp.dirty=64:8), with QEMU 7.2
# (Debian's) and QEMU 10.0 (bookworm-backports). For each QEMU the guest
# goes back and forth three times, client-driven (virsh talks to both
# daemons), `--live --persistent --parallel --parallel-connections 2` with
# the methods zlib (`--compressed --comp-methods zlib --comp-zlib-level 1`),
# zstd (likewise, level 1) and none (no --compressed). After each:
#  - virsh migrate succeeds, the guest runs on the destination and no longer
#    on the source (whose definition stays, as no --undefinesource is given,
#    so that the source's completed job can be read);
#  - the guest reports on the destination's console (a new file for each
#    migration), with a KP-REPORT seq above the last one it printed before;
#  - the migrate-set-parameters libvirt sent to the source's and the
#    destination's QEMU (the daemons' logs have the QMP traffic) carry
#    multifd-channels 2 and the method (and its level on the source), and
#    no multifd-compression at all for none;
#  - `virsh domjobinfo --completed` prints 'Compression method: M' on both
#    sides (the destination's comes in the migration cookie), none for none;
#  - the compressed methods put less than half the 'Normal data' of
#    domjobinfo on the link (the veth's tx_bytes: the pages are text); on
#    QEMU 10.0 'Multifd data' is below half of it too (QEMU 7.2 counts
#    the multifd bytes before compression, so not there).
# Then, on QEMU 10.0 (no 'compress' capability): `--compressed --comp-methods
# mt` is refused with an error naming QEMU 9.1, the source's QEMU is never
# told to migrate, and the guest keeps running on the source, in the same
# QEMU. Last, migrate_client.py migrates the QEMU 10.0 guest with Debian's
# python3-libvirt the way OpenStack Nova does (migrateToURI3, peer to peer:
# the source daemon connects to the destination daemon's socket), with
# compression zstd (see there).

. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/guest.sh"
. "$(dirname "$0")/lib/libvirt.sh"
. "$(dirname "$0")/clients/python_client.sh"

CLIENTS_DIR=$(cd "$(dirname "$0")/clients" && pwd)
CLIENT_CHECKS=9
# per QEMU: the guest, 3 migrations of 5 points, the link bytes of the 2
# compressed ones, and on QEMU 10.0 their Multifd data
plan $((1 + 18 + 20 + 4 + CLIENT_CHECKS))
e2e_init

ns1=kpCs$$ ns2=kpCd$$
declare -A ip_of=([src]=10.253.0.1 [dst]=10.253.0.2)
netns_pair "$ns1" "${ip_of[src]}/24" "$ns2" "${ip_of[dst]}/24" ||
    bail_out "cannot create the network namespaces"
daemon_start src --netns "$ns1" --hostname kp-src --host-uuid 11111111-2222-3333-4444-000000000121 &&
    daemon_start dst --netns "$ns2" --hostname kp-dst --host-uuid 11111111-2222-3333-4444-000000000122
ok $? "two private daemons, each in its own network namespace" ||
    bail_out "the daemons do not start"

qemu10=$("$E2E_TOPDIR/scripts/fetch-qemu-backports.sh" --print) ||
    bail_out "cannot fetch QEMU from bookworm-backports"
guest_initramfs x86_64 "$E2E_TMP/initrd" || bail_out "cannot build the initramfs"

daemon_log() {
    echo "$E2E_TMP/$1/log/virtqemud.log"
}

log_lines() {
    wc -l < "$(daemon_log "$1")"
}

# qmp_params SIDE MARK METHOD: what the first migrate-set-parameters sent
# to a QEMU of daemon SIDE after line MARK of its log set: multifd-channels,
# multifd-compression and (unless METHOD is none or -) METHOD's level.
qmp_params() {
    local line ch comp lvl
    line=$(tail -n +"$(($2 + 1))" "$(daemon_log "$1")" |
           grep -a -m1 'QEMU_MONITOR_SEND_MSG: .*"execute":"migrate-set-parameters"')
    ch=$(printf '%s\n' "$line" | sed -n 's/.*"multifd-channels":\([0-9]*\).*/\1/p')
    comp=$(printf '%s\n' "$line" | sed -n 's/.*"multifd-compression":"\([a-z]*\)".*/\1/p')
    printf 'channels=%s compression=%s' "${ch:--}" "${comp:--}"
    case $3 in
        none|-) ;;
        *) lvl=$(printf '%s\n' "$line" | sed -n "s/.*\"multifd-$3-level\":\\([0-9]*\\).*/\\1/p")
           printf ' %s-level=%s' "$3" "${lvl:--}" ;;
    esac
    echo
}

# job_field OUTPUT NAME: the value of 'NAME:' in domjobinfo OUTPUT, or -.
job_field() {
    local v
    v=$(printf '%s\n' "$1" | sed -n "s/^$2: *//p" | sed 's/ *$//')
    echo "${v:--}"
}

# job_kib OUTPUT NAME: a size field of domjobinfo OUTPUT in KiB (0 if absent).
job_kib() {
    job_field "$1" "$2" | awk '{
        f["B"] = 1 / 1024; f["KiB"] = 1; f["MiB"] = 1024; f["GiB"] = 1048576
        printf "%d\n", ($2 in f) ? $1 * f[$2] : 0 }'
}

last_seq() {
    guest_report_field "$(grep -a '^KP-REPORT seq=' "$1" | tail -n 1)" seq
}

# migrate_check FROM TO METHOD: migrate $dom (console $cur_log) from daemon
# FROM to daemon TO with METHOD (none, zlib or zstd), 5 or 6 points.
mig_n=0
# tx_bytes SIDE: bytes SIDE's end of the veth pair sent so far
tx_bytes() {
    local ns=$ns1
    [ "$1" = src ] || ns=$ns2
    ip netns exec "$ns" cat "/sys/class/net/v-$ns/statistics/tx_bytes"
}

migrate_check() {
    local from=$1 to=$2 m=$3 label="QEMU $qemu_label, $3, $1 -> $2"
    local new_log port out rc t0 tx0 wire prev line seq mark_from mark_to jfrom jto want desc
    mig_n=$((mig_n + 1))
    new_log=$E2E_TMP/$dom-$mig_n.log
    port=$((49152 + mig_n))
    local -a opts=(--live --persistent --parallel --parallel-connections 2)
    [ "$m" = none ] || opts+=(--compressed --comp-methods "$m" "--comp-$m-level" 1)

    # The destination writes the console to its own file: the serial
    # source path is not part of the guest ABI.
    vsh "$from" dumpxml --migratable "$dom" | sed "s|$cur_log|$new_log|g" > "$E2E_TMP/mig.xml"
    grep -q "$new_log" "$E2E_TMP/mig.xml" || bail_out "$label: no console $cur_log in the XML"
    mark_from=$(log_lines "$from")
    mark_to=$(log_lines "$to")
    tx0=$(tx_bytes "$from")
    t0=$(date +%s%N)
    out=$(vsh "$from" migrate "${opts[@]}" --xml "$E2E_TMP/mig.xml" \
          "$dom" "$(e2e_uri "$to")" "tcp://${ip_of[$to]}:$port" 2>&1)
    rc=$?
    wire=$((($(tx_bytes "$from") - tx0) / 1024))
    ok $rc "$label: virsh migrate ${opts[*]} ($((($(date +%s%N) - t0) / 1000000)) ms)" ||
        diag "$out" "$(tail -n 20 "$E2E_TMP/$to/log/qemu/$dom.log" 2>/dev/null)"

    is "$(vsh "$to" domstate "$dom" 2>&1) / $(vsh "$from" domstate "$dom" 2>&1)" "running / shut off" \
        "$label: the guest runs on $to, no longer on $from"

    prev=$(last_seq "$cur_log")
    line=$(guest_report_wait "$new_log" '^KP-REPORT seq=' 30)
    seq=$(guest_report_field "$line" seq)
    [ -n "$prev" ] && [ -n "$seq" ] && [ "$seq" -gt "$prev" ]
    ok $? "$label: the guest goes on reporting on $to's console (seq ${prev:-none} -> ${seq:-none})" ||
        diag "$(tail -n 3 "$new_log" 2>/dev/null)"

    if [ "$m" = none ]; then
        want="$from: channels=2 compression=- / $to: channels=2 compression=-"
    else
        want="$from: channels=2 compression=$m $m-level=1 / $to: channels=2 compression=$m"
    fi
    is "$from: $(qmp_params "$from" "$mark_from" "$m") / $to: $(qmp_params "$to" "$mark_to" -)" "$want" \
        "$label: the migration parameters QEMU got on both sides"

    jfrom=$(vsh "$from" domjobinfo --completed "$dom" 2>&1)
    jto=$(vsh "$to" domjobinfo --completed "$dom" 2>&1)
    want=$m
    [ "$m" != none ] || want=-
    is "$(job_field "$jfrom" 'Compression method') / $(job_field "$jto" 'Compression method')" \
        "$want / $want" "$label: domjobinfo --completed, Compression method on $from / $to" ||
        diag "$from:" "$jfrom" "$to:" "$jto"

    if [ "$m" != none ]; then
        local multifd normal
        normal=$(job_kib "$jfrom" 'Normal data')
        [ "$wire" -gt 0 ] && [ $((wire * 2)) -lt "$normal" ]
        ok $? "$label: $wire KiB on the link, less than half the Normal data ($normal KiB)" ||
            diag "$jfrom"
        if [ "$qemu_label" != 7.2 ]; then
            multifd=$(job_kib "$jfrom" 'Multifd data')
            [ "$multifd" -gt 0 ] && [ $((multifd * 2)) -lt "$normal" ]
            ok $? "$label: Multifd data ($multifd KiB) is less than half the Normal data" ||
                diag "$jfrom"
        fi
    fi
    cur_log=$new_log
}

# guest_start SIDE LABEL EMULATOR UUID: define and start $dom on SIDE, and
# wait for its writer to have filled its 64 MiB (1 point).
guest_start() {
    local out
    qemu_label=$2
    cur_log=$E2E_TMP/$dom-0.log
    GUEST_CMDLINE_EXTRA="kp.dirty=64:8" GUEST_MEMORY_MIB=256 GUEST_EMULATOR=$3 \
        guest_domain_xml x86_64 "$dom" "$(guest_kernel x86_64)" "$E2E_TMP/initrd" "$cur_log" \
        "<uuid>$4</uuid>" > "$E2E_TMP/$dom.xml"
    out=$(vsh "$1" define "$E2E_TMP/$dom.xml" 2>&1 && vsh "$1" start "$dom" 2>&1) &&
        guest_report_wait "$cur_log" '^KP-DIRTY size_mib=64 rate_mib_s=8' 120 >/dev/null
    ok $? "QEMU $2: the guest runs on $1 and dirties 64 MiB of text at 8 MiB/s" ||
        bail_out "the guest did not start: $out $(tail -n 5 "$cur_log" 2>/dev/null)"
}

# QEMU 7.2, starting on src.
dom=kp-migc72-$$
guest_start src 7.2 /usr/bin/qemu-system-x86_64 11111111-2222-3333-4444-0000000012f6
migrate_check src dst zlib
migrate_check dst src zstd
migrate_check src dst none
vsh dst destroy "$dom" >/dev/null 2>&1

# QEMU 10.0, starting on dst, so that it ends on src for what follows.
dom=kp-migc10-$$
guest_start dst 10.0 "$qemu10" 11111111-2222-3333-4444-0000000013f6
migrate_check dst src zlib
migrate_check src dst zstd
migrate_check dst src none

# mt against QEMU 10.0, which has no 'compress' capability.
pid0=$(cat "$E2E_TMP/src/run/qemu/$dom.pid" 2>/dev/null)
mark=$(log_lines src)
cmark=$(guest_log_mark "$cur_log")
vsh src dumpxml --migratable "$dom" | sed "s|$cur_log|$E2E_TMP/$dom-mt.log|g" > "$E2E_TMP/mig.xml"
out=$(vsh src migrate --live --compressed --comp-methods mt --xml "$E2E_TMP/mig.xml" \
      "$dom" "$(e2e_uri dst)" "tcp://${ip_of[dst]}:49200" 2>&1)
like "status $?: $out" "^status [1-9][0-9]*: error: .*'mt'.*QEMU 9\.1" \
    "QEMU 10.0: --compressed --comp-methods mt is refused, naming QEMU 9.1"
diag "mt: $out"
# The destination's QEMU, if one was started, may take a moment to go away.
for i in $(seq 1 50); do
    pids=$(pgrep -f -- "guest=$dom," | xargs)
    [ "$pids" != "$pid0" ] || break
    sleep 0.2
done
is "$(vsh src domstate "$dom" 2>&1) / $(vsh dst domstate "$dom" 2>&1) / QEMU $pids" \
    "running / shut off / QEMU $pid0" \
    "QEMU 10.0, mt: the guest still runs on src, in the same QEMU, and not on dst"
migrates=$(tail -n +"$((mark + 1))" "$(daemon_log src)" |
           grep -a -c 'QEMU_MONITOR_SEND_MSG: .*"execute":"migrate","arguments"')
is "$migrates" 0 "QEMU 10.0, mt: the source's QEMU was never told to migrate"
line=$(guest_report_wait "$cur_log" '^KP-REPORT seq=' 30 "$cmark")
ok $? "QEMU 10.0, mt: the guest reports again on src's console ($(guest_report_field "$line" seq 2>/dev/null))"

# Nova's call through Debian's python3-libvirt, peer to peer.
vsh src dumpxml --migratable "$dom" | sed "s|$cur_log|$E2E_TMP/$dom-py.log|g" > "$E2E_TMP/py.xml"
KP_SRC_URI=$(e2e_uri src) KP_DST_URI=$(e2e_uri dst) KP_DOM=$dom \
    KP_MIG_URI="tcp://${ip_of[dst]}:49201" KP_DST_XML=$E2E_TMP/py.xml \
    KP_SRC_CONSOLE=$cur_log KP_DST_CONSOLE=$E2E_TMP/$dom-py.log \
    KP_SRC_DAEMON_LOG=$(daemon_log src) \
    python_client_run "$CLIENTS_DIR/migrate_client.py" "$CLIENT_CHECKS"

vsh dst destroy "$dom" >/dev/null 2>&1
