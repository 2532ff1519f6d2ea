#!/bin/bash
# F6: KAEzlib (qemu.conf migration_kaezlib_dir) and the uacce compression
# engines, end to end with QEMU 7.2 (x86_64 TCG, 128 MiB guests):
#  1. KAEzlib for real, between two private virtqemud "hosts" in their own
#     network namespaces, both with migration_kaezlib_dir set to a
#     directory holding a copy of the system's libz.so.1 (the stand-in for
#     KAEzlib's): QEMU's environment has LD_LIBRARY_PATH starting with the
#     directory (then the daemon's own), /proc/PID/maps maps libz.so.1 from
#     it and from nowhere else, and the domain carries no custom-argv taint
#     and no qemu:env; `virsh migrate --live --parallel
#     --parallel-connections 2 --compressed --comp-methods zlib` works (QEMU
#     gets multifd-compression zlib), the guest reports again on the
#     destination, whose QEMU maps libz.so.1 from the directory too;
#  2. a relative migration_kaezlib_dir makes the daemon refuse its config;
#     one that does not exist lets the daemon start, but `virsh start`
#     fails naming the directory, with no QEMU left and the domain shut off;
#  3. a fake uacce engine, in a third daemon's mount namespace (no network
#     namespace: `ip netns exec` remounts /sys): /sys/class there is a copy
#     of this host's (the class directories with their symlinks, which
#     resolve into the real /sys/devices) plus uacce/hisi_zip-0 (api
#     hisi_qm_v2, algorithms zlib and gzip, available_instances 2), and /dev
#     is a tmpfs copy of this host's (/dev/pts and /dev/shm bound back) plus
#     hisi_zip-0, a character device 1:3 (i.e. /dev/null) owned by
#     root:daemon. `virsh capabilities` lists the engine; with namespaces =
#     [ "mount" ], QEMU's private /dev has hisi_zip-0 only when
#     migration_kaezlib_dir is set (Debian's QEMU has no uadk method), and
#     with QEMU as root:nogroup it is root:nogroup there while the daemon's
#     stays root:daemon; without the private /dev, the daemon's (the host's)
#     node is root:nogroup while the guest runs and root:daemon again after
#     destroy (the DAC driver is always there in a privileged daemon, even
#     with security_driver = "none").
# Not checked: the device cgroup (the e2e daemons run without cgroups).
# The e2e daemons run QEMU as root, so every domain has the high-privileges
# taint; only other taints count here.

. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/guest.sh"
. "$(dirname "$0")/lib/libvirt.sh"

plan 26
e2e_init
dom=kp-kaez-$$
kaez=$E2E_TMP/kaezlib
missing=$E2E_TMP/kaezlib-missing
src_log=$E2E_TMP/$dom-src.log
dst_log=$E2E_TMP/$dom-dst.log
nogroup_gid=$(getent group nogroup | cut -d: -f3)
daemon_gid=$(getent group daemon | cut -d: -f3)
[ -n "$nogroup_gid" ] && [ -n "$daemon_gid" ] || bail_out "no group nogroup or daemon on this host"

mkdir -p "$kaez" && cp "$(readlink -f /lib/x86_64-linux-gnu/libz.so.1)" "$kaez/libz.so.1" ||
    bail_out "cannot copy the system's libz.so.1"

daemon_log() {
    echo "$E2E_TMP/$1/log/virtqemud.log"
}

log_lines() {
    wc -l 2>/dev/null < "$(daemon_log "$1")" || echo 0
}

daemon_pid() {
    cat "$E2E_TMP/$1/run/virtqemud.pid" 2>/dev/null
}

qemu_pid() {
    cat "$E2E_TMP/$1/run/qemu/$2.pid" 2>/dev/null
}

# env_of PID NAME: the value of NAME in the environment of process PID
env_of() {
    tr '\0' '\n' < "/proc/$1/environ" 2>/dev/null | sed -n "s/^$2=//p"
}

