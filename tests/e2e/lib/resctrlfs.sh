# shellcheck shell=bash
# The resctrl emulator (tests/e2e/resctrlfs/kp-resctrlfs.c, a FUSE
# filesystem) for end-to-end tests: build it, and mount it over
# /sys/fs/resctrl in the test's own mount namespace, seeded with a host
# shape of tests/e2e/resctrlfs/hosts/ (see its README.md). Source after
# tap.sh and libvirt.sh.
#
#   resctrlfs_unshare "$0" "$@"   first thing in a test, before e2e_init:
#                                 run the test again in a private mount
#                                 namespace (no-op once it is in one)
#   resctrlfs_build               compile the emulator into
#                                 build/e2e-tools/kp-resctrlfs when the
#                                 source is newer; print its path
#   resctrlfs_mount SHAPE         mount it at /sys/fs/resctrl, seeded with
#                                 hosts/SHAPE (or a directory, if SHAPE has
#                                 a '/'); a tmpfs goes over /sys/fs first
#                                 (sysfs takes no new directories), with
#                                 what was in /sys/fs bound back; a mounted
#                                 emulator is replaced; the unmount is
#                                 registered with e2e_on_exit. Sets
#                                 RESCTRLFS_PID and RESCTRLFS_SEED
#   resctrlfs_umount              stop the emulator and unmount it
#   resctrlfs_hosts               the shapes, one per line
#
# The log of the emulator is $E2E_TMP/resctrlfs.log; RESCTRLFS_OPTS adds
# options to its command line (e.g. RESCTRLFS_OPTS=-d logs every FUSE
# request there).
#
# Who sees the emulator: everything started from the test after
# resctrlfs_mount, i.e. embedded drivers (qemu:///embed through vsh or
# vsh_session) and daemons started by daemon_start. daemon_start's
# `unshare --mount` copies the test's mounts, and the copy of a FUSE mount
# talks to the same emulator process, so the daemon and its QEMUs see the
# same /sys/fs/resctrl as the test, groups made by either included. So:
#
#   resctrlfs_unshare "$0" "$@"
#   ...
#   e2e_init
#   resctrlfs_mount openeuler-kunpeng
#   daemon_start host        # after the mount: its namespace has it
#
# Cleanup runs in reverse order, so a daemon started after the mount is
# stopped before the emulator. A daemon started before resctrlfs_mount, or
# still running when another shape is mounted, keeps the old view (after
# the old emulator exits, its /sys/fs/resctrl fails with ENOTCONN): restart
# it with daemon_restart after resctrlfs_mount.

RESCTRLFS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../resctrlfs" && pwd)
RESCTRLFS_TOPDIR=$(cd "$RESCTRLFS_DIR/../../.." && pwd)
RESCTRLFS_HOSTS=$RESCTRLFS_DIR/hosts
RESCTRLFS_MNT=/sys/fs/resctrl
RESCTRLFS_PID=
RESCTRLFS_SEED=
_resctrlfs_armed=

resctrlfs_unshare() {
    [ -z "${KP_RESCTRLFS_MNTNS:-}" ] || return 0
    KP_RESCTRLFS_MNTNS=1 exec unshare --mount --propagation private /bin/bash "$@"
}

resctrlfs_build() {
    local src=$RESCTRLFS_DIR/kp-resctrlfs.c dir=$RESCTRLFS_TOPDIR/build/e2e-tools
    local bin=$dir/kp-resctrlfs flags
    if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ]; then
        if ! flags=$(pkg-config --cflags --libs fuse3); then
            echo "resctrlfs_build: no fuse3 for pkg-config (libfuse3-dev, see scripts/deps.sh)" >&2
            return 1
        fi
        mkdir -p "$dir" || return 1
        # Into a temporary file first: two tests may build at once.
        # shellcheck disable=SC2086
        if ! gcc -std=gnu11 -O2 -g -Wall -Wextra -o "$bin.$$" "$src" $flags; then
            rm -f "$bin.$$"
            return 1
        fi
        mv -f "$bin.$$" "$bin" || return 1
    fi
    printf '%s\n' "$bin"
}

