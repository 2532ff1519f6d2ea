#!/bin/bash
# make bench: every benchmark in bench/, one after the other, on Debian's
# QEMU 7.2 under TCG. Each prints one line per measurement with three sides,
# run alternately in the same run: this build ("ours"), Debian's stock
# libvirt 9.0 ("stock"), and the same QMP commands sent straight to QEMU by
# bench/qmp-raw.py ("raw": the floor, no libvirt), QEMU started with the
# command line this build's libvirt ran. Per side the median in ms and the
# range [min-max]; then ours/stock (below 1: this build is faster) and
# ours/raw (what libvirt adds to QEMU's own time), each the median of the
# rounds' ratios with its 95% interval [low-high] (bench/stats.py: the
# interval is how far one run's ratio can be trusted). The guests are paused
# while timed, except in define-start-destroy.sh and migrate-compressed.sh.
#
#   define-start-destroy.sh   define + start + destroy of the tiny guest;
#                             raw: QEMU start, QMP ready, cont, quit
#   attach-memory.sh          hot add of 1 GiB into a memory-less node, F4
#   setvcpus.sh               setvcpus 1 -> N --live (N = 8, 16, 32, 64), F5
#   migrate-compressed.sh     live migration of a busy guest over a 256
#                             Mbit/s link between two network namespaces,
#                             uncompressed, zlib, zstd (1, 2, 4
#                             connections) and legacy mt, F6; QEMU's own
#                             total-time and downtime, bytes on the wire

set -uo pipefail
dir=$(cd "$(dirname "$0")" && pwd)
status=0
for b in "$dir"/*.sh; do
    case $(basename "$b") in lib.sh|run.sh) continue ;; esac
    "$b" || status=1
done
exit $status
