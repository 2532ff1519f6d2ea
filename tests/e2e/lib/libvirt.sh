# shellcheck shell=bash
# End-to-end helpers: private libvirt daemons and embedded drivers started
# from the build tree, the built virsh, and cleanup that runs however a test
# ends. Source after tap.sh and guest.sh.
#
#   e2e_init                      make the test's temp dir ($E2E_TMP) and arm
#                                 the cleanup trap
#   e2e_on_exit CMD...            run CMD at cleanup (last registered, first run)
#   embed_setup NAME              prepare a root for qemu:///embed; sets
#                                 E2E_URI_<NAME>
#   e2e_uri NAME                  print the URI of daemon/embed NAME
#   daemon_start NAME [OPTS]      start a private virtqemud; sets
#                                 E2E_URI_<NAME>; options:
#                                   --netns NS        run inside 'ip netns' NS
#                                   --hostname NAME   its own UTS hostname
#                                   --host-uuid UUID  host_uuid in its config
#                                   --daemon PROG     virtqemud (default) or libvirtd
#                                   --bind SRC:DST    bind-mount SRC over DST (which
#                                                     must exist) in the daemon's mount
#                                                     namespace, so that it and its
#                                                     QEMUs see SRC there, e.g. a fake
#                                                     /sys/devices/system/cpu (see
#                                                     sysfs_cpu_tree); repeatable
#                                   --qemu-conf LINE  append LINE to its qemu.conf,
#                                                     e.g. 'auto_topology = 1'; a LINE
#                                                     setting a key that is already set
#                                                     replaces that setting (virConf
#                                                     takes the first of duplicate
#                                                     keys), e.g. 'namespaces = [ "mount" ]';
#                                                     repeatable
#                                   --ns-setup CMD    run the shell command CMD in the
#                                                     daemon's mount namespace after the
#                                                     bind mounts, before the daemon
#                                                     starts (e.g. mount a tmpfs over a
#                                                     directory); repeatable
#   daemon_stop NAME              stop it (its domains are destroyed first)
#   daemon_restart NAME [OPTS]    stop and start again with the same state
#                                 and options, and OPTS (daemon_start's, e.g.
#                                 --qemu-conf) added for this and later starts
#   vsh NAME ARGS...              the built virsh against daemon/embed NAME
#   vsh_timed NAME ARGS...        vsh, leaving its output (stdout and stderr)
#                                 in VSH_OUT, its status in VSH_RC (also
#                                 returned) and its wall time in ms in VSH_MS
#   vsh_vcpus_plugged NAME DOM    how many vCPUs QEMU itself reports plugged
#   daemon_qemu_args NAME DOM     the command line of the QEMU of domain DOM
#                                 of daemon NAME, one argument per line
#   e2e_domain_start NAME XMLFILE define+start (persistent) through NAME
#   sysfs_cpu_tree DIR CPU=SOCKET/DIE/CLUSTER/CORE...
#                                 make DIR a copy of this machine's
#                                 /sys/devices/system/cpu in which the listed
#                                 CPUs have the given topology ids (the CPUs
#                                 with the same four ids are one core's
#                                 threads); every other file (online, present,
#                                 caches, ...) is the real one. For
#                                 daemon_start --bind DIR:/sys/devices/system/cpu
#   netns_pair NS1 ADDR1 NS2 ADDR2
#                                 two network namespaces joined by a veth
#                                 pair (ADDRs in CIDR form, e.g. 10.77.0.1/24),
#                                 removed at cleanup: two "hosts" for
#                                 migration tests, see daemon_start --netns
#
# A private daemon runs as root in its own mount namespace where its
# configuration, state, cache, log and runtime directories (the ones this
# build was configured with) are bind mounts of directories under $E2E_TMP,
# so it never sees or touches the system daemon's. QEMU runs under TCG,
# without cgroups, namespaces, security drivers or virtlogd.

