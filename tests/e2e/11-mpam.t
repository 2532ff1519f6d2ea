#!/bin/bash
# F3: MPAM partitions for guests, on the resctrl emulator
# (tests/e2e/resctrlfs/, one host shape after the other) mounted at
# /sys/fs/resctrl in a private mount namespace, with real QEMU processes
# (paused KVM domains: resctrl is refused for 'qemu' domains):
#  - host capabilities list the shape's MPAM controls and its memory
#    bandwidth domains;
#  - a guest with <cachetune>/<memorytune> gets one group, whose schemata
#    has exactly the values the XML asks for and the default group's
#    values for the rest, and whose tasks are exactly its vCPU threads;
#    domstats reports the group's monitoring values; destroy removes it;
#  - a control the host lacks, or a value outside the host's range, is
#    refused at start naming the schemata line or the range; a start that
#    fails after one of its groups was made, and a start once the
#    partition ids run out, leave no group behind;
#  - the group is removed when the domain is destroyed from a restarted
#    daemon, when its QEMU died while the daemon was down, and when a
#    later process of the embedded driver destroys it.
# The host's cache banks (ids, sizes) come from this machine, only
# resctrl is emulated: the XML uses the shape's cache ids, which are what
# resctrl has, and sizes in the granules the capabilities report.

. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/guest.sh"
. "$(dirname "$0")/lib/libvirt.sh"
. "$(dirname "$0")/lib/resctrlfs.sh"

resctrlfs_unshare "$0" "$@"

plan 71
e2e_init
R=$RESCTRLFS_MNT

resctrlfs_build >/dev/null 2>"$E2E_TMP/build.log" ||
    bail_out "cannot build the emulator: $(cat "$E2E_TMP/build.log")"

# value GROUP LINE ID: the value of domain ID on LINE of GROUP's schemata,
# without the zero padding (bitmaps as hex, numbers as decimal)
value() {
    local v
    v=$(seed_value "$1" "$2" "$3")
    case $2 in
        L[0-9]|L[0-9]CODE|L[0-9]DATA) printf '%x\n' "$((16#${v:-x}))" 2>/dev/null ;;
        *) [ -n "$v" ] && echo "$((10#$v))" ;;
    esac
}

groups() {
    local g
    for g in "$R"/qemu-*; do [ -d "$g" ] && echo "$g"; done
}

# the thread ids of the vCPUs of domain $2, asked through vsh_session $1
vcpu_tids() {
    vsh_session "$1" qemu-monitor-command "$2" --hmp info cpus |
        sed -n 's/.*thread_id=\([0-9]*\).*/\1/p' | sort -n | tr '\n' ' '
}

# domain_xml FILE NAME CPUTUNE: a paused-able KVM domain with 2 vCPUs
domain_xml() {
    cat > "$1" <<EOF
<domain type='kvm'>
  <name>$2</name>
  <memory unit='MiB'>32</memory>
  <vcpu placement='static'>2</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <cputune>
$3
  </cputune>
  <devices><controller type='usb' model='none'/><memballoon model='none'/></devices>
</domain>
EOF
}

