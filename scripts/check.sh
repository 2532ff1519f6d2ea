#!/bin/bash
# Run the test suites and print one closing line: "N passed, N failed"
# (skipped tests are counted on the line before it).
#
#   unit          libvirt's unit tests (every meson test but syntax-check)
#   syntax-check  libvirt's syntax-check rules, overlay files included
#   e2e           tests/e2e/*.t against real QEMU, through prove
#   all           the three
#
# A skipped test is counted as skipped, never as passed.

set -uo pipefail
. "$(dirname "$0")/common.sh"

what=${1:-all}
passed=0 failed=0 skipped=0
export LC_ALL=C.UTF-8

# count_meson LOGBASE: add up the results meson wrote to its JSON log.
count_meson() {
    local counts
    counts=$(python3 "$TOPDIR/scripts/meson-results.py" "$MESON_BUILD/meson-logs/$1.json" 2>/dev/null) ||
        counts="0 1 0"
    set -- $counts
    passed=$((passed + $1)) failed=$((failed + $2)) skipped=$((skipped + $3))
    echo "$logbase: $1 passed, $2 failed, $3 skipped"
}

run_meson() {
    logbase=$1
    shift
    msg "meson test ($logbase)"
    meson test -C "$MESON_BUILD" --no-rebuild --num-processes "$(nproc)" \
        --print-errorlogs --logbase "$logbase" "$@" > "$BUILD_DIR/$logbase.log" 2>&1
    grep -E '^ *[0-9]+/[0-9]+ .* (FAIL|TIMEOUT|ERROR)' "$BUILD_DIR/$logbase.log" || true
    count_meson "$logbase"
}

run_e2e() {
    msg "e2e tests (prove)"
    local out
    out=$("$TOPDIR/tests/e2e/run-e2e" 2>&1 | tee "$BUILD_DIR/e2e.log" | grep -E '^e2e-summary:|^e2e-failure:|^not ok|^#|\.t \.\.|^Result:')
    printf '%s\n' "$out" | grep -v '^e2e-summary:'
    local summary
    summary=$(printf '%s\n' "$out" | sed -n 's/^e2e-summary: //p')
    [ -n "$summary" ] || summary="0 1 0"
    set -- $summary
    passed=$((passed + $1)) failed=$((failed + $2)) skipped=$((skipped + $3))
    echo "e2e: $1 passed, $2 failed, $3 skipped"
}

case $what in
    unit) run_meson unit --no-suite syntax-check ;;
    syntax-check) run_meson syntax-check --suite syntax-check ;;
    e2e) run_e2e ;;
    all)
        run_meson unit --no-suite syntax-check
        run_meson syntax-check --suite syntax-check
        run_e2e
        ;;
    *) die "unknown suite '$what' (expected unit, syntax-check, e2e or all)" ;;
esac

# CI reads the last line, exactly "N passed, N failed"; skips are reported
# on the line before it and are never counted as passed.
echo "$skipped skipped"
echo "$passed passed, $failed failed" | tee "$BUILD_DIR/check-summary"
[ "$failed" -eq 0 ]