E2E_TOPDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
E2E_BUILD=$E2E_TOPDIR/build/libvirt/build
E2E_RUN=$E2E_TOPDIR/run
# QEMU capabilities probed by one test's daemon are reused by the next (libvirt
# still validates each cached file against the QEMU binary and itself):
# probing every installed QEMU binary costs ~10 s per daemon start otherwise.
E2E_CAPS_CACHE=$E2E_TOPDIR/build/e2e-qemu-caps
_e2e_cleanups=()
declare -A _e2e_daemon_pid _e2e_daemon_dir _e2e_daemon_args _e2e_daemon_extra

e2e_init() {
    E2E_TMP=$(mktemp -d /tmp/kp-e2e.XXXXXX)
    _e2e_owner=$BASHPID
    trap _e2e_cleanup EXIT
    trap 'exit 130' INT TERM
}

e2e_on_exit() {
    _e2e_cleanups+=("$*")
}

_e2e_cleanup() {
    local status=$? i
    # Only the shell that made the temp dir cleans up, never a subshell.
    [ "$BASHPID" = "${_e2e_owner:-}" ] || return "$status"
    for ((i = ${#_e2e_cleanups[@]} - 1; i >= 0; i--)); do
        eval "${_e2e_cleanups[i]}" >/dev/null 2>&1 || true
    done
    # Whatever QEMU a test left behind under its directory.
    if [ -n "${E2E_TMP:-}" ]; then
        pkill -KILL -f -- "$E2E_TMP/" 2>/dev/null || true
        rm -rf "$E2E_TMP"
    fi
    return "$status"
}

# The directories the build was configured with, from configmake.h.
_e2e_configmake() {
    sed -n "s/^#define $1 \"\\(.*\\)\"$/\\1/p" "$E2E_BUILD/configmake.h"
}

_e2e_write_qemu_conf() {
    cat > "$1" <<'CONF'
# libvirt-kunpeng e2e: root without virtlogd, cgroups, namespaces or labels
stdio_handler = "file"
user = "root"
group = "root"
dynamic_ownership = 0
security_driver = "none"
cgroup_controllers = [ ]
namespaces = [ ]
CONF
}

_e2e_var() {
    printf '%s' "$1" | tr -c 'A-Za-z0-9_\n' '_'
}

embed_setup() {
    local name=$1 root=$E2E_TMP/$1
    mkdir -p "$root/etc"
    _e2e_write_qemu_conf "$root/etc/qemu.conf"
    _e2e_caps_restore "$root/cache"
    printf -v "E2E_URI_$(_e2e_var "$name")" '%s' "qemu:///embed?root=$root"
    e2e_on_exit "_e2e_embed_cleanup $name"
}

e2e_uri() {
    local uri_var
    uri_var=E2E_URI_$(_e2e_var "$1")
    printf '%s\n' "${!uri_var}"
}

_e2e_embed_cleanup() {
    local d
    for d in $(vsh "$1" list --all --name 2>/dev/null); do
        vsh "$1" destroy "$d" >/dev/null 2>&1
    done
    _e2e_caps_save "$E2E_TMP/$1/cache"
}

daemon_start() {
    local name=$1
    shift
    local netns="" hostname="" uuid="" prog=virtqemud extra=""
    local -a user_binds=() conf_lines=() setups=()
    while [ $# -gt 0 ]; do
        case $1 in
            --netns) netns=$2; shift 2 ;;
            --hostname) hostname=$2; shift 2 ;;
            --host-uuid) uuid=$2; shift 2 ;;
            --daemon) prog=$2; shift 2 ;;
            --bind) user_binds+=("$2"); extra="$extra $(printf '%q %q' "$1" "$2")"; shift 2 ;;
            --qemu-conf) conf_lines+=("$2"); extra="$extra $(printf '%q %q' "$1" "$2")"; shift 2 ;;
            --ns-setup) setups+=("$2"); extra="$extra $(printf '%q %q' "$1" "$2")"; shift 2 ;;
            *) echo "daemon_start: unknown option $1" >&2; return 1 ;;
        esac
    done
    local dir=$E2E_TMP/$name
    local sysconfdir localstatedir runstatedir
    sysconfdir=$(_e2e_configmake SYSCONFDIR)
    localstatedir=$(_e2e_configmake LOCALSTATEDIR)
    runstatedir=$(_e2e_configmake RUNSTATEDIR)

    # private dir -> where the daemon expects it
    local -a binds=(
        "$dir/etc:$sysconfdir/libvirt"
        "$dir/lib:$localstatedir/lib/libvirt"
        "$dir/cache:$localstatedir/cache/libvirt"
        "$dir/log:$localstatedir/log/libvirt"
        "$dir/run:$runstatedir/libvirt"
    )
    local b script="set -e"
    for b in "${binds[@]}"; do
        mkdir -p "${b%%:*}" "${b#*:}"
        script="$script; mount --bind '${b%%:*}' '${b#*:}'"
    done
    # After the private directories, not created: DST is the caller's.
    for b in ${user_binds[@]+"${user_binds[@]}"}; do
        script="$script; mount --bind '${b%%:*}' '${b#*:}'"
    done
    for b in ${setups[@]+"${setups[@]}"}; do
        script="$script; $b"
    done
    [ -z "$hostname" ] || script="$script; hostname '$hostname'"

    _e2e_write_qemu_conf "$dir/etc/qemu.conf"
    local line key
    for line in ${conf_lines[@]+"${conf_lines[@]}"}; do
        key=$(printf '%s\n' "$line" | sed -n 's/^[[:space:]]*\([A-Za-z0-9_]*\)[[:space:]]*=.*/\1/p')
        [ -z "$key" ] || sed -i "/^[[:space:]]*$key[[:space:]]*=/d" "$dir/etc/qemu.conf"
        printf '%s\n' "$line" >> "$dir/etc/qemu.conf"
    done
    _e2e_caps_restore "$dir/cache"
    {
        echo "log_outputs = \"1:file:$dir/log/$prog.log\""
        echo 'log_filters = "1:qemu 1:conf 1:security 3:object 3:json 3:event 3:util 1:util.command"'
        [ -z "$uuid" ] || echo "host_uuid = \"$uuid\""
    } > "$dir/etc/$prog.conf"

    _e2e_daemon_dir[$name]=$dir
    _e2e_daemon_args[$name]="$netns|$hostname|$uuid|$prog"
    _e2e_daemon_extra[$name]=$extra
    local -a wrap=()
    [ -z "$netns" ] || wrap=(ip netns exec "$netns")
    "${wrap[@]}" unshare --mount --propagation private --uts \
        bash -c "$script; exec '$E2E_RUN' $prog --config '$dir/etc/$prog.conf' --pid-file '$dir/run/$prog.pid'" \
        > "$dir/log/stdout.log" 2>&1 &
    _e2e_daemon_pid[$name]=$!
    e2e_on_exit "daemon_stop $name"

    local sock=$dir/run/virtqemud-sock
    [ "$prog" = virtqemud ] || sock=$dir/run/libvirt-sock
    printf -v "E2E_URI_$(_e2e_var "$name")" '%s' "qemu+unix:///system?socket=$sock"
    local i
    for i in $(seq 1 100); do
        if [ -S "$sock" ] && vsh "$name" version >/dev/null 2>&1; then
            return 0
        fi
        kill -0 "${_e2e_daemon_pid[$name]}" 2>/dev/null || break
        sleep 0.1
    done
    diag "daemon $name did not come up:" "$(tail -n 20 "$dir/log/stdout.log" "$dir/log/$prog.log" 2>/dev/null)"
    return 1
}

