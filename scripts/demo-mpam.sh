#!/bin/bash
# The F3 part of make demo (scripts/demo.d/30-f3-mpam.sh runs it): MPAM
# partitions on the resctrl emulator of the end-to-end tests, mounted over
# /sys/fs/resctrl in a mount namespace of this script's own, with the
# openEuler Kunpeng host shape, and the embedded QEMU driver.

set -uo pipefail
. "$(dirname "$0")/common.sh"
. "$TOPDIR/tests/e2e/lib/tap.sh"
. "$TOPDIR/tests/e2e/lib/guest.sh"
. "$TOPDIR/tests/e2e/lib/libvirt.sh"
. "$TOPDIR/tests/e2e/lib/resctrlfs.sh"

resctrlfs_unshare "$0" "$@"
e2e_init
R=$RESCTRLFS_MNT
SHAPE=openeuler-kunpeng

resctrlfs_build >/dev/null || die "cannot build the resctrl emulator"
resctrlfs_mount $SHAPE || die "cannot mount the resctrl emulator"
shrink_default "$RESCTRLFS_HOSTS/$SHAPE"
embed_setup mpam
URI=$(e2e_uri mpam)
vsh_session_start mpam

mpam_virsh() {
    printf '$ virsh -c %q %s\n' "$URI" "$*"
    vsh_session mpam "$@" | sed 's/^/  /'
}

echo "  /sys/fs/resctrl is an emulated openEuler Kunpeng host (tests/e2e/resctrlfs/hosts/$SHAPE);"
echo "  its default group, shrunk to the low half of the L3 so that a guest can have cache:"
sed 's/^/    /' $R/schemata
echo "  What the host capabilities make of it: the bank (id, size, CPUs) is this machine's, the"
echo "  controls are resctrl's; the memory bandwidth domains are NUMA nodes (the MB ids are not"
echo "  the L3 ids), of which this machine has node 0:"
vsh_session mpam capabilities | sed -n '/<cache>/,/<\/memory_bandwidth>/p' | sed 's/^/  /'
echo "  domcapabilities: $(vsh_session mpam domcapabilities --virttype kvm --arch x86_64 | grep -o "<resctrl [^>]*>")"

granule=$(vsh_session mpam capabilities |
          sed -n "/level='3'/,/<\/bank>/s/.*<control granularity='\([0-9]*\)' unit='\([A-Za-z]*\)'.*/\1 \2/p" | head -n1)
cat > "$E2E_TMP/mpam.xml" <<XML
<domain type='kvm'>
  <name>kp-mpam</name>
  <memory unit='MiB'>32</memory>
  <vcpu placement='static'>2</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <cputune>
    <cachetune vcpus='0-1'>
      <cache id='1' level='3' type='both' size='${granule% *}' unit='${granule#* }'/>
      <cache id='1' level='3' type='priority' size='3'/>
      <cache id='1' level='3' type='min' size='10'/>
    </cachetune>
    <memorytune vcpus='0-1'>
      <node id='0' bandwidth='60' min_bandwidth='20' hardlimit='1' priority='6'/>
    </memorytune>
  </cputune>
  <devices><controller type='usb' model='none'/><memballoon model='none'/></devices>
</domain>
XML
echo "  A guest with an L3 share, a cache priority and minimum, and bandwidth controls:"
sed -n '/<cputune>/,/<\/cputune>/p' "$E2E_TMP/mpam.xml" | sed 's/^/    /'
mpam_virsh create "$E2E_TMP/mpam.xml" --paused || die "the guest did not start"
for g in "$R"/qemu-*; do
    echo "  its resctrl group ${g##*/}, schemata:"
    sed 's/^/    /' "$g/schemata"
    printf '  tasks: %s; vCPU threads: %s\n' "$(sort -n "$g/tasks" | tr '\n' ' ')" \
        "$(vsh_session mpam qemu-monitor-command kp-mpam --hmp info cpus |
           sed -n 's/.*thread_id=\([0-9]*\).*/\1/p' | sort -n | tr '\n' ' ')"
done
mpam_virsh destroy kp-mpam
echo "  groups left after destroy: $(ls -d "$R"/qemu-* 2>/dev/null | wc -l)"
echo "  A priority above the host's range is refused before QEMU starts:"
sed -i "s/type='priority' size='3'/type='priority' size='5'/" "$E2E_TMP/mpam.xml"
mpam_virsh create "$E2E_TMP/mpam.xml" --paused
vsh_session_stop mpam
