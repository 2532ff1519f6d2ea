#!/bin/bash
# F6 reliability: compressed multifd live migrations (--parallel
# --parallel-connections 2 --compressed --comp-methods zlib) that go wrong,
# with QEMU 7.2 (x86_64 TCG, 256 MiB guest dirtying 128 MiB of text at
# 16 MiB/s) between two private virtqemud "hosts" in their own network
# namespaces, over a veth link throttled with tc to 8 Mbit/s so that a
# migration lasts long enough to be interrupted:
#  1. the destination refuses (the --xml names an emulator that does not
#     exist): refused before the source's QEMU is told to migrate;
#  2. the destination QEMU is killed (SIGKILL) mid-stream;
#  3. the link is cut mid-stream (the destination's veth goes down; TCP in
#     both namespaces gives up after 3 retransmissions);
#  4. virsh domjobabort mid-stream.
# After each: virsh migrate fails with an error, the guest still runs on the
# source (domstate, and new KP-REPORT lines on its console), the source's
# persistent and live XML are what they were before, and the destination has
# no domain, no QEMU and no files of the domain left under its run/ and lib/
# directories. Then (5.) the same migration over the unthrottled link
# succeeds: the guest runs on the destination and is gone from the source,
# so the failures left nothing behind that blocks a retry.
# Migrations use --persistent --undefinesource, so that a failure that
# undefined the source or defined the domain on the destination shows.
# Known problems:
#  - (fixed) link cut: the destination's Finish waited forever for the
#    reply of a QEMU 7.2 whose multifd channels broke (its main loop blocks
#    in the multifd sync on the dead connections); virsh migrate hung. It
#    must now end by itself; if it does not, the test recovers (domjobabort
#    on the source, destroy on the destination) and fails that point;
#  - QEMU 7.2 on the source sometimes aborts (yank_unregister_instance
#    assertion) while cleaning up after a multifd channel failed (cases 2
#    and 3), a QEMU bug: the guest-runs-on-the-source points are then TAP
#    skips naming the assertion (never counted as passes), and the guest
#    is started again for the next cases.

. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/guest.sh"
. "$(dirname "$0")/lib/libvirt.sh"

plan 47
e2e_init
dom=kp-migfail-$$
src_log=$E2E_TMP/src-console.log
dst_log=$E2E_TMP/dst-console.log
qlog=$E2E_TMP/src/log/qemu/$dom.log
port=49152
# Data processed (MiB) before a migration counts as moving, and the time
# (s) a failed migration gets to end on its own.
moving_mib=6
fail_timeout=60

ns1=kpFs$$ ns2=kpFd$$
veth1=v-$ns1 veth2=v-$ns2
netns_pair "$ns1" 10.254.0.1/24 "$ns2" 10.254.0.2/24 ||
    bail_out "cannot create the network namespaces"
# A cut link must end the migration within seconds, not after the default
# 15 retransmissions (about 15 minutes).
ip netns exec "$ns1" sysctl -q -w net.ipv4.tcp_retries2=3 &&
    ip netns exec "$ns2" sysctl -q -w net.ipv4.tcp_retries2=3 ||
    bail_out "cannot set net.ipv4.tcp_retries2 in the namespaces"
daemon_start src --netns "$ns1" --hostname kp-src --host-uuid 11111111-2222-3333-4444-000000000031 &&
    daemon_start dst --netns "$ns2" --hostname kp-dst --host-uuid 11111111-2222-3333-4444-000000000032
ok $? "two private daemons, each in its own network namespace"

guest_initramfs x86_64 "$E2E_TMP/initrd" || bail_out "cannot build the initramfs"
GUEST_CMDLINE_EXTRA="kp.dirty=128:16" \
    guest_domain_xml x86_64 "$dom" "$(guest_kernel x86_64)" "$E2E_TMP/initrd" "$src_log" \
    "<uuid>11111111-2222-3333-4444-0000000000f6</uuid>" > "$E2E_TMP/dom.xml"
out=$(vsh src define "$E2E_TMP/dom.xml" 2>&1 && vsh src start "$dom" 2>&1) &&
    guest_report_wait "$src_log" '^KP-DIRTY size_mib=128 ' 120 >/dev/null
ok $? "the guest runs on the source and dirties 128 MiB at 16 MiB/s" ||
    bail_out "the guest did not start: $out $(tail -n 5 "$src_log" 2>/dev/null)"