# libz_maps PID: the files libz.so.* is mapped from in process PID
libz_maps() {
    awk '$6 ~ /\/libz\.so/ { print $6 }' "/proc/$1/maps" 2>/dev/null | sort -u | xargs
}

# taints SIDE DOM: the taint reasons in the domain log other than
# high-privileges (all e2e QEMUs run as root), or "none"
taints() {
    local t
    t=$(grep -a -o 'is tainted: [a-z-]*' "$E2E_TMP/$1/log/qemu/$2.log" 2>/dev/null |
        sed 's/is tainted: //' | grep -v -x high-privileges | sort -u | xargs)
    echo "${t:-none}"
}

last_seq() {
    guest_report_field "$(grep -a '^KP-REPORT seq=' "$1" | tail -n 1)" seq
}

# qmp_compression SIDE MARK: multifd-channels and multifd-compression of
# the first migrate-set-parameters sent to a QEMU of SIDE after line MARK
qmp_compression() {
    local line
    line=$(tail -n +"$(($2 + 1))" "$(daemon_log "$1")" |
           grep -a -m1 'QEMU_MONITOR_SEND_MSG: .*"execute":"migrate-set-parameters"')
    printf 'channels=%s compression=%s\n' \
        "$(printf '%s\n' "$line" | sed -n 's/.*"multifd-channels":\([0-9]*\).*/\1/p')" \
        "$(printf '%s\n' "$line" | sed -n 's/.*"multifd-compression":"\([a-z]*\)".*/\1/p')"
}

# qemu_gone DOM: wait (10 s) until no QEMU process of DOM is left
qemu_gone() {
    local i
    for i in $(seq 1 50); do
        pgrep -f -- "guest=$1," >/dev/null || return 0
        sleep 0.2
    done
    return 1
}

guest_xml() {
    GUEST_MEMORY_MIB=128 GUEST_EMULATOR=/usr/bin/qemu-system-x86_64 \
        guest_domain_xml x86_64 "$1" "$(guest_kernel x86_64)" "$E2E_TMP/initrd" "$2"
}

guest_initramfs x86_64 "$E2E_TMP/initrd" || bail_out "cannot build the initramfs"

# --- 1. KAEzlib for real, and a migration with zlib ---------------------
ns1=kpKs$$ ns2=kpKd$$
declare -A ip_of=([src]=10.251.0.1 [dst]=10.251.0.2)
netns_pair "$ns1" "${ip_of[src]}/24" "$ns2" "${ip_of[dst]}/24" ||
    bail_out "cannot create the network namespaces"
daemon_start src --netns "$ns1" --hostname kp-src --host-uuid 11111111-2222-3333-4444-000000000141 \
        --qemu-conf "migration_kaezlib_dir = \"$kaez\"" &&
    daemon_start dst --netns "$ns2" --hostname kp-dst --host-uuid 11111111-2222-3333-4444-000000000142 \
        --qemu-conf "migration_kaezlib_dir = \"$kaez\""
ok $? "two private daemons in their own network namespaces, migration_kaezlib_dir = \"$kaez\"" ||
    bail_out "the daemons do not start"

guest_xml "$dom" "$src_log" > "$E2E_TMP/$dom.xml"
out=$(vsh src define "$E2E_TMP/$dom.xml" 2>&1 && vsh src start "$dom" 2>&1) &&
    guest_report_wait "$src_log" '^KP-REPORT seq=' 120 >/dev/null
ok $? "the guest starts on src and reports on its console" ||
    bail_out "the guest does not start: $out $(tail -n 5 "$src_log" 2>/dev/null)"

pid=$(qemu_pid src "$dom")
is "$(env_of "$pid" LD_LIBRARY_PATH)" "$kaez:$(env_of "$(daemon_pid src)" LD_LIBRARY_PATH)" \
    "src: QEMU's LD_LIBRARY_PATH is the KAEzlib directory, then the daemon's"
is "$(libz_maps "$pid")" "$kaez/libz.so.1" \
    "src: QEMU maps libz.so.1 from the KAEzlib directory and from nowhere else"