resctrlfs_hosts() {
    local d
    for d in "$RESCTRLFS_HOSTS"/*/; do
        [ -f "$d/schemata" ] && basename "$d"
    done
}

# Put a tmpfs over /sys/fs, so that /sys/fs/resctrl can be made, with the
# other entries of /sys/fs (cgroup, bpf, ...) bound back into it.
_resctrlfs_sysfs_fs() {
    local keep=$E2E_TMP/resctrlfs-sysfs-fs e
    [ "$(findmnt -n -o FSTYPE /sys/fs 2>/dev/null)" != tmpfs ] || return 0
    mkdir -p "$keep" &&
        mount --rbind /sys/fs "$keep" &&
        mount -t tmpfs -o mode=0755 kp-sysfs-fs /sys/fs || return 1
    for e in "$keep"/*; do
        if [ -d "$e" ] && [ "${e##*/}" != resctrl ]; then
            mkdir -p "/sys/fs/${e##*/}" && mount --rbind "$e" "/sys/fs/${e##*/}" || return 1
        fi
    done
    # Not a second longer: cleanup removes $E2E_TMP recursively
    umount -l "$keep" && ! mountpoint -q "$keep"
}

resctrlfs_mount() {
    local shape=$1 seed bin _
    case $shape in
        */*) seed=$shape ;;
        *) seed=$RESCTRLFS_HOSTS/$shape ;;
    esac
    if [ ! -f "$seed/schemata" ]; then
        echo "resctrlfs_mount: no host shape '$shape' (have: $(resctrlfs_hosts | tr '\n' ' '))" >&2
        return 1
    fi
    # Never over the machine's own /sys/fs
    if [ "$(readlink /proc/self/ns/mnt)" = "$(readlink /proc/1/ns/mnt)" ]; then
        echo "resctrlfs_mount: not in a private mount namespace (call resctrlfs_unshare first)" >&2
        return 1
    fi
    bin=$(resctrlfs_build) || return 1
    resctrlfs_umount
    _resctrlfs_sysfs_fs || { echo "resctrlfs_mount: cannot put a tmpfs over /sys/fs" >&2; return 1; }
    mkdir -p "$RESCTRLFS_MNT" || return 1

    if [ -z "$_resctrlfs_armed" ]; then
        e2e_on_exit resctrlfs_umount
        _resctrlfs_armed=1
    fi
    # shellcheck disable=SC2086
    "$bin" --seed "$seed" ${RESCTRLFS_OPTS:-} "$RESCTRLFS_MNT" >> "$E2E_TMP/resctrlfs.log" 2>&1 &
    RESCTRLFS_PID=$!
    RESCTRLFS_SEED=$seed
    for _ in $(seq 1 100); do
        if grep -q " $RESCTRLFS_MNT fuse.kp-resctrlfs " /proc/self/mounts; then
            return 0
        fi
        kill -0 "$RESCTRLFS_PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "resctrlfs_mount: the emulator did not mount: $(tail -n 5 "$E2E_TMP/resctrlfs.log")" >&2
    resctrlfs_umount
    return 1
}

resctrlfs_umount() {
    local pid=$RESCTRLFS_PID _
    [ -n "$pid" ] || return 0
    # SIGTERM: libfuse leaves its loop and unmounts
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    if grep -q " $RESCTRLFS_MNT fuse.kp-resctrlfs " /proc/self/mounts; then
        umount -l "$RESCTRLFS_MNT" 2>/dev/null
    fi
    RESCTRLFS_PID=
    RESCTRLFS_SEED=
    return 0
}

# Helpers for tests of the emulator and of what libvirt writes to it

# kp_write FILE TEXT: write TEXT (printf %b) into FILE in one write(2),
# which is one command for resctrl (bash's own printf writes line by line);
# sets KP_ERR to OK or to the errno name of the failure
kp_write() {
    local err
    err=$( { /usr/bin/printf '%b' "$2" > "$1"; } 2>&1 )
    case $err in
        "") KP_ERR=OK ;;
        *"Invalid argument"*) KP_ERR=EINVAL ;;
        *"No such process"*) KP_ERR=ESRCH ;;
        *"No space left on device"*) KP_ERR=ENOSPC ;;
        *"Operation not permitted"*) KP_ERR=EPERM ;;
        *"No such file or directory"*) KP_ERR=ENOENT ;;
        *) KP_ERR=$err ;;
    esac
}

# kp_mkdir DIR: as kp_write, for mkdir; its status is mkdir's
kp_mkdir() {
    local err
    KP_ERR=OK
    err=$(mkdir "$1" 2>&1) && return 0
    case $err in
        *"No space left on device"*) KP_ERR=ENOSPC ;;
        *"Operation not permitted"*) KP_ERR=EPERM ;;
        *"No such file or directory"*) KP_ERR=ENOENT ;;
        *"Invalid argument"*) KP_ERR=EINVAL ;;
        *) KP_ERR=$err ;;
    esac
    return 1
}

# What the seed says (the expected values all come from it)
seed_names() { sed -n 's/^ *\([^:]*\):.*/\1/p' "$1/schemata"; }
seed_line() { grep -E "^ *$2:" "$1/schemata"; }
seed_ids() { seed_line "$1" "$2" | sed 's/^[^:]*://' | tr ';' '\n' | cut -d= -f1; }
seed_value() { seed_line "$1" "$2" | sed 's/^[^:]*://' | tr ';' '\n' | sed -n "s/^$3=//p"; }
seed_info() {
    local dir=$2
    [ -d "$1/info/$dir" ] || dir=$(printf '%s' "$2" | sed 's/^\(L[0-9]*\).*/\1/')
    cat "$1/info/$dir/$3" 2>/dev/null
}
seed_num_closids() {
    local f n min=
    for f in "$1"/info/*/num_closids; do
        case $f in */*_MON/*) continue ;; esac
        n=$(cat "$f")
        [ -n "$min" ] && [ "$min" -le "$n" ] || min=$n
    done
    echo "$min"
}
# the upper bound of an extension line: info/<R>/features, else the
# defaults the emulator documents
seed_ext_max() {
    local seed=$1 name=$2 res feature def
    case $name in
        MB*) res=MB ;;
        *) res=${name%???} ;;
    esac
    case $name in
        MBPRI) feature=mbPrio def=7 ;;
        MBHDL) feature=mbHdl def=1 ;;
        MBMIN) feature=mbMin def=100 ;;
        *PRI) feature=caPrio def=3 ;;
        *MAX) feature=caMax def=100 ;;
        *MIN) feature=caMin def=100 ;;
    esac
    seed_info "$seed" "$res" features | sed -n "s/^$feature@//p" | grep . || echo "$def"
}

# mask_half HEXMASK low|high: the low or the high half of the bits of a
# cache bitmask (cbm_mask: contiguous from bit 0)
mask_half() {
    local m=$((16#$1)) bits=0 n
    for ((n = m; n; n >>= 1)); do bits=$((bits + (n & 1))); done
    if [ "$2" = low ]; then
        printf '%x' $((m & ((1 << (bits / 2)) - 1)))
    else
        printf '%x' $((m & ~((1 << (bits / 2)) - 1)))
    fi
}

# replace_dom TEXT NAME ID VALUE: TEXT (a schemata) with domain ID of line
# NAME set to VALUE
replace_dom() {
    printf '%s\n' "$1" | awk -v n="$2" -v id="$3" -v v="$4" '{
        split($0, a, ":"); name = a[1]; sub(/^ */, "", name)
        if (name != n) { print; next }
        head = a[1]; rest = substr($0, length(a[1]) + 2)
        k = split(rest, d, ";"); out = ""
        for (i = 1; i <= k; i++) {
            split(d[i], p, "=")
            out = out (i > 1 ? ";" : "") (p[1] == id ? id "=" v : d[i])
        }
        print head ":" out }'
}

# shrink_default SEED: give libvirt room to allocate cache: the default
# group of the mounted emulator keeps the low half of each bitmap line
shrink_default() {
    local seed=$1 bm g out
    for bm in $(seed_names "$seed" | grep -E '^L[0-9](CODE|DATA)?$'); do
        out=
        for g in $(seed_ids "$seed" "$bm"); do
            out="$out${out:+;}$g=$(mask_half "$(seed_info "$seed" "$bm" cbm_mask)" low)"
        done
        kp_write "$RESCTRLFS_MNT/schemata" "$bm:$out\n"
        [ "$KP_ERR" = OK ] || diag "cannot shrink the default group's $bm: $(cat "$RESCTRLFS_MNT/info/last_cmd_status")"
    done
}