# _e2e_stop_pid PID: SIGTERM, SIGKILL after 5 s if it is still there, reaped
_e2e_stop_pid() {
    local i
    if kill -0 "$1" 2>/dev/null; then
        kill -TERM "$1" 2>/dev/null
        for i in $(seq 1 50); do
            kill -0 "$1" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$1" 2>/dev/null || true
    fi
    wait "$1" 2>/dev/null || true
}

daemon_stop() {
    local name=$1 pid=${_e2e_daemon_pid[$1]:-} d
    [ -n "$pid" ] || return 0
    if kill -0 "$pid" 2>/dev/null; then
        for d in $(vsh "$name" list --name 2>/dev/null); do
            vsh "$name" destroy "$d" >/dev/null 2>&1
        done
    fi
    _e2e_stop_pid "$pid"
    _e2e_daemon_pid[$name]=""
    _e2e_caps_save "${_e2e_daemon_dir[$name]}/cache"
}

_e2e_caps_restore() {
    if [ -d "$E2E_CAPS_CACHE" ]; then
        mkdir -p "$1/qemu"
        cp -a "$E2E_CAPS_CACHE" "$1/qemu/capabilities"
    fi
}

_e2e_caps_save() {
    local caps=$1/qemu/capabilities
    if [ -d "$caps" ] && [ -n "$(ls "$caps")" ]; then
        rm -rf "$E2E_CAPS_CACHE.tmp"
        cp -a "$caps" "$E2E_CAPS_CACHE.tmp" && rm -rf "$E2E_CAPS_CACHE" &&
            mv "$E2E_CAPS_CACHE.tmp" "$E2E_CAPS_CACHE"
    fi
}