xml=$(vsh src dumpxml "$dom" 2>&1)
info=$(vsh src dominfo "$dom" 2>&1)
is "taints: $(taints src "$dom"); qemu:env in the XML: $(printf '%s\n' "$xml" | grep -c -e 'qemu:env' -e LD_LIBRARY_PATH); dominfo custom: $(printf '%s\n' "$info" | grep -c 'tainted: custom')" \
    "taints: none; qemu:env in the XML: 0; dominfo custom: 0" \
    "src: the domain is not tainted by the library path (no custom taint, no qemu:env)"

vsh src dumpxml --migratable "$dom" | sed "s|$src_log|$dst_log|g" > "$E2E_TMP/mig.xml"
mark=$(log_lines src)
prev=$(last_seq "$src_log")
out=$(vsh src migrate --live --persistent --parallel --parallel-connections 2 \
      --compressed --comp-methods zlib --xml "$E2E_TMP/mig.xml" \
      "$dom" "$(e2e_uri dst)" "tcp://${ip_of[dst]}:49152" 2>&1)
ok $? "virsh migrate --live --parallel --parallel-connections 2 --compressed --comp-methods zlib" ||
    diag "$out" "$(tail -n 20 "$E2E_TMP/dst/log/qemu/$dom.log" 2>/dev/null)"
is "$(qmp_compression src "$mark")" "channels=2 compression=zlib" \
    "src: QEMU was asked for 2 multifd channels with zlib"
is "$(vsh dst domstate "$dom" 2>&1) / $(vsh src domstate "$dom" 2>&1)" "running / shut off" \
    "the guest runs on dst, no longer on src"
line=$(guest_report_wait "$dst_log" '^KP-REPORT seq=' 30)
seq=$(guest_report_field "$line" seq)
[ -n "$prev" ] && [ -n "$seq" ] && [ "$seq" -gt "$prev" ]
ok $? "the guest goes on reporting on dst's console (seq ${prev:-none} -> ${seq:-none})" ||
    diag "$(tail -n 3 "$dst_log" 2>/dev/null)"
pid=$(qemu_pid dst "$dom")
is "$(libz_maps "$pid") / $(env_of "$pid" LD_LIBRARY_PATH | cut -d: -f1)" "$kaez/libz.so.1 / $kaez" \
    "dst: QEMU maps libz.so.1 from the KAEzlib directory only, first on its LD_LIBRARY_PATH"
vsh dst destroy "$dom" >/dev/null 2>&1
qemu_gone "$dom" || diag "the QEMU of $dom on dst does not go away"

# --- 2. a relative and a missing migration_kaezlib_dir ------------------
mark=$(log_lines src)
daemon_restart src --qemu-conf 'migration_kaezlib_dir = "kaezlib"' 2>/dev/null
rc=$?
msg=$(tail -n +"$((mark + 1))" "$(daemon_log src)" | grep -a -o "migration_kaezlib_dir must be .*got 'kaezlib'" | head -n 1)
is "status $rc: $msg" \
    "status 1: migration_kaezlib_dir must be an absolute directory path without ':', got 'kaezlib'" \
    "a relative migration_kaezlib_dir: the daemon refuses its qemu.conf"

daemon_restart src --qemu-conf "migration_kaezlib_dir = \"$missing\""
ok $? "with migration_kaezlib_dir = \"$missing\" (no such directory) the daemon starts"
out=$(vsh src start "$dom" 2>&1)
rc=$?
like "status $rc: $(printf '%s' "$out" | tr '\n' ' ')" \
    "^status [1-9][0-9]*: error: .*migration_kaezlib_dir '$missing' of qemu\.conf is not a directory" \
    "virsh start fails, naming the missing directory"
qemu_gone "$dom"
is "$(vsh src domstate "$dom" 2>&1) / QEMU left: $(pgrep -f -- "guest=$dom," | xargs)" "shut off / QEMU left: " \
    "after the failed start the domain is shut off and no QEMU is left"
daemon_stop src
daemon_stop dst

