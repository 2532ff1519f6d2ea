#!/bin/bash
# The resctrl emulator for F3 (tests/e2e/resctrlfs/kp-resctrlfs.c, seeded
# with the host shapes of tests/e2e/resctrlfs/hosts/), in a private mount
# namespace, for every shape:
#  - it mounts at /sys/fs/resctrl and its default group prints the seed's
#    schemata;
#  - mkdir makes a group with the kernel's files and every line at its
#    default (not what the default group has now);
#  - bad schemata writes (unknown resource, unknown domain id, mask out of
#    range, non-contiguous mask where the host has no sparse masks, MB out
#    of range or not a number) fail with EINVAL and say why in
#    info/last_cmd_status, and change nothing; a write of one domain of two
#    lines changes only those, and status is "ok" again;
#  - the MPAM extension lines (L3PRI, L3MIN, L3MAX, MBMIN, MBHDL, MBPRI)
#    take their range where the host has them and are unknown resources
#    where it does not (the upstream shape has none);
#  - a thread moves between groups and is listed in exactly one; an
#    unknown thread gives ESRCH; rmdir gives the threads back to the
#    default group; mkdir is EPERM outside the root and mon_groups; the
#    monitoring files are there when the host monitors; mkdir gives ENOSPC
#    once the partition ids run out.
# A daemon started after the mount sees the emulator. What libvirt makes
# of each shape is 11-mpam.t.

. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/guest.sh"
. "$(dirname "$0")/lib/libvirt.sh"
. "$(dirname "$0")/lib/resctrlfs.sh"

resctrlfs_unshare "$0" "$@"

SHAPES="upstream-mpam openeuler-kunpeng openeuler-kunpeng-cdp mpam-missing-control"
PER_SHAPE=22
plan $((4 * PER_SHAPE + 6))
e2e_init
R=$RESCTRLFS_MNT

resctrlfs_build >/dev/null 2>"$E2E_TMP/build.log"
ok $? "the emulator builds" || bail_out "cannot build the emulator: $(cat "$E2E_TMP/build.log")"

