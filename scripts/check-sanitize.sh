#!/bin/bash
# Build the assembled tree a second time with AddressSanitizer (LeakSanitizer
# included) and UndefinedBehaviorSanitizer, in its own build directory
# (build/sanitize), and run libvirt's unit tests under them. Prints
# "N passed, N failed" last; a test that passes but whose log has a
# sanitizer report counts as failed.

set -uo pipefail
. "$(dirname "$0")/common.sh"

PREFIX=${PREFIX:-/usr/local}
. "$(dirname "$0")/meson-options.sh"

SAN_BUILD=$BUILD_DIR/sanitize
[ -d "$TREE/.git" ] || die "run 'make' first"

options=("${MESON_OPTIONS_NO_DOCS[@]}" -Db_sanitize=address,undefined -Db_lundef=false)

if [ ! -f "$SAN_BUILD/build.ninja" ]; then
    msg "configuring $SAN_BUILD (ASan, UBSan)"
    (cd "$TREE" && meson setup "$SAN_BUILD" "${options[@]}" > "$BUILD_DIR/sanitize-setup.log" 2>&1) ||
        die "meson setup failed (log: build/sanitize-setup.log)"
fi
msg "building $SAN_BUILD"
ninja -C "$SAN_BUILD" > "$BUILD_DIR/sanitize-build.log" 2>&1 ||
    die "the sanitizer build failed (log: build/sanitize-build.log)"

# The test programs preload their mocks (LD_PRELOAD), so the ASan runtime
# is not first in the library list: that is expected here. UBSan stops the
# test at its first report, so that the test fails.
export ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
msg "meson test under the sanitizers"
meson test -C "$SAN_BUILD" --no-rebuild --num-processes "$(nproc)" \
    --no-suite syntax-check --logbase sanitize > "$BUILD_DIR/sanitize-test.log" 2>&1

counts=$(python3 "$TOPDIR/scripts/meson-results.py" --sanitizer \
    "$SAN_BUILD/meson-logs/sanitize.json") || counts="0 1 0"
set -- $counts
echo "$3 skipped"
echo "$1 passed, $2 failed"
[ "$2" -eq 0 ]