throttle() {
    ip netns exec "$ns1" tc qdisc replace dev "$veth1" root tbf rate 8mbit burst 32kbit latency 400ms
}
throttle
ok $? "the link is throttled to 8 Mbit/s (tc tbf on $veth1)"

# The destination writes the console to its own file: the serial source
# path is not part of the guest ABI.
vsh src dumpxml --migratable "$dom" | sed "s|$src_log|$dst_log|g" > "$E2E_TMP/dst.xml"
sed 's|<emulator>[^<]*</emulator>|<emulator>/nonexistent/qemu</emulator>|' \
    "$E2E_TMP/dst.xml" > "$E2E_TMP/dst-bad.xml"
grep -q '<emulator>/nonexistent/qemu</emulator>' "$E2E_TMP/dst-bad.xml" ||
    bail_out "no <emulator> in the migratable XML"

src_qemu_pid() {
    cat "$E2E_TMP/src/run/qemu/$dom.pid" 2>/dev/null
}

# mig_start XMLFILE: start the migration in the background.
mig_start() {
    mig_out=$E2E_TMP/migrate.out
    vsh src migrate --live --persistent --undefinesource --parallel --parallel-connections 2 \
        --compressed --comp-methods zlib --xml "$1" \
        "$dom" "$(e2e_uri dst)" "tcp://10.254.0.2:$port" > "$mig_out" 2>&1 &
    mig_pid=$!
    mig_t0=$SECONDS
}

# mig_wait TIMEOUT: wait for the migration started by mig_start to end;
# mig_rc is its status (124 when it still runs after TIMEOUT seconds),
# mig_secs how long it took since the time ($SECONDS) given as the second
# argument (default: since it started).
mig_wait() {
    local deadline=$((SECONDS + $1)) t0=${2:-$mig_t0}
    while kill -0 "$mig_pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
        sleep 0.2
    done
    if kill -0 "$mig_pid" 2>/dev/null; then
        mig_rc=124
    else
        wait "$mig_pid"
        mig_rc=$?
    fi
    mig_secs=$((SECONDS - t0))
    return "$mig_rc"
}

# The source's 'Data processed' of the running job, in whole MiB.
data_mib() {
    vsh src domjobinfo "$dom" 2>/dev/null | awk '
        $1 == "Data" && $2 == "processed:" {
            f["B"] = 1 / 1048576; f["KiB"] = 1 / 1024; f["MiB"] = 1; f["GiB"] = 1024
            printf "%d\n", $3 * f[$4]; found = 1
        }
        END { if (!found) print 0 }'
}

# wait_moving: wait until the migration moved $moving_mib MiB (60 s).
wait_moving() {
    local deadline=$((SECONDS + 60))
    moved=0
    while kill -0 "$mig_pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
        moved=$(data_mib)
        [ "$moved" -lt "$moving_mib" ] || return 0
        sleep 0.5
    done
    return 1
}

# Paths of the domain's state under the destination daemon's run/ and lib/
# directories (status XML, pid file, domain-N-NAME directories, ...).
dst_leftovers() {
    find "$E2E_TMP/dst/run" "$E2E_TMP/dst/lib" \( -name "*$dom*" -o -name 'domain-*' \) \
        -print 2>/dev/null | sed "s|^$E2E_TMP/||"
}

# save_before: what the checks after a case compare with: the source's
# XML, its QEMU and how far its QEMU log went.
save_before() {
    vsh src dumpxml --inactive "$dom" > "$E2E_TMP/before.inactive.xml"
    vsh src dumpxml "$dom" > "$E2E_TMP/before.live.xml"
    before_pid=$(src_qemu_pid)
    qlog_mark=$(guest_log_mark "$qlog")
}

# The assertion QEMU 7.2 (the source) sometimes aborts on after a multifd
# channel failed, if its QEMU log has it since save_before.
src_qemu_crash() {
    tail -n "+$((qlog_mark + 1))" "$qlog" 2>/dev/null |
        grep -o -m1 'yank_unregister_instance: Assertion .* failed'
}

# After such a crash: start the guest again for the next cases.
src_restart() {
    local i
    for i in $(seq 1 50); do
        [ "$(vsh src domstate "$dom" 2>&1)" = "shut off" ] && break
        sleep 0.2
    done
    # The new QEMU's console starts the file again (append='off').
    : > "$src_log"
    vsh src start "$dom" >/dev/null 2>&1 &&
        guest_report_wait "$src_log" '^KP-DIRTY size_mib=128 ' 120 >/dev/null ||
        bail_out "the guest does not start again on the source"
}