# --- 3. a fake uacce engine ---------------------------------------------
# /sys/class for the daemon: the class directories with their symlinks
# (the class attribute files are left out: reading zram-control/hot_add
# adds a device), and the fake engine.
sysclass=$E2E_TMP/sys-class
mkdir -p "$sysclass" || bail_out "cannot make $sysclass"
for d in /sys/class/*/; do
    d=${d%/}
    mkdir -p "$sysclass/${d##*/}"
    find "$d" -mindepth 1 -maxdepth 1 -type l -exec cp -P -t "$sysclass/${d##*/}" {} +
done
eng=$sysclass/uacce/hisi_zip-0
mkdir -p "$eng" && echo hisi_qm_v2 > "$eng/api" && printf 'zlib\ngzip\n' > "$eng/algorithms" &&
    echo 2 > "$eng/available_instances" || bail_out "cannot make the fake engine"

# /dev for the daemon, run in its mount namespace: a tmpfs copy of this
# host's, the mounts under it bound back, and the engine's node.
cat > "$E2E_TMP/fake-dev.sh" <<'EOF'
set -e
tmp=$1
mkdir -p "$tmp"
mount -t tmpfs -o mode=755 kp-fake-dev "$tmp"
cp -ax /dev/. "$tmp/"
for m in /dev/*; do
    if [ -d "$m" ] && [ ! -L "$m" ] && mountpoint -q "$m"; then
        mount --rbind "$m" "$tmp/${m#/dev/}"
    fi
done
mknod -m 0660 "$tmp/hisi_zip-0" c 1 3
chown root:daemon "$tmp/hisi_zip-0"
# The old /dev and what is mounted under it go (here /dev/pts and /dev/shm
# are mounted twice, one over the other, which libvirt's private /dev
# cannot take: it moves the upper ones only, and /dev stays busy).
umount -l /dev
mount --move "$tmp" /dev
EOF

acc_log=$E2E_TMP/$dom-acc.log
daemon_start acc --bind "$sysclass:/sys/class" \
    --ns-setup "bash '$E2E_TMP/fake-dev.sh' '$E2E_TMP/acc-dev'" \
    --qemu-conf 'namespaces = [ "mount" ]'
rc=$?
dpid=$(daemon_pid acc)
root=/proc/${dpid:-0}/root
is "status $rc: $(xargs < "$root/sys/class/uacce/hisi_zip-0/algorithms" 2>&1) / $(stat -c '%F %t:%T %U:%G' "$root/dev/hisi_zip-0" 2>&1) / lo $(cat "$root/sys/class/net/lo/ifindex" 2>&1)" \
    "status 0: zlib gzip / character special file 1:3 root:daemon / lo 1" \
    "a daemon whose namespace has the fake engine in /sys/class/uacce and /dev (and the real /sys/class/net)" ||
    bail_out "the fake engine's daemon does not start: $(tail -n 5 "$E2E_TMP/acc/log/stdout.log" 2>/dev/null)"

caps=$(vsh acc capabilities 2>&1 | tr -d '\n' | sed 's/>  */>/g')
like "$caps" "<uacce><device name='hisi_zip-0' path='/dev/hisi_zip-0' api='hisi_qm_v2' available_instances='2'><algorithm name='zlib'/><algorithm name='gzip'/></device></uacce>" \
    "virsh capabilities lists the engine, its api, free instances and algorithms" ||
    diag "$(vsh acc capabilities 2>&1 | grep -A6 '<uacce')"

# A private /dev: QEMU's has /dev/null but not the host's /dev/tty1.
qemu_dev() {
    local p=$1
    printf 'null:%s tty1:%s hisi_zip-0:%s' \
        "$(stat -c %t:%T "/proc/$p/root/dev/null" 2>/dev/null || echo -)" \
        "$(stat -c %t:%T "/proc/$p/root/dev/tty1" 2>/dev/null || echo -)" \
        "$(stat -c '%F %t:%T %u:%g' "/proc/$p/root/dev/hisi_zip-0" 2>/dev/null || echo -)"
}

