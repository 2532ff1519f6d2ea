# shellcheck shell=bash
# make demo section, sourced by scripts/demo.sh (see there for the helpers).
# A migration needs a second host: two private virtqemud daemons from the
# build tree, each in its own network namespace (joined by a veth pair) with
# its own hostname and host UUID, as in tests/e2e/12-migrate-compressed.t.
# Everything is stopped at the end of the section (and by demo.sh's cleanup
# if the section dies half-way).

section "F6: compressed live migration (multifd zstd, 2 connections)"
if [ "$(id -u)" != 0 ]; then
    echo "  (skipped: needs root, for the network namespaces and the daemons)"
    return 0
fi

f6_ns1=kpZs$$ f6_ns2=kpZd$$
declare -A f6_ip=([f6src]=10.250.0.1 [f6dst]=10.250.0.2)
declare -A f6_ns=([f6src]=$f6_ns1 [f6dst]=$f6_ns2)
f6_dom=kp-compressed
f6_src_log=$E2E_TMP/f6-src-console.log
f6_dst_log=$E2E_TMP/f6-dst-console.log

# f6_virsh SIDE ARGS...: show a virsh command against daemon SIDE as a user
# would type it (the daemons' URIs as $SRC and $DST, files of the demo's
# temporary directory by their names), then run it; returns virsh's status.
f6_virsh() {
    local side=$1 var=SRC shown
    shift
    [ "$side" = f6src ] || var=DST
    shown="$*"
    shown=${shown//"$SRC"/\$SRC}
    shown=${shown//"$DST"/\$DST}
    shown=${shown//"$E2E_TMP/"/}
    printf '$ virsh -c $%s %s\n' "$var" "$shown"
    vsh "$side" "$@" 2>&1 | sed 's/^/  /'
    return "${PIPESTATUS[0]}"
}

# f6_tx_bytes SIDE: bytes SIDE's end of the veth pair has sent so far.
f6_tx_bytes() {
    ip netns exec "${f6_ns[$1]}" cat "/sys/class/net/v-${f6_ns[$1]}/statistics/tx_bytes"
}

netns_pair "$f6_ns1" "${f6_ip[f6src]}/24" "$f6_ns2" "${f6_ip[f6dst]}/24" ||
    die "cannot create the network namespaces"
daemon_start f6src --netns "$f6_ns1" --hostname kp-src \
        --host-uuid 11111111-2222-3333-4444-0000000006f1 &&
    daemon_start f6dst --netns "$f6_ns2" --hostname kp-dst \
        --host-uuid 11111111-2222-3333-4444-0000000006f2 ||
    die "the two daemons did not start"
SRC=$(e2e_uri f6src) DST=$(e2e_uri f6dst)
echo "  two hosts: private virtqemud daemons, each in its own network namespace,"
echo "  joined by a veth pair (the migration stream goes over it):"
echo "    kp-src ${f6_ip[f6src]}  SRC=$SRC"
echo "    kp-dst ${f6_ip[f6dst]}  DST=$DST"

guest_initramfs x86_64 "$E2E_TMP/initrd-f6" || die "cannot build the guest initramfs"
GUEST_CMDLINE_EXTRA="kp.dirty=64:8" GUEST_MEMORY_MIB=256 \
    guest_domain_xml x86_64 "$f6_dom" "$(guest_kernel x86_64)" "$E2E_TMP/initrd-f6" \
    "$f6_src_log" "<uuid>11111111-2222-3333-4444-0000000006f6</uuid>" \
    > "$E2E_TMP/$f6_dom.xml"
echo "  an x86_64 guest (TCG, 256 MiB, Debian's QEMU 7.2) whose init keeps rewriting"
echo "  64 MiB of text at 8 MiB/s (kernel option kp.dirty=64:8):"
f6_virsh f6src define "$E2E_TMP/$f6_dom.xml" &&
    f6_virsh f6src start "$f6_dom" || die "the guest did not start"
f6_line=$(guest_report_wait "$f6_src_log" '^KP-DIRTY ' 120) ||
    die "the guest did not start dirtying memory: $(tail -n 5 "$f6_src_log")"
printf '  guest console: %s\n' "$f6_line"

# The destination writes the console to a file of its own: the serial
# source path is not part of the guest ABI.
vsh f6src dumpxml --migratable "$f6_dom" | sed "s|$f6_src_log|$f6_dst_log|g" \
    > "$E2E_TMP/$f6_dom-dst.xml"

echo "  what is refused before any data moves:"
f6_virsh f6src migrate --live --compressed --comp-methods zlib \
    --xml "$E2E_TMP/$f6_dom-dst.xml" "$f6_dom" "$DST" "tcp://${f6_ip[f6dst]}"
echo "  (QEMU 7.2, on both hosts, has no uadk method:)"
f6_virsh f6src migrate --live --parallel --compressed --comp-methods uadk \
    --xml "$E2E_TMP/$f6_dom-dst.xml" "$f6_dom" "$DST" "tcp://${f6_ip[f6dst]}"
printf '  the guest still runs on kp-src: %s\n' "$(vsh f6src domstate "$f6_dom" 2>&1)"

echo "  the migration, zstd on 2 multifd connections (--persistent without"
echo "  --undefinesource keeps the source's definition, and with it its completed job):"
f6_tx0=$(f6_tx_bytes f6src)
f6_t0=$(date +%s%N)
f6_virsh f6src migrate --live --persistent --parallel --parallel-connections 2 \
    --compressed --comp-methods zstd --xml "$E2E_TMP/$f6_dom-dst.xml" \
    "$f6_dom" "$DST" "tcp://${f6_ip[f6dst]}" ||
    die "the migration failed: $(tail -n 20 "$E2E_TMP/f6dst/log/qemu/$f6_dom.log" 2>/dev/null)"
f6_ms=$((($(date +%s%N) - f6_t0) / 1000000))
f6_zstd_tx=$(($(f6_tx_bytes f6src) - f6_tx0))
printf '  (%d ms; kp-src sent %d MiB over the veth)\n' "$f6_ms" "$((f6_zstd_tx / 1048576))"
printf '  the guest: %s on kp-dst, %s on kp-src\n' \
    "$(vsh f6dst domstate "$f6_dom" 2>&1)" "$(vsh f6src domstate "$f6_dom" 2>&1)"
f6_seq=$(guest_report_field "$(tr -d '\r' < "$f6_src_log" | grep -a '^KP-REPORT ' | tail -n 1)" seq)
f6_line=$(guest_report_wait "$f6_dst_log" '^KP-REPORT ' 30) ||
    die "the guest does not report on kp-dst: $(tail -n 5 "$f6_dst_log" 2>/dev/null)"
printf '  guest console on kp-dst: KP-REPORT seq=%s uptime=%s (its last on kp-src: seq=%s)\n' \
    "$(guest_report_field "$f6_line" seq)" "$(guest_report_field "$f6_line" uptime)" "${f6_seq:-none}"

echo "  the completed job, on the source (what QEMU reported) and on the destination"
echo "  (what came in the migration cookie):"
f6_virsh f6src domjobinfo --completed "$f6_dom"
f6_virsh f6dst domjobinfo --completed "$f6_dom" | grep -e 'Compression method' -e 'Multifd data' -e '^\$'
echo "  libvirt reports QEMU's multifd byte count as it is: QEMU 7.2 counts before"
echo "  compression (Multifd data is about the Normal data), QEMU 10.0 after."
echo "  What went over the link is the veth's count above."

echo "  for comparison, back uncompressed on 2 connections:"
vsh f6dst dumpxml --migratable "$f6_dom" | sed "s|$f6_dst_log|$f6_src_log.2|g" \
    > "$E2E_TMP/$f6_dom-back.xml"
f6_tx0=$(f6_tx_bytes f6dst)
if f6_virsh f6dst migrate --live --parallel --parallel-connections 2 \
    --xml "$E2E_TMP/$f6_dom-back.xml" "$f6_dom" "$SRC" "tcp://${f6_ip[f6src]}"; then
    printf '  (kp-dst sent %d MiB over the veth, against %d MiB with zstd)\n' \
        "$((($(f6_tx_bytes f6dst) - f6_tx0) / 1048576))" "$((f6_zstd_tx / 1048576))"
else
    echo "  (the uncompressed migration failed)"
fi

vsh f6src destroy "$f6_dom" >/dev/null 2>&1
vsh f6dst destroy "$f6_dom" >/dev/null 2>&1
daemon_stop f6src
daemon_stop f6dst
ip netns del "$f6_ns1" 2>/dev/null
ip netns del "$f6_ns2" 2>/dev/null
unset -f f6_virsh f6_tx_bytes
