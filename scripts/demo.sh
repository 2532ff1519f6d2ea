#!/bin/bash
# make demo: walk through what libvirt-kunpeng adds, with the built virsh and
# real QEMU on libvirt's embedded QEMU driver (qemu:///embed: no daemon to
# install or start). Each capability adds its own section, a file in
# scripts/demo.d/ that this script sources in name order; the helpers below
# (section, demo_virsh, demo_guest_report) and the session "demo" on
# $DEMO_URI are theirs to use.

set -uo pipefail
. "$(dirname "$0")/common.sh"
. "$TOPDIR/tests/e2e/lib/tap.sh"
. "$TOPDIR/tests/e2e/lib/guest.sh"
. "$TOPDIR/tests/e2e/lib/libvirt.sh"

section() {
    printf '\n\033[1m== %s ==\033[0m\n' "$*"
}

# Show a virsh command as a user would type it, then run it in the session.
demo_virsh() {
    printf '$ virsh -c %q %s\n' "$DEMO_URI" "$*"
    vsh_session demo "$@" | sed 's/^/  /'
}

demo_guest_report() {
    local line
    line=$(guest_report_wait "$1" '^KP-REPORT ' 90) || {
        echo "  the guest did not report within 90 s; its console:"
        tail -n 20 "$1" | sed 's/^/  | /'
        return 1
    }
    printf '  guest console: %s\n' "$line"
    local seq
    seq=$(guest_report_field "$line" seq)
    guest_report_wait "$1" "^KP-NODE seq=$seq " 10 >/dev/null
    grep -a "^KP-NODE seq=$seq " "$1" | tr -d '\r' | sed 's/^/  guest console: /'
    printf '  topology seen by the guest: %s\n' "$(guest_topo_summary "$line")"
}

e2e_init
embed_setup demo
DEMO_URI=$(e2e_uri demo)
vsh_session_start demo

section "libvirt-kunpeng: libvirt $LIBVIRT_VERSION + $(grep -cv '^\s*\(#\|$\)' "$TOPDIR/patches/series") patches"
sed 's/^/  patches\//' "$TOPDIR/patches/series"
printf '  embedded driver root: %s\n' "${DEMO_URI#*root=}"

# One file per section, in name order: 00 the plain boot, then one per
# capability (10-f1-..., 20-f2-..., ...), so that features add their own.
for part in "$TOPDIR"/scripts/demo.d/*.sh; do
    . "$part"
done

vsh_session_stop demo
section "Done"
echo "  every QEMU started here has been stopped and $E2E_TMP is removed"
