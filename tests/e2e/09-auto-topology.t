#!/bin/bash
# F1b: the guest CPU topology derived from 1:1 vCPU pinning, end to end with
# QEMU 7.2 (aarch64 'virt' TCG guest, 2 vCPUs). This machine's two CPUs are
# made to look like one socket of two clusters (a fake /sys/devices/system/cpu
# bind-mounted in the private daemon's mount namespace, so that both libvirt
# and its QEMUs read it):
#  - auto_topology='yes' with vCPU 0 -> CPU 0, vCPU 1 -> CPU 1 starts with
#    -smp ...,clusters=2,cores=1; the guest sees it; the live XML has it, the
#    persistent XML keeps the fallback sockets='1' cores='2', the domain log
#    says where it came from; a daemon restart leaves the live XML as it was;
#  - live-migrated to a host whose CPUs are two sockets, the guest keeps
#    clusters=2 (no derivation on an incoming migration), while a fresh start
#    there derives sockets=2;
#  - pinned in reverse order, the vCPUs do not follow the host order: the
#    guest starts with the fallback and the domain log says why;
#  - qemu.conf auto_topology = 1 derives the topology of a domain written as
#    Nova writes it (no attribute, sockets='2'), auto_topology='no' opts out;
#  - auto_topology='yes' with a vCPU not pinned is refused at define.

. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/guest.sh"
. "$(dirname "$0")/lib/libvirt.sh"

plan 27
e2e_init
DOM=kp-auto-topo
src_log=$E2E_TMP/src-console.log
dst_log=$E2E_TMP/dst-console.log
rev_log=$E2E_TMP/rev-console.log
PIN="<vcpupin vcpu='0' cpuset='0'/><vcpupin vcpu='1' cpuset='1'/>"
PIN_REV="<vcpupin vcpu='0' cpuset='1'/><vcpupin vcpu='1' cpuset='0'/>"
AUTO="auto_topology='yes' sockets='1' cores='2' threads='1'"

[ "$(nproc)" -ge 2 ] || bail_out "needs 2 host CPUs, this machine has $(nproc)"
# socket/die/cluster/core of CPUs 0 and 1
sysfs_cpu_tree "$E2E_TMP/cpu-clusters" 0=0/0/0/0 1=0/0/1/1 &&
    sysfs_cpu_tree "$E2E_TMP/cpu-sockets" 0=0/0/0/0 1=1/0/0/0 ||
    bail_out "cannot build the fake sysfs CPU trees"

ns1=kpTs$$ ns2=kpTd$$
netns_pair "$ns1" 10.253.0.1/24 "$ns2" 10.253.0.2/24 ||
    bail_out "cannot create the network namespaces"
daemon_start src --netns "$ns1" --hostname kp-src --host-uuid 11111111-2222-3333-4444-000000000021 \
    --bind "$E2E_TMP/cpu-clusters:/sys/devices/system/cpu" &&
    daemon_start dst --netns "$ns2" --hostname kp-dst --host-uuid 11111111-2222-3333-4444-000000000022 \
        --bind "$E2E_TMP/cpu-sockets:/sys/devices/system/cpu"
ok $? "two private daemons, one on a fake 1 socket x 2 clusters host, one on a fake 2 sockets host"

# host_cpus NAME: the host CPUs of daemon NAME's capabilities, one a line
host_cpus() {
    vsh "$1" capabilities | grep -o "<cpu id=[^>]*/>" | tr -s ' '
}
is "$(host_cpus src)" "<cpu id='0' socket_id='0' die_id='0' cluster_id='0' core_id='0' siblings='0'/>
<cpu id='1' socket_id='0' die_id='0' cluster_id='1' core_id='1' siblings='1'/>" \
    "the source daemon reads the fake tree: CPUs 0 and 1 in clusters 0 and 1"
is "$(host_cpus dst)" "<cpu id='0' socket_id='0' die_id='0' cluster_id='0' core_id='0' siblings='0'/>
<cpu id='1' socket_id='1' die_id='0' cluster_id='0' core_id='0' siblings='1'/>" \
    "the destination daemon reads its own: CPUs 0 and 1 in sockets 0 and 1"