# Stop the daemon without touching its domains, and start it again: the new
# daemon must reconnect to the QEMU processes from its status XML.
daemon_restart() {
    local name=$1 pid=${_e2e_daemon_pid[$1]:-}
    shift
    local netns hostname uuid prog
    IFS='|' read -r netns hostname uuid prog <<< "${_e2e_daemon_args[$name]}"
    local -a extra
    eval "extra=(${_e2e_daemon_extra[$name]:-})"
    if [ -n "$pid" ]; then
        kill -TERM "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null || true
    fi
    _e2e_daemon_pid[$name]=""
    daemon_start "$name" ${netns:+--netns "$netns"} ${hostname:+--hostname "$hostname"} \
        ${uuid:+--host-uuid "$uuid"} --daemon "$prog" ${extra[@]+"${extra[@]}"} "$@"
}

vsh() {
    local uri_var
    uri_var=E2E_URI_$(_e2e_var "$1")
    shift
    "$E2E_RUN" virsh -q -c "${!uri_var}" "$@"
}

vsh_timed() {
    local t0
    t0=$(date +%s%N)
    VSH_OUT=$(vsh "$@" 2>&1)
    VSH_RC=$?
    VSH_MS=$((($(date +%s%N) - t0) / 1000000))
    return "$VSH_RC"
}

vsh_vcpus_plugged() {
    vsh "$1" qemu-monitor-command "$2" '{"execute":"query-hotpluggable-cpus"}' |
        grep -o '"qom-path"' | wc -l
}

daemon_qemu_args() {
    local pid
    pid=$(cat "$E2E_TMP/$1/run/qemu/$2.pid" 2>/dev/null)
    tr '\0' '\n' < "/proc/${pid:-0}/cmdline" 2>/dev/null
}

e2e_domain_start() {
    vsh "$1" define "$2" >/dev/null && vsh "$1" start "$(sed -n 's|.*<name>\(.*\)</name>.*|\1|p' "$2" | head -n1)" >/dev/null
}

# One long-lived virsh process, fed command by command. With qemu:///embed
# the QEMU of a transient domain does not outlive the virsh process that
# started it once another one reconnects, so a multi-step scenario on the
# embedded driver keeps a single virsh.
#
#   vsh_session_start NAME [VIRSH...]
#                                 start virsh against NAME (see vsh); VIRSH
#                                 is the virsh command and its own options
#                                 (default: the built virsh); -t or --timing
#                                 among them, as a word of its own, makes
#                                 vsh_session expect a time after each command
#   vsh_session NAME CMD...       run one virsh command line, print its
#                                 output (stdout and stderr; with -t its time
#                                 after it); status 1 when virsh printed an
#                                 error. Everything virsh printed is also in
#                                 $E2E_TMP/NAME.vsh.out
#   vsh_session_stop NAME
declare -A _e2e_session_fd _e2e_session_ofd _e2e_session_pid _e2e_session_timing