# check_after CASE: the checks every failure case ends with.
check_after() {
    local c=$1 mark line out crash why
    mark=$(guest_log_mark "$src_log")
    ok $((mig_rc == 0)) "$c: virsh migrate fails (status $mig_rc after ${mig_secs}s)"
    diag "$c: $(cat "$mig_out")"
    crash=$(src_qemu_crash)
    if [ -n "$crash" ]; then
        why="QEMU 7.2 bug: the source's QEMU aborted after the multifd failure ($crash)"
        diag "$c: the source's QEMU crashed:" "$(tail -n "+$((qlog_mark + 1))" "$qlog" | tail -n 6)"
        skip "$c: the guest still runs on the source, in the same QEMU" "$why"
        skip "$c: the source guest reports again after the failure" "$why"
    else
        is "$(vsh src domstate "$dom" 2>&1) $(src_qemu_pid)" "running $before_pid" \
            "$c: the guest still runs on the source, in the same QEMU"
        line=$(guest_report_wait "$src_log" '^KP-REPORT seq=' 30 "$mark")
        ok $? "$c: the source guest reports again after the failure ($(guest_report_field "$line" seq 2>/dev/null || echo none))" ||
            diag "$(tail -n 3 "$src_log")"
    fi
    out=$(vsh src dumpxml --inactive "$dom" 2>&1 | diff "$E2E_TMP/before.inactive.xml" - 2>&1)
    ok $? "$c: the source's persistent XML is unchanged" || diag "$out"
    if [ -n "$crash" ]; then
        skip "$c: the source's live XML is unchanged" "$why"
    else
        out=$(vsh src dumpxml "$dom" 2>&1 | diff "$E2E_TMP/before.live.xml" - 2>&1)
        ok $? "$c: the source's live XML is unchanged" || diag "$out"
    fi
    is "$(vsh dst list --all --name 2>&1 | xargs)" "" "$c: no domain on the destination"
    # The destination's QEMU may take a moment to go away.
    local i pids
    for i in $(seq 1 50); do
        pids=$(pgrep -f -- "guest=$dom," | grep -vx "${before_pid:-none}" | xargs)
        [ -n "$pids" ] || break
        sleep 0.2
    done
    is "$pids" "" "$c: no QEMU of the domain but the source's" ||
        diag "$(ps -o pid,args -p "${pids// /,}" | cut -c1-200)"
    is "$(dst_leftovers | xargs)" "" "$c: no files of the domain under the destination's run/ and lib/"
    [ -z "$crash" ] || src_restart
}

# The source's migration job is over (or its QEMU is gone).
src_job_ended() {
    [ "$(src_job_type)" = None ] || [ "$(vsh src domstate "$dom" 2>&1)" = "shut off" ]
}

src_job_type() {
    vsh src domjobinfo "$dom" 2>/dev/null | awk '$1 == "Job" && $2 == "type:" { print $3 }'
}

# The destination daemon's last Finish of a failed migration waits for a
# reply of the destination's QEMU that never came: print the command.
dst_finish_hung() {
    local log=$E2E_TMP/dst/log/virtqemud.log from part id
    from=$(grep -n 'qemuMigrationDstFinishActive:.*retcode=1' "$log" | tail -n 1 | cut -d: -f1)
    [ -n "$from" ] || return 0
    part=$(tail -n "+$from" "$log")
    id=$(printf '%s\n' "$part" | sed -n 's/.*QEMU_MONITOR_SEND_MSG: .*msg={"execute":"\([a-z-]*\)".*"id":"\(libvirt-[0-9]*\)"}.*/\1 \2/p' | tail -n 1)
    [ -n "$id" ] || return 0
    printf '%s\n' "$part" | grep -q "QEMU_MONITOR_RECV_REPLY: .*\"id\": \"${id#* }\"" ||
        printf '%s\n' "${id% *}"
}

# The destination's address answers (nothing listens on port 9: refused).
# The destination answers a TCP connection (with a refusal: nothing
# listens on port 9).  After the link comes back the neighbour entry the
# cut left FAILED answers "No route to host" until the kernel probes again,
# so allow the link a few seconds, as an operator would.
reachable() {
    local out i
    for i in 1 2 3 4 5 6 7 8 9 10; do
        out=$(ip netns exec "$ns1" timeout 5 bash -c 'exec 3<>/dev/tcp/10.254.0.2/9' 2>&1)
        case $out in *"Connection refused"*) return 0 ;; esac
        sleep 1
    done
    diag "$out"
    return 1
}

qmp_migrates() {
    grep -c '"execute":"migrate","arguments"' "$E2E_TMP/src/log/virtqemud.log"
}