guest_initramfs aarch64 "$E2E_TMP/initrd" || bail_out "cannot build the initramfs"
# dom_xml NAME LOG TOPOLOGY CPUTUNE: the 2 vCPU aarch64 guest
dom_xml() {
    GUEST_VCPUS=2 GUEST_TOPOLOGY=$3 \
        guest_domain_xml aarch64 "$1" "$(guest_kernel aarch64)" "$E2E_TMP/initrd" "$2" \
        "<cputune>$4</cputune>"
}
# smp NAME DOM: the -smp argument of DOM's QEMU
smp() {
    daemon_qemu_args "$1" "$2" | grep -A1 -x -- -smp | tail -n1
}
topology() {
    vsh "$@" | grep -o '<topology [^>]*>'
}
# domlog NAME DOM: the auto_topology messages of DOM's log on daemon NAME,
# without their time stamps
domlog() {
    sed -n 's/^[0-9-]* [0-9:.+]*: \(\(warning: \)\?auto_topology: \)/\1/p' \
        "$E2E_TMP/$1/log/qemu/$2.log" 2>/dev/null
}
# live_xml NAME DOM: the live XML, but for the alias of the usb model='none'
# controller, which libvirt does not read back from the status XML (it
# ignores that controller's device info), so a restart always drops it
live_xml() {
    vsh "$1" dumpxml "$2" |
        sed -e "/<controller type='usb' index='0' model='none'>/{N;N;s|>\n *<alias name='usb'/>\n *</controller>|/>|}"
}

dom_xml "$DOM" "$src_log" "$AUTO" "$PIN" > "$E2E_TMP/dom.xml"
out=$(vsh src define "$E2E_TMP/dom.xml" 2>&1 && vsh src start "$DOM" 2>&1)
ok $? "auto_topology='yes', vCPUs 0 and 1 pinned to CPUs 0 and 1: the guest starts" ||
    bail_out "cannot start the guest: $out"
is "$(smp src "$DOM")" "2,sockets=1,dies=1,clusters=2,cores=1,threads=1" \
    "QEMU runs with the derived -smp 2,sockets=1,dies=1,clusters=2,cores=1,threads=1"
line=$(guest_report_wait "$src_log" '^KP-REPORT ' 90)
ok $? "the guest boots and reports" || diag "$(tail -n 20 "$src_log")"
is "$(guest_topo_summary "$line")" "cpus=2 sockets=1 dies=1 clusters=2 cores=1 threads=1" \
    "the guest sees 1 socket x 2 clusters x 1 core"
is "$(topology src dumpxml "$DOM")" \
    "<topology auto_topology='yes' sockets='1' dies='1' clusters='2' cores='1' threads='1'/>" \
    "the live XML has the derived topology and auto_topology='yes'"
is "$(topology src dumpxml --inactive "$DOM")" \
    "<topology auto_topology='yes' sockets='1' dies='1' cores='2' threads='1'/>" \
    "the persistent XML keeps the fallback sockets='1' cores='2'"
is "$(domlog src "$DOM")" \
    "auto_topology: sockets=1 dies=1 clusters=2 cores=1 threads=1, from the host CPUs the vCPUs are pinned to" \
    "the domain log says the topology was derived from the pinning"

live=$(live_xml src "$DOM")
daemon_restart src
ok $? "the source daemon restarts" || bail_out "the source daemon did not come back"
is "$(vsh src domstate "$DOM" 2>&1)" running "the guest still runs after the restart"
after=$(live_xml src "$DOM")
is "$after" "$live" "the live XML after the restart is the one from before" ||
    diag "$(diff <(echo "$live") <(echo "$after"))"

