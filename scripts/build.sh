#!/bin/bash
# Configure (once) and build the assembled tree. Incremental: ninja rebuilds
# only what changed.

set -euo pipefail
. "$(dirname "$0")/common.sh"

PREFIX=${PREFIX:-/usr/local}

# Only the QEMU driver among the hypervisor drivers; the test driver stays,
# virsh's own tests run against it.
MESON_OPTIONS=(
    --prefix="$PREFIX"
    -Dno_git=true
    -Ddocs=enabled
    -Dtests=enabled
    -Dexpensive_tests=enabled
    -Ddriver_qemu=enabled
    -Ddriver_remote=enabled
    -Ddriver_libvirtd=enabled
    -Ddriver_test=enabled
    -Ddriver_bhyve=disabled
    -Ddriver_ch=disabled
    -Ddriver_esx=disabled
    -Ddriver_hyperv=disabled
    -Ddriver_libxl=disabled
    -Ddriver_lxc=disabled
    -Ddriver_openvz=disabled
    -Ddriver_vbox=disabled
    -Ddriver_vmware=disabled
    -Ddriver_vz=disabled
    -Dinit_script=none
)

options_stamp=$MESON_BUILD/kp-meson-options
if [ ! -f "$MESON_BUILD/build.ninja" ]; then
    msg "configuring $TREE"
    (cd "$TREE" && meson setup build "${MESON_OPTIONS[@]}" >"$BUILD_DIR/meson-setup.log" 2>&1) || {
        tail -n 40 "$BUILD_DIR/meson-setup.log" >&2
        die "meson setup failed (full log: build/meson-setup.log)"
    }
    printf '%s\n' "${MESON_OPTIONS[@]}" > "$options_stamp"
elif [ "$(printf '%s\n' "${MESON_OPTIONS[@]}")" != "$(cat "$options_stamp" 2>/dev/null)" ]; then
    msg "build options changed: reconfiguring"
    meson configure "$MESON_BUILD" "${MESON_OPTIONS[@]}" >/dev/null
    printf '%s\n' "${MESON_OPTIONS[@]}" > "$options_stamp"
fi

ninja -C "$MESON_BUILD" "$@"
