#!/bin/bash
# Clients: F3's MPAM partitions through Debian's python3-libvirt, the way
# OpenStack Nova and oVirt VDSM call it, with Nova 26's own parsers
# (python3-nova), against a private virtqemud on the resctrl emulator
# (the openEuler Kunpeng host shape, in a private mount namespace): Nova
# parses the host and domain capabilities and the live XML without error;
# a guest defined with the MPAM attributes and started paused gets its
# group with those values; domainListGetStats reports the group's
# monitoring values; destroy removes the group (see mpam_client.py).

. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/guest.sh"
. "$(dirname "$0")/../lib/libvirt.sh"
. "$(dirname "$0")/../lib/resctrlfs.sh"
. "$(dirname "$0")/python_client.sh"

resctrlfs_unshare "$0" "$@"

CLIENTS_DIR=$(cd "$(dirname "$0")" && pwd)
CLIENT_CHECKS=13
plan "$CLIENT_CHECKS"
e2e_init

resctrlfs_build >/dev/null 2>"$E2E_TMP/build.log" ||
    bail_out "cannot build the emulator: $(cat "$E2E_TMP/build.log")"
resctrlfs_mount openeuler-kunpeng || bail_out "cannot mount the emulator"
shrink_default "$RESCTRLFS_HOSTS/openeuler-kunpeng"
daemon_start host || bail_out "the private virtqemud does not start"

# One granule of L3, in bytes: this machine's L3 size over the shape's bits
granule=$(vsh host capabilities |
          sed -n "/level='3'/,/<\/bank>/s/.*<control granularity='\([0-9]*\)' unit='\([A-Za-z]*\)'.*/\1 \2/p" |
          head -n1 | awk '{ m = 1; if ($2 == "KiB") m = 1024; else if ($2 == "MiB") m = 1048576; print $1 * m }')

KP_DAEMON_URI=$E2E_URI_host KP_RESCTRL=$RESCTRLFS_MNT KP_L3_SIZE=$granule \
    python_client_run "$CLIENTS_DIR/mpam_client.py" "$CLIENT_CHECKS"
