#!/bin/bash
# Fuzz the domain XML of the project's features with libFuzzer: build the
# assembled tree's tests/qemuxmlfuzzer (the checks of qemuxmlfuzztest) with
# clang, ASan, UBSan and libFuzzer's coverage in build/fuzz/build, and run
# it for FUZZ_SECONDS (default 300), starting from qemuxmlfuzztest's seed
# documents. The corpus grows in build/fuzz/corpus; an input that crashes
# or breaks a check is kept in build/fuzz/artifacts. Prints the fuzzer's
# statistics and "N crashes" last, and fails when there is one.
#
#   FUZZ_SECONDS  how long to fuzz
#   FUZZ_JOBS     ninja jobs for the build (default: ninja's)
#   FUZZ_DIR      instead of build/fuzz

set -euo pipefail
. "$(dirname "$0")/common.sh"

PREFIX=${PREFIX:-/usr/local}
. "$(dirname "$0")/meson-options.sh"

FUZZ_SECONDS=${FUZZ_SECONDS:-300}
FUZZ_DIR=${FUZZ_DIR:-$BUILD_DIR/fuzz}
FUZZ_BUILD=$FUZZ_DIR/build
fuzzer=$FUZZ_BUILD/tests/qemuxmlfuzzer

[ -d "$TREE/.git" ] || die "run 'make' first"
[ -f "$TREE/tests/qemuxmlfuzzer.c" ] || die "$TREE has no tests/qemuxmlfuzzer.c"
# clang and libFuzzer, from Debian, for this target only
missing=""
for p in clang libclang-rt-14-dev; do
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] ||
        missing="$missing $p"
done
if [ -n "$missing" ]; then
    msg "installing$missing"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing ||
        die "cannot install$missing"
fi

# The drivers of the main build; every object, libvirt's libraries
# included, with the fuzzer's coverage instrumentation. Those libraries
# leave the sanitizer symbols to the executable (b_lundef=false).
options=("${MESON_OPTIONS_NO_DOCS[@]}" -Db_sanitize=address,undefined -Db_lundef=false
         -Dc_args=-fsanitize=fuzzer-no-link)

mkdir -p "$FUZZ_DIR/corpus" "$FUZZ_DIR/artifacts"
if [ ! -f "$FUZZ_BUILD/build.ninja" ]; then
    msg "configuring $FUZZ_BUILD (clang, libFuzzer, ASan, UBSan)"
    (cd "$TREE" && CC=clang meson setup "$FUZZ_BUILD" "${options[@]}" \
        > "$FUZZ_DIR/setup.log" 2>&1) ||
        die "meson setup failed (log: $FUZZ_DIR/setup.log)"
fi
# tests/meson.build defines the target only when clang links libFuzzer
ninja -C "$FUZZ_BUILD" -t targets all | grep -q '^tests/qemuxmlfuzzer:' ||
    die "no fuzzer target: clang cannot link libFuzzer programs (libclang-rt-14-dev missing?), see $FUZZ_BUILD/meson-logs/meson-log.txt"

# Only the fuzzer and the mocks it preloads
msg "building $fuzzer"
ninja -C "$FUZZ_BUILD" ${FUZZ_JOBS:+-j "$FUZZ_JOBS"} tests/qemuxmlfuzzer \
    tests/libvirpcimock.so tests/libvirrandommock.so tests/libdomaincapsmock.so \
    > "$FUZZ_DIR/build.log" 2>&1 ||
    die "the fuzzer build failed (log: $FUZZ_DIR/build.log)"

# The mocks are preloaded, so the ASan runtime is not first in the library
# list: that is expected, as in check-sanitize.sh. UBSan reports abort, so
# that libFuzzer keeps the input.
export ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:abort_on_error=1

rm -rf "$FUZZ_DIR/seeds"
KP_FUZZ_WRITE_SEEDS=$FUZZ_DIR/seeds "$fuzzer" ||
    die "cannot write the seed documents"

msg "fuzzing for ${FUZZ_SECONDS}s (log: $FUZZ_DIR/fuzz.log)"
touch "$FUZZ_DIR/started"
rc=0
"$fuzzer" -max_total_time="$FUZZ_SECONDS" -max_len=65536 -timeout=60 \
    -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$FUZZ_DIR/artifacts/" \
    "$FUZZ_DIR/corpus" "$FUZZ_DIR/seeds" > "$FUZZ_DIR/fuzz.log" 2>&1 || rc=$?

grep -E '^(stat::|qemuxmlfuzzer:|Done )' "$FUZZ_DIR/fuzz.log" || true
# the inputs of this run's crashes (artifacts of earlier runs stay)
new=$(find "$FUZZ_DIR/artifacts" -type f -newer "$FUZZ_DIR/started")
crashes=$(printf '%s' "$new" | grep -c . || true)
if [ "$rc" -ne 0 ]; then
    grep -E -A40 '^(==[0-9]+==ERROR|.*runtime error|qemuxmlfuzzer: )' "$FUZZ_DIR/fuzz.log" |
        head -n 80 >&2 || true
    [ "$crashes" -gt 0 ] || crashes=1
fi
[ -z "$new" ] || printf 'input: %s\n' $new >&2
echo "$crashes crashes"
[ "$crashes" -eq 0 ]