guest_xml "$dom" "$acc_log" > "$E2E_TMP/acc.xml"
out=$(vsh acc define "$E2E_TMP/acc.xml" 2>&1 && vsh acc start "$dom" 2>&1)
rc=$?
is "status $rc: $(qemu_dev "$(qemu_pid acc "$dom")")" "status 0: null:1:3 tty1:- hisi_zip-0:-" \
    "namespaces = [ \"mount\" ], no migration_kaezlib_dir: QEMU's private /dev has no hisi_zip-0" ||
    diag "$out"
vsh acc destroy "$dom" >/dev/null 2>&1
qemu_gone "$dom" || diag "the QEMU of $dom does not go away"

daemon_restart acc --qemu-conf "migration_kaezlib_dir = \"$kaez\"" --qemu-conf 'group = "nogroup"'
ok $? "the daemon restarts with migration_kaezlib_dir set, QEMU's group nogroup" || bail_out "the daemon does not restart"
mark=$(guest_log_mark "$acc_log")
out=$(vsh acc start "$dom" 2>&1) && guest_report_wait "$acc_log" '^KP-REPORT seq=' 120 >/dev/null
ok $? "with migration_kaezlib_dir the guest starts and reports on its console" ||
    diag "$out" "$(tail -n 5 "$acc_log" 2>/dev/null)"
pid=$(qemu_pid acc "$dom")
dpid=$(daemon_pid acc)
is "$(qemu_dev "$pid") / daemon's $(stat -c %u:%g "/proc/${dpid:-0}/root/dev/hisi_zip-0" 2>&1)" \
    "null:1:3 tty1:- hisi_zip-0:character special file 1:3 0:$nogroup_gid / daemon's 0:$daemon_gid" \
    "QEMU's private /dev has the engine's node hisi_zip-0 (1:3), root:nogroup; the daemon's is untouched" ||
    diag "$(grep -a 'hisi_zip\|uacce' "$(daemon_log acc)" | tail -n 5)"
is "$(libz_maps "$pid")" "$kaez/libz.so.1" "that QEMU maps libz.so.1 from the KAEzlib directory"
vsh acc destroy "$dom" >/dev/null 2>&1
qemu_gone "$dom"
is "$(vsh acc domstate "$dom" 2>&1) / QEMU left: $(pgrep -f -- "guest=$dom," | xargs)" "shut off / QEMU left: " \
    "after destroy the domain is shut off and its QEMU gone"

# No private /dev: the DAC driver labels the daemon's /dev/hisi_zip-0.
daemon_restart acc --qemu-conf 'namespaces = [ ]'
ok $? "the daemon restarts without namespaces" ||
    bail_out "the daemon does not restart"
dpid=$(daemon_pid acc)
out=$(vsh acc start "$dom" 2>&1)
rc=$?
pid=$(qemu_pid acc "$dom")
is "status $rc: gid $(awk '/^Gid:/ { print $2 }' "/proc/${pid:-0}/status" 2>/dev/null)" "status 0: gid $nogroup_gid" \
    "the guest starts, its QEMU runs with group nogroup" || diag "$out"
is "$(stat -c %u:%g "/proc/$dpid/root/dev/hisi_zip-0" 2>&1)" "0:$nogroup_gid" \
    "while it runs, the daemon's /dev/hisi_zip-0 is root:nogroup" ||
    diag "$(grep -a 'DAC.*hisi_zip' "$(daemon_log acc)" | tail -n 5)"
vsh acc destroy "$dom" >/dev/null 2>&1
qemu_gone "$dom"
is "$(stat -c %u:%g "/proc/$dpid/root/dev/hisi_zip-0" 2>&1) / QEMU left: $(pgrep -f -- "guest=$dom," | xargs)" \
    "0:$daemon_gid / QEMU left: " \
    "after destroy it is root:daemon again, and the QEMU is gone" ||
    diag "$(grep -a 'DAC.*hisi_zip' "$(daemon_log acc)" | tail -n 5)"

vsh acc undefine "$dom" >/dev/null 2>&1