# first_free_granule SEED LINE: the mask of one granule where libvirt
# allocates it once shrink_default ran: the lowest bit above the low half
first_free_granule() {
    local low n=0
    low=$((16#$(mask_half "$(seed_info "$1" "$2" cbm_mask)" low)))
    while [ $low -gt 0 ]; do n=$((n + 1)); low=$((low >> 1)); done
    printf '%x\n' $((1 << n))
}

# granule CAPS LEVEL: the granule of the first control of a LEVEL bank in
# the host capabilities CAPS: "SIZE UNIT"
granule() {
    printf '%s\n' "$1" |
        sed -n "/level='$2'/,/<\/bank>/s/.*<control granularity='\([0-9]*\)' unit='\([A-Za-z]*\)'.*/\1 \2/p" |
        head -n1
}

# start_paused EMBED NAME CPUTUNE WHAT: start the domain paused (a test
# point), and set $g to the group it got
start_paused() {
    local out
    domain_xml "$E2E_TMP/$2.xml" "$2" "$3"
    out=$(vsh_session "$1" create "$E2E_TMP/$2.xml" --paused)
    ok $? "$shape: $4 starts" || diag "$out"
    g=$(groups)
}

# destroy_removes EMBED NAME: destroy the domain; its group must go (a test
# point)
destroy_removes() {
    vsh_session "$1" destroy "$2" >/dev/null
    is "$(groups | wc -l)" 0 "$shape: destroy removes the group"
}

# start_refused EMBED NAME CPUTUNE WHAT PATTERN: starting the domain fails
# with an error matching PATTERN and leaves no group
start_refused() {
    local out
    domain_xml "$E2E_TMP/$2.xml" "$2" "$3"
    out=$(vsh_session "$1" create "$E2E_TMP/$2.xml" --paused)
    like "$out" "$5" "$4: refused at start"
    is "$(groups | wc -l)" 0 "$4: no group left behind"
}

# shape_begin SHAPE EMBED: mount the emulator with SHAPE, give libvirt room
# in its L3 and L2, set up the embedded driver EMBED and read its host
# capabilities into $caps
shape_begin() {
    shape=$1
    seed=$RESCTRLFS_HOSTS/$1
    resctrlfs_mount "$1" || bail_out "cannot mount the emulator with $1"
    shrink_default "$seed"
    embed_setup "$2"
    caps=$(vsh "$2" capabilities 2>&1)
}

# domcapabilities: resctrl partitions need resctrl and a KVM domain
resctrl_feature() {
    vsh "$1" domcapabilities --virttype "$2" --arch x86_64 2>/dev/null |
        sed -n "s/.*<resctrl supported='\([a-z]*\)'.*/\1/p"
}
embed_setup embed-none
if grep -q " $R " /proc/mounts; then
    skip "domcapabilities without resctrl" "this machine has resctrl mounted"
else
    is "$(resctrl_feature embed-none kvm)" no "domcapabilities without resctrl: resctrl not supported"
fi

# --- openEuler Kunpeng: every control, sparse L3 ids, MB per NUMA node ---
shape_begin openeuler-kunpeng embed-oe
like "$caps" "<priority min='0' max='3'/>" "$shape: capabilities list the cache priority and its range"
like "$caps" "<min_bandwidth min='0' max='100'/>" "$shape: capabilities list the bandwidth minimum"
is "$(printf '%s\n' "$caps" | sed -n '/<memory_bandwidth>/,/<\/memory_bandwidth>/s/.*<node id=.\([0-9]*\).*/\1/p' | tr '\n' ' ')" \
    "0 " "$shape: the memory bandwidth domain is NUMA node 0 (the machine's only node with MB line domains 0, 1)"
read -r gsize gunit <<< "$(granule "$caps" 3)"
ok "$([ -n "$gsize" ] && echo 0 || echo 1)" "$shape: capabilities give the L3 granule ($gsize $gunit)"
is "$(resctrl_feature embed-oe kvm) $(resctrl_feature embed-oe qemu)" "yes no" \
    "$shape: domcapabilities: resctrl supported for KVM domains, not for TCG ones"

l3bits=$(mask_half "$(seed_info "$seed" L3 cbm_mask)" low)
domain_xml "$E2E_TMP/oe.xml" kp-mpam "
    <cachetune vcpus='0-1'>
      <cache id='122' level='3' type='both' size='$gsize' unit='$gunit'/>
      <cache id='122' level='3' type='priority' size='2'/>
      <cache id='122' level='3' type='max' size='60'/>
      <cache id='1' level='3' type='min' size='10'/>
      <monitor level='3' vcpus='0-1'/>
    </cachetune>
    <memorytune vcpus='0-1'>
      <node id='1' bandwidth='60' min_bandwidth='10' hardlimit='1' priority='5'/>
      <monitor vcpus='0-1'/>
    </memorytune>"
vsh_session_start embed-oe
out=$(vsh_session embed-oe create "$E2E_TMP/oe.xml" --paused)
ok $? "$shape: a paused KVM guest with every MPAM control starts" || diag "$out"
g=$(groups)
is "$(groups | wc -l)" 1 "$shape: the guest has one resctrl group"
is "$(value "$g" L3 122)" "$(first_free_granule "$seed" L3)" "$shape: L3 of cache 122 is one granule above the default group's bits"
is "$(value "$g" L3 1)" "$l3bits" "$shape: L3 of cache 1 (not set) is the default group's"
is "$(value "$g" L3PRI 122) $(value "$g" L3MAX 122) $(value "$g" L3MIN 1)" "2 60 10" \
    "$shape: L3PRI, L3MAX, L3MIN are what the XML asks for"
is "$(value "$g" L3PRI 1) $(value "$g" L3MAX 1) $(value "$g" L3MIN 122)" \
    "$(value $R L3PRI 1) $(value $R L3MAX 1) $(value $R L3MIN 122)" \
    "$shape: the cache controls the XML does not set are the default group's"
is "$(value "$g" MB 1) $(value "$g" MBMIN 1) $(value "$g" MBHDL 1) $(value "$g" MBPRI 1)" "60 10 1 5" \
    "$shape: MB, MBMIN, MBHDL, MBPRI of node 1 are what the XML asks for"
is "$(value "$g" MB 0) $(value "$g" MBMIN 0) $(value "$g" MBHDL 0) $(value "$g" MBPRI 0)" \
    "$(value $R MB 0) $(value $R MBMIN 0) $(value $R MBHDL 0) $(value $R MBPRI 0)" \
    "$shape: node 0 (not set) has the default group's values"
is "$(sort -n "$g/tasks" | tr '\n' ' ')" "$(vcpu_tids embed-oe kp-mpam)" \
    "$shape: the group's tasks are exactly the vCPU threads"
xml=$(vsh_session embed-oe dumpxml kp-mpam)
like "$xml" "<cache id='122' level='3' type='priority' size='2'/>" "$shape: the live XML has the cache priority"
like "$xml" "<node id='1' bandwidth='60' min_bandwidth='10' hardlimit='1' priority='5'/>" \
    "$shape: the live XML has the node's controls"
stats=$(vsh_session embed-oe domstats kp-mpam --cpu-total --memory)
like "$stats" "cpu.cache.monitor.0.bank.0.bytes=" "$shape: domstats reports the group's cache occupancy"
like "$stats" "memory.bandwidth.monitor.0.node.0.bytes.total=" "$shape: domstats reports the group's memory bandwidth"
destroy_removes embed-oe kp-mpam

start_refused embed-oe kp-range "
    <cachetune vcpus='0-1'><cache id='1' level='3' type='priority' size='4'/></cachetune>" \
    "$shape: cache priority 4" "out of the host's range 0-3"
start_refused embed-oe kp-mbrange "
    <memorytune vcpus='0-1'><node id='0' priority='8'/></memorytune>" \
    "$shape: memory bandwidth priority 8" "out of the host's range 0-7"
start_refused embed-oe kp-node "
    <memorytune vcpus='0-1'><node id='122' bandwidth='50'/></memorytune>" \
    "$shape: memory bandwidth node 122 (an L3 id, not a NUMA node)" "node 122 does not exist.*nodes '0-1'"
# The group of vCPU 0 is made before the one of vCPU 1 is refused
start_refused embed-oe kp-half "
    <cachetune vcpus='0'><cache id='1' level='3' type='max' size='50'/></cachetune>
    <cachetune vcpus='1'><cache id='1' level='3' type='priority' size='9'/></cachetune>" \
    "$shape: the second of two groups" "out of the host's range 0-3"
vsh_session_stop embed-oe

# The same domain, destroyed by a later process of the embedded driver
domain_xml "$E2E_TMP/later.xml" kp-later "
    <cachetune vcpus='0-1'><cache id='1' level='3' type='priority' size='1'/></cachetune>"
vsh embed-oe define "$E2E_TMP/later.xml" >/dev/null
out=$(vsh embed-oe start kp-later --paused 2>&1)
ok $? "$shape: an embedded driver process starts a guest and exits" || diag "$out"
is "$(groups | wc -l)" 1 "$shape: its group stays while the guest runs"
vsh embed-oe destroy kp-later >/dev/null
is "$(groups | wc -l)" 0 "$shape: a later embedded driver process destroys it and removes the group"
# ... and after its QEMU died while no driver process ran
vsh embed-oe start kp-later --paused >/dev/null 2>&1
pid=$(cat "$(find "$E2E_TMP/embed-oe" -name kp-later.pid | head -n1)" 2>/dev/null)
kill -9 "${pid:-0}" 2>/dev/null
for _ in $(seq 1 50); do kill -0 "${pid:-0}" 2>/dev/null || break; sleep 0.1; done
# Each process reconnects in a thread of its own, which may not be done
# when a short-lived process answers: ask until one says shut off
for _ in $(seq 1 20); do
    state=$(vsh embed-oe domstate kp-later 2>/dev/null)
    [ "$state" = "shut off" ] && break
    sleep 0.2
done
is "$state" "shut off" "$shape: a later embedded driver process finds the killed guest shut off"
is "$(groups | wc -l)" 0 "$shape: and removes its group"
vsh embed-oe undefine kp-later >/dev/null

# A daemon: destroy after a restart, and a QEMU that died while it was down
daemon_start host || bail_out "no daemon"
domain_xml "$E2E_TMP/d.xml" kp-daemon "
    <cachetune vcpus='0-1'><cache id='1' level='3' type='max' size='40'/></cachetune>
    <memorytune vcpus='0-1'><node id='0' bandwidth='70'/></memorytune>"
vsh host define "$E2E_TMP/d.xml" >/dev/null
out=$(vsh host start kp-daemon --paused 2>&1)
ok $? "$shape: the daemon starts the guest" || diag "$out"
g=$(groups)
is "$(value "$g" L3MAX 1) $(value "$g" MB 0)" "40 70" "$shape: its group has what the XML asks for"
daemon_restart host
is "$(vsh host domstate kp-daemon 2>&1)" "paused" "$shape: a restarted daemon reconnects to the guest"
vsh host destroy kp-daemon >/dev/null
is "$(groups | wc -l)" 0 "$shape: destroy from the restarted daemon removes the group"
vsh host start kp-daemon --paused >/dev/null
is "$(groups | wc -l)" 1 "$shape: the guest runs again with its group"
pid=$(cat "$E2E_TMP/host/run/qemu/kp-daemon.pid" 2>/dev/null)
dpid=$(cat "$E2E_TMP/host/run/virtqemud.pid")
kill -TERM "$dpid"
for _ in $(seq 1 50); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.1; done
kill -9 "${pid:-0}" 2>/dev/null
for _ in $(seq 1 50); do kill -0 "${pid:-0}" 2>/dev/null || break; sleep 0.1; done
daemon_restart host
is "$(vsh host domstate kp-daemon 2>&1)" "shut off" "$shape: a daemon started after the guest died finds it shut off"
is "$(groups | wc -l)" 0 "$shape: and removes its group"
vsh host undefine kp-daemon >/dev/null
daemon_stop host

# --- upstream Linux MPAM: L2, L3, MB only ---
shape_begin upstream-mpam embed-up
is "$(printf '%s\n' "$caps" | grep -c "<priority\|<min_bandwidth\|<hardlimit")" 0 "$shape: capabilities list no MPAM extension controls"
like "$caps" "<bank id='0' level='2'" "$shape: capabilities list the L2 banks resctrl partitions"
read -r gsize gunit <<< "$(granule "$caps" 3)"
vsh_session_start embed-up
start_paused embed-up kp-up "
    <cachetune vcpus='0-1'><cache id='0' level='3' type='both' size='$gsize' unit='$gunit'/></cachetune>
    <memorytune vcpus='0-1'><node id='0' bandwidth='50'/></memorytune>" \
    "a guest with L3 and MB"
is "$(value "$g" MB 0) $(value "$g" L3 0)" "50 $(first_free_granule "$seed" L3)" \
    "$shape: MB and L3 are what the XML asks for"
is "$(sort -n "$g/tasks" | tr '\n' ' ')" "$(vcpu_tids embed-up kp-up)" "$shape: the group's tasks are the vCPU threads"
destroy_removes embed-up kp-up
# L2, which MPAM partitions and upstream libvirt could not allocate
read -r l2size l2unit <<< "$(granule "$caps" 2)"
start_paused embed-up kp-l2 "
    <cachetune vcpus='0-1'><cache id='1' level='2' type='both' size='$l2size' unit='$l2unit'/></cachetune>" \
    "a guest with an L2 partition"
is "$(value "$g" L2 1) $(value "$g" L2 0)" "$(first_free_granule "$seed" L2) $(value $R L2 0)" \
    "$shape: L2 of cache 1 is one granule above the default group's bits, cache 0 the default group's"
# libvirt 9.0 copied the default group's MB into the definition of a guest
# with only a <cachetune>, so its live XML grew a <memorytune>
is "$(vsh_session embed-up dumpxml kp-l2 | grep -c '<memorytune')" 0 \
    "$shape: the live XML of a guest with only a cachetune has no memorytune"
destroy_removes embed-up kp-l2
start_refused embed-up kp-pri "
    <cachetune vcpus='0-1'><cache id='0' level='3' type='priority' size='1'/></cachetune>" \
    "$shape: a cache priority" "needs the resctrl schemata line 'L3PRI'"
start_refused embed-up kp-min "
    <memorytune vcpus='0-1'><node id='0' min_bandwidth='10'/></memorytune>" \
    "$shape: a bandwidth minimum" "needs the resctrl schemata line 'MBMIN'"
vsh_session_stop embed-up

# --- openEuler with CDP: per code and data ---
shape_begin openeuler-kunpeng-cdp embed-cdp
like "$caps" "type='code' maxAllocs='16'>" "$shape: capabilities list the code partitions with their controls"
read -r gsize gunit <<< "$(granule "$caps" 3)"
vsh_session_start embed-cdp
start_paused embed-cdp kp-cdp "
    <cachetune vcpus='0-1'><cache id='1' level='3' type='code' size='$gsize' unit='$gunit'/></cachetune>
    <memorytune vcpus='0-1'><node id='0' hardlimit='1'/></memorytune>" \
    "a guest with a code partition and a bandwidth hard limit"
is "$(value "$g" MBHDL 0) $(value "$g" L3DATA 1)" "1 $(value $R L3DATA 1)" \
    "$shape: MBHDL is what the XML asks for, L3DATA (not set) the default group's"
destroy_removes embed-cdp kp-cdp
start_refused embed-cdp kp-cdppri "
    <cachetune vcpus='0-1'><cache id='1' level='3' type='priority' size='1'/></cachetune>" \
    "$shape: a cache priority (the host has L3CODEPRI and L3DATAPRI)" "needs the resctrl schemata line 'L3PRI'"
vsh_session_stop embed-cdp

# --- openEuler without MBMIN, 4 partition ids ---
shape_begin mpam-missing-control embed-mc
is "$(printf '%s\n' "$caps" | grep -c '<min_bandwidth')" 0 "$shape: capabilities do not list a bandwidth minimum"
like "$caps" "<hardlimit min='0' max='1'/>" "$shape: capabilities list the hard limit"
vsh_session_start embed-mc
start_refused embed-mc kp-mcmin "
    <memorytune vcpus='0-1'><node id='0' bandwidth='50' min_bandwidth='10'/></memorytune>" \
    "$shape: a bandwidth minimum" "'min_bandwidth' of node 0 needs the resctrl schemata line 'MBMIN'"
n=$(seed_num_closids "$seed")
for i in $(seq 1 $((n - 1))); do
    domain_xml "$E2E_TMP/mc$i.xml" "kp-mc$i" "
    <memorytune vcpus='0-1'><node id='0' priority='$i'/></memorytune>"
    vsh_session embed-mc create "$E2E_TMP/mc$i.xml" --paused >/dev/null
done
is "$(groups | wc -l)" "$((n - 1))" "$shape: $((n - 1)) guests take the $((n - 1)) partition ids the default group leaves"
domain_xml "$E2E_TMP/mcx.xml" kp-mcx "
    <memorytune vcpus='0-1'><node id='0' priority='7'/></memorytune>"
out=$(vsh_session embed-mc create "$E2E_TMP/mcx.xml" --paused)
like "$out" "all $n partition ids .CLOSIDs. of the host are in use" "$shape: one more is refused: no partition id left"
is "$(groups | wc -l)" "$((n - 1))" "$shape: the refused start leaves no group"
is "$(vsh_session embed-mc list --name | grep -c kp-mcx)" 0 "$shape: nor a domain"
for i in $(seq 1 $((n - 1))); do
    vsh_session embed-mc destroy "kp-mc$i" >/dev/null
done
is "$(groups | wc -l)" 0 "$shape: destroying the guests removes their groups"
out=$(vsh_session embed-mc create "$E2E_TMP/mcx.xml" --paused)
ok $? "$shape: with the ids free again the refused guest starts" || diag "$out"
is "$(value "$(groups)" MBPRI 0)" 7 "$shape: with its priority"
vsh_session embed-mc destroy kp-mcx >/dev/null
vsh_session_stop embed-mc