# virsh's output reaches vsh_session through a pipe, so that it can wait for
# a command in a blocking read: a polling loop would start processes while
# the command runs and take CPU time from what a benchmark measures.
vsh_session_start() {
    local name=$1 uri_var fifo=$E2E_TMP/$1.vsh.in pipe=$E2E_TMP/$1.vsh.pipe
    local out=$E2E_TMP/$1.vsh.out fd ofd
    shift
    local -a virsh=("$@")
    [ ${#virsh[@]} -gt 0 ] || virsh=("$E2E_RUN" virsh)
    uri_var=E2E_URI_$(_e2e_var "$name")
    mkfifo "$fifo" "$pipe"
    : > "$out"
    # Errors reach the output through virsh; the embedded driver's own log
    # goes to a file.
    LIBVIRT_LOG_OUTPUTS="3:file:$E2E_TMP/$name.vsh.log" \
        "${virsh[@]}" -q -c "${!uri_var}" < "$fifo" > "$pipe" 2>&1 &
    _e2e_session_pid[$name]=$!
    # in the order virsh opens them
    exec {fd}> "$fifo"
    exec {ofd}< "$pipe"
    _e2e_session_fd[$name]=$fd
    _e2e_session_ofd[$name]=$ofd
    # virsh -t prints a time after every command, the marker's echo too
    _e2e_session_timing[$name]=""
    case " ${virsh[*]} " in *" -t "*|*" --timing "*) _e2e_session_timing[$name]=1 ;; esac
    e2e_on_exit "vsh_session_stop $name"
}

vsh_session() {
    local name=$1 fd=${_e2e_session_fd[$1]} ofd=${_e2e_session_ofd[$1]}
    local out=$E2E_TMP/$1.vsh.out
    shift
    local start marker line re deadline=$((SECONDS + 60))
    start=$(stat -c %s "$out")
    marker=__kp_done_${start}_$RANDOM
    # --split: virsh's echo ends the marker with a newline (for the read)
    printf '%s\necho --split %s\n' "$*" "$marker" >&"$fd"
    # The marker counts once virsh printed it, not when it echoed the command.
    re="(^|[^ ])$marker"
    while [ $SECONDS -lt $deadline ]; do
        if ! IFS= read -r -t $((deadline - SECONDS)) -u "$ofd" line; then
            # virsh ended or the time is up: keep what it printed
            [ -z "$line" ] || printf '%s' "$line" >> "$out"
            break
        fi
        printf '%s\n' "$line" >> "$out"
        [[ $line =~ $re ]] && break
    done
    # With virsh -t, the marker's own time follows it: read it here, so that
    # the next command's output starts with that command.
    if [[ $line =~ $re && -n ${_e2e_session_timing[$name]} ]]; then
        while IFS= read -r -t $((deadline - SECONDS + 1)) -u "$ofd" line; do
            printf '%s\n' "$line" >> "$out"
            [[ $line =~ ^\(Time:\ [0-9.]+\ ms\)$ ]] || continue
            # and the empty line after it
            IFS= read -r -t 1 -u "$ofd" line && printf '%s\n' "$line" >> "$out"
            break
        done
    fi
    local text
    # The first line is virsh echoing the command line back; output that does
    # not end in a newline runs into the marker.
    text=$(tail -c +"$((start + 1))" "$out" | tr -d '\r' | tail -n +2 |
           sed -e "s/\(virsh # \)\?echo --split $marker\$//" -e "/$marker/{s/$marker.*//;q;}" |
           grep -v -e '^virsh # ' |
           sed -e :a -e '/^\n*$/{$d;N;ba' -e '}')
    [ -z "$text" ] || printf '%s\n' "$text"
    ! printf '%s\n' "$text" | grep -q '^error: '
}

vsh_session_stop() {
    local name=$1 fd=${_e2e_session_fd[$1]:-} ofd=${_e2e_session_ofd[$1]:-}
    [ -n "$fd" ] || return 0
    local line
    echo quit >&"$fd" 2>/dev/null
    exec {fd}>&-
    # What virsh prints until it exits, so that it never waits on a full
    # pipe; a process that kept its output open holds this up 10 s at most.
    while IFS= read -r -t 10 -u "$ofd" line; do
        printf '%s\n' "$line" >> "$E2E_TMP/$name.vsh.out"
    done
    [ -z "$line" ] || printf '%s' "$line" >> "$E2E_TMP/$name.vsh.out"
    exec {ofd}<&-
    wait "${_e2e_session_pid[$name]}" 2>/dev/null
    _e2e_session_fd[$name]=""
    _e2e_session_ofd[$name]=""
}

# For sysfs_cpu_tree: write FILE_list and FILE in $t, the CPUs of pos[] whose
# first N ids equal those of $cpu, as a kernel cpulist and as a hex mask (as
# many CPUs as fit in one shell integer).
_e2e_sysfs_cpus() {
    local n=$1 c list="" mask=0
    for c in $(printf '%s\n' "${!pos[@]}" | sort -n); do
        if [ "$(echo "${pos[$c]}" | cut -d/ -f1-"$n")" = \
             "$(echo "${pos[$cpu]}" | cut -d/ -f1-"$n")" ]; then
            list="$list,$c"
            mask=$((mask | (1 << c)))
        fi
    done
    # The kernel writes runs as ranges: "0-1", not "0,1".
    printf '%s\n' "${list#,}" | awk -F, '{
        out = ""; i = 1
        while (i <= NF) {
            j = i
            while (j < NF && $(j + 1) == $j + 1) j++
            out = out (out == "" ? "" : ",") (j > i ? $i "-" $j : $i)
            i = j + 1
        }
        print out }' > "$t/$2_list"
    printf '%x\n' "$mask" > "$t/$2"
}