# Migrate: the destination must take the topology the guest runs with, not
# derive one from its own host (which would be sockets=2, see the next
# start). Its console goes to its own file, not part of the guest ABI.
vsh src dumpxml --migratable "$DOM" | sed "s|$src_log|$dst_log|g" > "$E2E_TMP/dst.xml"
out=$(vsh src migrate --live --persistent --undefinesource --xml "$E2E_TMP/dst.xml" \
      "$DOM" "$(e2e_uri dst)" tcp://10.253.0.2:49152 2>&1)
ok $? "virsh migrate --live to the 2 sockets host" ||
    diag "$out" "$(tail -n 20 "$E2E_TMP/dst/log/qemu/$DOM.log" 2>/dev/null)"
is "$(smp dst "$DOM") / $(topology dst dumpxml "$DOM")" \
    "2,sockets=1,dies=1,clusters=2,cores=1,threads=1 / <topology auto_topology='yes' sockets='1' dies='1' clusters='2' cores='1' threads='1'/>" \
    "the destination runs it with clusters=2, in QEMU and in the live XML"
is "$(grep -c -e '^-incoming ' "$E2E_TMP/dst/log/qemu/$DOM.log") / $(domlog dst "$DOM")" "1 / " \
    "the destination derived nothing (its domain log has the incoming start, no auto_topology line)"
line=$(guest_report_wait "$dst_log" '^KP-REPORT ' 30)
is "$(guest_topo_summary "$line")" "cpus=2 sockets=1 dies=1 clusters=2 cores=1 threads=1" \
    "the migrated guest runs on and still sees 1 socket x 2 clusters" ||
    diag "$(tail -n 5 "$dst_log")"

vsh dst destroy "$DOM" >/dev/null 2>&1
out=$(vsh dst start "$DOM" 2>&1)
is "$(smp dst "$DOM") / $(domlog dst "$DOM")" \
    "2,sockets=2,dies=1,cores=1,threads=1 / auto_topology: sockets=2 dies=1 clusters=1 cores=1 threads=1, from the host CPUs the vCPUs are pinned to" \
    "started afresh on the destination, its topology comes from that host: sockets=2" ||
    diag "$out"
vsh dst destroy "$DOM" >/dev/null 2>&1

# Reverse pinning: vCPU 0 on the CPU of cluster 1, vCPU 1 on cluster 0.
dom_xml kp-auto-rev "$rev_log" "$AUTO" "$PIN_REV" > "$E2E_TMP/rev.xml"
out=$(vsh src create "$E2E_TMP/rev.xml" 2>&1)
ok $? "pinned in reverse order, the guest starts" || diag "$out"
is "$(smp src kp-auto-rev)" "2,sockets=1,dies=1,cores=2,threads=1" \
    "QEMU runs with the fallback -smp (cores=2, no second cluster)"
line=$(guest_report_wait "$rev_log" '^KP-REPORT ' 90)
is "$(guest_topo_summary "$line")" "cpus=2 sockets=1 dies=1 clusters=1 cores=2 threads=1" \
    "the guest sees 1 socket x 1 cluster x 2 cores" || diag "$(tail -n 20 "$rev_log")"
like "$(domlog src kp-auto-rev)" \
    "^warning: auto_topology: the vCPUs do not follow the host order: vCPU 1 is pinned to host CPU 0, which does not come after host CPU 1 of vCPU 0 .*; starting with the fallback topology sockets=1 dies=1 clusters=1 cores=2 threads=1$" \
    "the domain log says why the fallback was used"
vsh src destroy kp-auto-rev >/dev/null 2>&1

# The host default, for what Nova writes: no attribute, a topology of its
# own, every vCPU pinned to a dedicated host CPU.
daemon_restart src --qemu-conf "auto_topology = 1"
ok $? "the source daemon restarts with auto_topology = 1 in qemu.conf"
NOVA_PIN="$PIN<emulatorpin cpuset='0-1'/>"
dom_xml kp-nova "$E2E_TMP/nova-console.log" "sockets='2' cores='1' threads='1'" "$NOVA_PIN" \
    > "$E2E_TMP/nova.xml"
out=$(vsh src create "$E2E_TMP/nova.xml" 2>&1)
is "$(smp src kp-nova) / $(domlog src kp-nova)" \
    "2,sockets=1,dies=1,clusters=2,cores=1,threads=1 / auto_topology: sockets=1 dies=1 clusters=2 cores=1 threads=1, from the host CPUs the vCPUs are pinned to" \
    "a Nova-style domain (sockets='2', pinned 1:1) gets clusters=2 from the host default" ||
    diag "$out"
vsh src destroy kp-nova >/dev/null 2>&1
dom_xml kp-nova-no "$E2E_TMP/nova-console.log" "auto_topology='no' sockets='2' cores='1' threads='1'" "$NOVA_PIN" \
    > "$E2E_TMP/nova-no.xml"
out=$(vsh src create "$E2E_TMP/nova-no.xml" 2>&1)
is "$(smp src kp-nova-no) / $(domlog src kp-nova-no)" "2,sockets=2,dies=1,cores=1,threads=1 / " \
    "with auto_topology='no' it keeps sockets=2 and derives nothing" || diag "$out"
vsh src destroy kp-nova-no >/dev/null 2>&1

dom_xml kp-auto-unpinned "$E2E_TMP/unpinned-console.log" "$AUTO" "<vcpupin vcpu='0' cpuset='0'/>" \
    > "$E2E_TMP/unpinned.xml"
out=$(vsh src define "$E2E_TMP/unpinned.xml" 2>&1)
like "$out" "auto_topology='yes' needs every vCPU pinned to one host CPU with <vcpupin>, but vCPU 1 is not pinned" \
    "define is refused when a vCPU is not pinned, naming it"
is "$(vsh src list --all --name 2>&1 | xargs)" "" "and nothing is left defined"
