#!/bin/bash
# make bench: every benchmark in bench/, one after the other; each prints one
# line with the medians of this build and of Debian's stock libvirt 9.0 and
# their ratio (ours / stock: below 1 is faster).
#
#   define-start-destroy.sh   define + start + destroy of the tiny guest
#   attach-memory.sh          hot add of 1 GiB into a memory-less node, F4
#   setvcpus.sh               setvcpus 1 -> N --live (N = 8, 16, 32, 64), F5

set -uo pipefail
dir=$(cd "$(dirname "$0")" && pwd)
status=0
for b in "$dir"/*.sh; do
    case $(basename "$b") in lib.sh|run.sh) continue ;; esac
    "$b" || status=1
done
exit $status