# 1. The destination refuses the domain.
save_before
n0=$(qmp_migrates)
mig_start "$E2E_TMP/dst-bad.xml"
mig_wait "$fail_timeout"
c="destination refuses"
is "$(qmp_migrates)" "$n0" "$c: the source's QEMU was never told to migrate"
check_after "$c"
like "$(cat "$mig_out")" "/nonexistent/qemu" "$c: the error names the missing emulator"

# 2. The destination's QEMU is killed mid-stream.
c="destination QEMU killed"
save_before
mig_start "$E2E_TMP/dst.xml"
wait_moving
ok $? "$c: the migration moves data ($moved MiB)"
dst_pid=$(cat "$E2E_TMP/dst/run/qemu/$dom.pid" 2>/dev/null)
[ -n "$dst_pid" ] && kill -KILL "$dst_pid"
mig_wait "$fail_timeout"
check_after "$c"

# 3. The link is cut mid-stream.
c="link cut"
save_before
mig_start "$E2E_TMP/dst.xml"
wait_moving
ok $? "$c: the migration moves data ($moved MiB)"
cut_t0=$SECONDS
ip netns exec "$ns2" ip link set "$veth2" down
# The source's QEMU sees the failure (its sends time out); then virsh asks
# the destination to clean up (Finish with 'cancelled').
src_secs=
while [ $((SECONDS - cut_t0)) -lt "$fail_timeout" ] && kill -0 "$mig_pid" 2>/dev/null; do
    [ -n "$src_secs" ] || ! src_job_ended || src_secs=$((SECONDS - cut_t0))
    sleep 0.5
done
[ -n "$src_secs" ] || ! src_job_ended || src_secs=$((SECONDS - cut_t0))
ok $((${src_secs:-999} > fail_timeout)) \
    "$c: the source's migration job fails by itself (${src_secs:-not within $fail_timeout}s after the cut)"
mig_wait 0 "$cut_t0"
if [ "$mig_rc" != 124 ]; then
    ok 0 "$c: virsh migrate ends by itself within ${fail_timeout}s of the cut (${mig_secs}s)"
else
    # Recover as an operator would: abort the job (the source has none
    # left), then destroy the incoming domain on the destination
    # (domjobabort there refuses an incoming migration, and waits 30 s for
    # the job lock that the hanging Finish holds before saying so).
    diag "$c: virsh migrate still runs ${fail_timeout}s after the cut" \
        "src domjobabort: $(vsh src domjobabort "$dom" 2>&1)"
    mig_wait 5 "$cut_t0"
    if [ "$mig_rc" = 124 ]; then
        hung=$(dst_finish_hung)
        t0=$SECONDS
        diag "dst destroy: $(vsh dst destroy "$dom" 2>&1) ($((SECONDS - t0))s)"
        mig_wait "$fail_timeout" "$cut_t0"
        ok 1 "$c: virsh migrate ends by itself within ${fail_timeout}s of the cut"
        [ -z "$hung" ] ||
            diag "Finish on the destination waited for QEMU's reply to $hung; recovered with virsh destroy there"
    else
        ok 1 "$c: virsh migrate ends by itself within ${fail_timeout}s of the cut (after domjobabort)"
    fi
fi
check_after "$c"
ip netns exec "$ns2" ip link set "$veth2" up && throttle &&
    reachable
ok $? "$c: the link is up again"

# 4. virsh domjobabort mid-stream.
c="domjobabort"
save_before
mig_start "$E2E_TMP/dst.xml"
wait_moving
ok $? "$c: the migration moves data ($moved MiB)"
out=$(vsh src domjobabort "$dom" 2>&1)
ok $? "$c: virsh domjobabort" || diag "$out"
mig_wait "$fail_timeout"
check_after "$c"

# 5. The same migration, without the throttle, succeeds.
ip netns exec "$ns1" tc qdisc del dev "$veth1" root
mig_start "$E2E_TMP/dst.xml"
mig_wait 120
ok $? "the same migration succeeds afterwards (${mig_secs}s)" || diag "$(cat "$mig_out")"
is "$(vsh dst domstate "$dom" 2>&1) / $(vsh src list --all --name 2>&1 | xargs)" "running / " \
    "the guest runs on the destination and is gone from the source"
guest_report_wait "$dst_log" '^KP-REPORT seq=' 30 >/dev/null
ok $? "the migrated guest reports on the destination's console"
vsh dst destroy "$dom" >/dev/null 2>&1