# the names of the groups whose tasks file lists TID
groups_with() {
    local g names=
    grep -qx "$1" "$R/tasks" && names="root"
    for g in "$R"/*/tasks; do
        case $g in "$R"/info/*|"$R"/mon_*) continue ;; esac
        grep -qx "$1" "$g" && names="$names $(basename "$(dirname "$g")")"
    done
    echo "${names# }"
}

check_shape() {
    local shape=$1 seed=$RESCTRLFS_HOSTS/$1 t="$1:"
    local bm ids last half mbid mbold mbnew want before got n ncl i
    local name names max min summary want_sum sparse tid sp status files doms evts

    resctrlfs_mount "$shape" || bail_out "cannot mount the emulator for $shape"
    is "$(grep -c " $R fuse.kp-resctrlfs " /proc/self/mounts):$(cat $R/info/last_cmd_status)" "1:ok" \
        "$t mounted at $R, last_cmd_status 'ok'"
    is "$(cat $R/schemata)" "$(cat "$seed/schemata")" \
        "$t the default group prints the seed's schemata, same order and format"

    # The first cache bitmap line and its last (maybe sparse) domain id
    bm=$(seed_names "$seed" | grep -E '^L[0-9]+(CODE|DATA)?$' | head -n1)
    ids=$(seed_ids "$seed" "$bm")
    last=$(printf '%s\n' "$ids" | tail -n1)
    half=$(mask_half "$(seed_info "$seed" "$bm" cbm_mask)" high)

    # A new group gets the defaults, not what the default group has now
    kp_write $R/schemata "$bm:$last=$half\n"
    mkdir $R/g1
    files="cpus cpus_list"
    [ -f "$seed/mode" ] && files="$files mode"
    [ -d "$seed/info/L3_MON" ] && files="$files mon_data mon_groups"
    files="$files schemata"
    [ -f "$seed/size" ] && files="$files size"
    files="$files tasks"
    is "$(LC_ALL=C ls $R/g1 | tr '\n' ' ')" "$files " "$t mkdir makes a group with $files"
    is "$(cat $R/g1/schemata)" "$(cat "$seed/schemata")" \
        "$t the new group's lines are the defaults (its $bm is not the default group's $half)"
    kp_write $R/schemata "$bm:$last=$(seed_value "$seed" "$bm" "$last")\n"

    # Bad writes: EINVAL, a reason, nothing changed
    before=$(cat $R/g1/schemata)
    kp_write $R/g1/schemata "KPX:0=1\n"
    like "$KP_ERR:$(cat $R/info/last_cmd_status)" "^EINVAL:Unknown or unsupported resource name 'KPX'" \
        "$t an unknown resource: EINVAL, named in last_cmd_status"
    n=$(($(printf '%s\n' "$ids" | sort -n | tail -n1) + 1))
    kp_write $R/g1/schemata "$bm:$n=$half\n"
    like "$KP_ERR:$(cat $R/info/last_cmd_status)" "^EINVAL:Unknown domain $n" \
        "$t an unknown $bm domain id ($n): EINVAL, named in last_cmd_status"
    kp_write $R/g1/schemata "$bm:$last=1$(seed_info "$seed" "$bm" cbm_mask)\n"
    like "$KP_ERR:$(cat $R/info/last_cmd_status)" "^EINVAL:Mask out of range" \
        "$t a $bm mask wider than cbm_mask: EINVAL, 'Mask out of range'"
    kp_write $R/g1/schemata "$bm:$last=5\n"
    sparse=$(seed_info "$seed" "$bm" sparse_masks)
    if [ "$sparse" = 1 ]; then
        is "$KP_ERR:$(cat $R/info/last_cmd_status)" "OK:ok" \
            "$t a non-contiguous $bm mask is taken: the host has sparse_masks 1"
        kp_write $R/g1/schemata "$bm:$last=$(seed_value "$seed" "$bm" "$last")\n"
    else
        like "$KP_ERR:$(cat $R/info/last_cmd_status)" "^EINVAL:The mask 5 has non-consecutive 1-bits" \
            "$t a non-contiguous $bm mask: EINVAL (no sparse_masks on this host)"
    fi
    mbid=$(seed_ids "$seed" MB | tail -n1)
    min=$(cat "$seed/info/MB/min_bandwidth")
    kp_write $R/g1/schemata "MB:$mbid=101\n"
    got="$KP_ERR:$(cat $R/info/last_cmd_status)"
    want="^EINVAL:MB value 101 out of range \[$min,100\]"
    if [ "$min" -gt 0 ]; then
        kp_write $R/g1/schemata "MB:$mbid=$((min - 1))\n"
        got="$got|$KP_ERR:$(cat $R/info/last_cmd_status)"
        want="$want\|EINVAL:MB value $((min - 1)) out of range"
    fi
    like "$got" "$want" \
        "$t MB above 100$([ "$min" -gt 0 ] && echo " or below min_bandwidth $min"): EINVAL, the range in last_cmd_status"
    kp_write $R/g1/schemata "$bm:$last=$half\nMB:$mbid=5x\n"
    like "$KP_ERR:$(cat $R/info/last_cmd_status)" "^EINVAL:Invalid MB value 5x" \
        "$t MB not a number, after a good $bm line: EINVAL"
    is "$(cat $R/g1/schemata)" "$before" "$t the failed writes changed nothing"

    # One domain of two lines
    mbold=$(seed_value "$seed" MB "$mbid")
    mbnew=50
    case $mbold in 0?*) mbnew=$(printf '%0*d' ${#mbold} 50) ;; esac
    kp_write $R/g1/schemata "$bm:$last=$half\nMB:$mbid=50\n"
    want=$(replace_dom "$(replace_dom "$before" "$bm" "$last" "$half")" MB "$mbid" "$mbnew")
    is "$KP_ERR:$(cat $R/g1/schemata)" "OK:$want" \
        "$t '$bm:$last=$half' + 'MB:$mbid=50' change those two domains only"
    is "$(cat $R/info/last_cmd_status)" "ok" "$t last_cmd_status is 'ok' again"

    # The MPAM extension lines: a range where the host has them, unknown
    # where it has not
    summary=
    want_sum=
    names="L3PRI L3MIN L3MAX MBMIN MBHDL MBPRI $(seed_names "$seed" | grep -E '^L[0-9]+(CODE|DATA)(PRI|MIN|MAX)$' | tr '\n' ' ')"
    for name in $names; do
        if seed_line "$seed" $name >/dev/null; then
            max=$(seed_ext_max "$seed" $name)
            want_sum="$want_sum $name:EINVAL,OK"
            n=$(seed_ids "$seed" $name | head -n1)
            kp_write $R/g1/schemata "$name:$n=$((max + 1))\n"
            status=$KP_ERR
            grep -q "^$name value $((max + 1)) out of range \[[0-9]*,$max\]" $R/info/last_cmd_status ||
                status="$status($(cat $R/info/last_cmd_status))"
            kp_write $R/g1/schemata "$name:$n=$max\n"
            summary="$summary $name:$status,$KP_ERR"
        else
            want_sum="$want_sum $name:unknown"
            kp_write $R/g1/schemata "$name:0=1\n"
            grep -q "^Unknown or unsupported resource name '$name'" $R/info/last_cmd_status &&
                [ "$KP_ERR" = EINVAL ] && summary="$summary $name:unknown" ||
                summary="$summary $name:$KP_ERR($(cat $R/info/last_cmd_status))"
        fi
    done
    is "$summary" "$want_sum" "$t extension lines ($names): out of range refused, maximum taken, absent ones unknown"

    # Threads
    sleep 60 &
    sp=$!
    kp_write $R/g1/tasks "$sp"
    is "$KP_ERR:$(groups_with $sp)" "OK:g1" "$t a thread written into g1/tasks is listed there only"
    mkdir $R/g2
    kp_write $R/g2/tasks "$sp\n"
    is "$KP_ERR:$(groups_with $sp)" "OK:g2" "$t moved on to g2, it is listed there only"
    # CPU 1 to g2 (the seeds' cpus_list are all "0-N")
    kp_write $R/g2/cpus_list "1\n"
    is "$KP_ERR:$(cat $R/g2/cpus_list):$(cat $R/g2/cpus):$(cat $R/cpus_list)" \
        "OK:1:$(sed 's/[0-9a-f]/0/g; s/0$/2/' "$seed/cpus"):0,2-$(sed 's/^0-//' "$seed/cpus_list")" \
        "$t CPU 1 written into g2/cpus_list leaves the default group"
    tid=$(sh -c 'echo $$')
    kp_write $R/g1/tasks "$tid"
    is "$KP_ERR:$(cat $R/info/last_cmd_status)" "ESRCH:No task $tid" \
        "$t a thread that does not exist: ESRCH, 'No task $tid'"
    rmdir $R/g2
    is "$([ -e $R/g2 ] && echo g2 is there):$(groups_with $sp):$(cat $R/cpus_list)" \
        ":root:$(cat "$seed/cpus_list")" \
        "$t rmdir g2: gone, its thread and CPU back in the default group"
    kill $sp
    wait $sp 2>/dev/null

    kp_mkdir $R/g1/sub
    is "$KP_ERR" EPERM "$t mkdir in a group (not in mon_groups): EPERM"
    if [ -d "$seed/info/L3_MON" ]; then
        # the seed's domains, else the kernel's names for the L3 ones
        doms=$(LC_ALL=C ls "$seed/mon_data" 2>/dev/null) ||
            doms=$(for i in $(seed_ids "$seed" "$(seed_names "$seed" | grep -E '^L3(CODE)?$' | head -n1)"); do
                       printf 'mon_L3_%02d\n' "$i"
                   done | LC_ALL=C sort)
        evts=$(cat "$seed/info/L3_MON/mon_features")
        want=
        got=
        for n in $doms; do
            for name in $evts; do
                want="$want $n/$name=0"
                got="$got $n/$name=$(cat $R/g1/mon_data/$n/$name 2>&1)"
            done
        done
        n=$(printf '%s\n' $doms | tail -n1)
        name=$(printf '%s\n' $evts | head -n1)
        kp_write $R/g1/mon_data/$n/$name 12345
        got="$got set:$(cat $R/g1/mon_data/$n/$name)"
        mkdir $R/g1/mon_groups/m1 && got="$got m1:$(ls $R/g1/mon_groups/m1 | tr '\n' ' ')"
        is "$got" "$want set:12345 m1:cpus cpus_list mon_data tasks " \
            "$t monitoring: mon_data/$(printf '%s' "$doms" | tr '\n' ',')/{$(printf '%s' "$evts" | tr '\n' ',')} at 0, settable; mon_groups/m1 is a monitoring group"
    else
        kp_mkdir $R/g1/mon_groups
        is "$KP_ERR:$(find $R/g1 -name 'mon_*' | wc -l)" "EPERM:0" \
            "$t no monitoring on this host: no mon_data or mon_groups, none can be made"
    fi

    # Partition ids: the default group and g1 hold two
    ncl=$(seed_num_closids "$seed")
    n=0
    while kp_mkdir "$R/x$n"; do
        n=$((n + 1))
        [ $n -le 256 ] || break
    done
    is "$n:$KP_ERR:$(cat $R/info/last_cmd_status)" "$((ncl - 2)):ENOSPC:Out of CLOSIDs" \
        "$t $((ncl - 2)) more groups, then ENOSPC 'Out of CLOSIDs' (num_closids $ncl)"
    for ((i = 0; i < n; i++)); do rmdir "$R/x$i"; done
    rmdir $R/g1
}

for shape in $SHAPES; do
    check_shape "$shape"
    if [ "$shape" = upstream-mpam ]; then
        # A daemon started now has the emulator in its mount namespace
        daemon_start host
        pid=$(cat "$E2E_TMP/host/run/virtqemud.pid")
        is "$(cat "/proc/$pid/root$R/schemata" 2>&1)" "$(cat $R/schemata)" \
            "a daemon started after resctrlfs_mount sees the emulator at $R"
        mkdir $R/seen-by-daemon
        is "$([ -d "/proc/$pid/root$R/seen-by-daemon" ] && echo there)" there \
            "a group the test makes shows in the daemon's $R"
        rmdir $R/seen-by-daemon
        daemon_stop host
    fi
done

# A line the emulator does not know (AMD's SMBA, added to a copy of the
# upstream shape): printed as the host has it, takes values of its shape
seed=$E2E_TMP/seed-smba
cp -a "$RESCTRLFS_HOSTS/upstream-mpam" "$seed"
echo "  SMBA:0=2048" >> "$seed/schemata"
resctrlfs_mount "$seed" || bail_out "cannot mount the emulator for $seed"
mkdir $R/g1
is "$(cat $R/g1/schemata)" "$(cat "$seed/schemata")" "an unknown line (SMBA) is printed as the seed has it"
kp_write $R/g1/schemata "SMBA:0=1024\n"
got=$KP_ERR
kp_write $R/g1/schemata "SMBA:0=1x\n"
is "$got:$KP_ERR:$(grep SMBA $R/g1/schemata)" "OK:EINVAL:  SMBA:0=1024" \
    "it takes a write of the same shape, not another"
rmdir $R/g1

pid=$RESCTRLFS_PID
resctrlfs_umount
is "$(kill -0 "$pid" 2>/dev/null && echo alive):$(grep -c fuse.kp-resctrlfs /proc/self/mounts)" ":0" \
    "resctrlfs_umount: the emulator exited, nothing mounted"
