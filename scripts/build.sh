#!/bin/bash
# Configure (once) and build the assembled tree. Incremental: ninja rebuilds
# only what changed.

set -euo pipefail
. "$(dirname "$0")/common.sh"

PREFIX=${PREFIX:-/usr/local}

. "$(dirname "$0")/meson-options.sh"

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