sysfs_cpu_tree() {
    local dir=$1 real=/sys/devices/system/cpu spec cpu ids f rel t
    shift
    declare -A pos=()
    for spec in "$@"; do
        pos[${spec%%=*}]=${spec#*=}
    done
    rm -rf "$dir"
    mkdir -p "$dir" || return 1
    # Reading sysfs: a file that cannot be read (write-only, EIO) is left out.
    while IFS= read -r -d '' f; do
        rel=${f#"$real"}
        if [ -L "$f" ]; then
            cp -P "$f" "$dir$rel"
        elif [ -d "$f" ]; then
            mkdir -p "$dir$rel"
        else
            cat "$f" > "$dir$rel" 2>/dev/null || rm -f "$dir$rel"
        fi
    done < <(find "$real" -mindepth 1 -print0)

    for cpu in "${!pos[@]}"; do
        t=$dir/cpu$cpu/topology
        [ -d "$t" ] || { echo "sysfs_cpu_tree: this machine has no CPU $cpu" >&2; return 1; }
        IFS=/ read -r -a ids <<< "${pos[$cpu]}"
        echo "${ids[0]}" > "$t/physical_package_id"
        echo "${ids[1]}" > "$t/die_id"
        echo "${ids[2]}" > "$t/cluster_id"
        echo "${ids[3]}" > "$t/core_id"
        _e2e_sysfs_cpus 1 package_cpus
        _e2e_sysfs_cpus 1 core_siblings
        _e2e_sysfs_cpus 2 die_cpus
        _e2e_sysfs_cpus 3 cluster_cpus
        _e2e_sysfs_cpus 4 core_cpus
        _e2e_sysfs_cpus 4 thread_siblings
    done
}

netns_pair() {
    local ns1=$1 a1=$2 ns2=$3 a2=$4
    ip netns add "$ns1" || return 1
    e2e_on_exit "ip netns del $ns1"
    ip netns add "$ns2" || return 1
    e2e_on_exit "ip netns del $ns2"
    ip link add "v-$ns1" netns "$ns1" type veth peer name "v-$ns2" netns "$ns2" || return 1
    ip -n "$ns1" addr add "$a1" dev "v-$ns1" &&
        ip -n "$ns2" addr add "$a2" dev "v-$ns2" &&
        ip -n "$ns1" link set lo up && ip -n "$ns2" link set lo up &&
        ip -n "$ns1" link set "v-$ns1" up && ip -n "$ns2" link set "v-$ns2" up
}
