# shellcheck shell=bash
# make demo section, sourced by scripts/demo.sh (see there for the helpers).
# There is no MPAM hardware here: scripts/demo-mpam.sh mounts the resctrl
# emulator of the end-to-end tests in a mount namespace of its own and
# drives the embedded driver there.

section "F3: MPAM cache and memory bandwidth partitions"
if [ "$(id -u)" != 0 ]; then
    echo "  (skipped: needs root, to mount the resctrl emulator)"
    return 0
fi
"$TOPDIR/scripts/demo-mpam.sh" || die "the MPAM demo failed"
