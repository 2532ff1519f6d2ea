# shellcheck shell=bash
# The end-to-end tests' tiny guest: a Debian kernel (fetched by
# scripts/fetch-guest.sh) + an initramfs made of static busybox and an /init
# that reports, on the serial console, what the guest sees.
#
# Source this file from a test; it defines functions and two variables
# (GUEST_LIB_DIR, GUEST_TOPDIR) and changes no shell option.
#
# Architectures are named as QEMU/libvirt name them: x86_64, aarch64.
# The guests always run under TCG (<domain type='qemu'>): nested KVM hangs here.
#
# ---------------------------------------------------------------------------
# Console protocol (what /init prints; one line each, fields separated by one
# space, "key=value" fields in fixed order; "-" = attribute absent in sysfs)
#
#   KP-BOOTED arch=aarch64 kernel=6.1.0-50-cloud-arm64
#       once, as soon as /init runs.
#   KP-REPORT seq=N uptime=SECS cpus_online=LIST cpus_present=LIST mem_total=KB nodes_possible=LIST nodes=N:KB,... topo=C:P/D/L/K/T,...
#       every tick (~1 s; seq counts ticks from 1). LIST is a kernel cpulist
#       ("0-3,6"). mem_total is MemTotal of /proc/meminfo in kB. nodes has one
#       N:KB per online NUMA node: MemTotal of nodeN/meminfo in kB (0 for a
#       memory-less node; a node with neither memory nor an online CPU is not
#       online, it is only in nodes_possible). topo has one entry per online
#       CPU C (guest CPU numbers are given in the order CPUs come up: a
#       hot-added vCPU gets the next free number, whatever its QEMU index):
#         P = topology/physical_package_id   (socket)
#         D = topology/die_id                (x86 only; "-" on aarch64)
#         L = topology/cluster_id
#         K = topology/core_id
#         T = index of C among its thread siblings (0 = first thread), i.e.
#             among the online CPUs with the same P/D/L/K (a core's threads)
#   KP-NODE seq=N node=I mem_kb=KB cpus=LIST distance=D0,D1,...
#       every tick, one per online NUMA node, after KP-REPORT.
#   KP-CACHE seq=N cpu=C indexI=L<level>/<type>/<size>/<shared_cpu_list> ...
#       every tick, one per online CPU, after the KP-NODE lines; one field per
#       cache/indexI directory, e.g. index0=L1/Data/32K/0 index3=L3/Unified/16384K/0-7
#   KP-POWEROFF
#       just before powering off (kernel command line kp.poweroff=N).
#
# Each tick, before reporting, /init onlines every CPU whose
# /sys/devices/system/cpu/cpuN/online reads 0 (hot-added CPUs) and every
# memory block whose state reads "offline". Kernel command line parameters
# read by /init: kp.poweroff=N (power off, "poweroff -f", one tick after the
# N-th KP-REPORT, i.e. about N seconds after /init started; at least one
# report is always printed); kp.dirty=M[:R] (keep dirtying memory with
# compressible data, for migration tests: a background writer rewrites, in
# place, an M MiB file of repeated text in the initramfs's RAM filesystem,
# R MiB per second in 1 MiB steps spread over each second, default R = M;
# /init prints "KP-DIRTY size_mib=M rate_mib_s=R" once the file is filled).
# Lines are complete only once their "\n" arrived; the console log has "\r\n".
#
# ---------------------------------------------------------------------------
# Functions
#
#   guest_fetch                 run scripts/fetch-guest.sh (no-op once done)
#   guest_available ARCH        true when kernel + busybox for ARCH are cached
#   guest_kernel ARCH           path of the cached kernel
#   guest_busybox ARCH          path of the cached static busybox
#   guest_cmdline ARCH [ARG...] kernel command line (console on the first
#                               serial port, quiet) + ARGs
#   guest_initramfs ARCH OUT    build OUT, a gzip'd newc cpio (deterministic)
#   guest_domain_xml ARCH NAME KERNEL INITRD CONSOLE_LOG [EXTRA_XML]
#                               print a domain XML, see below
#   guest_report_wait FILE PATTERN TIMEOUT [SKIP]
#                               (TIMEOUT in whole seconds) wait until a complete line of FILE, after its
#                               first SKIP lines, matches the grep -E PATTERN;
#                               print the last such line; 1 on timeout
#   guest_log_mark FILE         number of complete lines in FILE now (a SKIP
#                               for guest_report_wait: "what came after this")
#   guest_report_field LINE KEY value of KEY=... in a report line
#   guest_cpus_wait FILE LIST [SKIP]
#                               wait (30 s) for a KP-REPORT with
#                               cpus_online=LIST after the first SKIP lines
#   guest_node_mem_wait FILE NODE REGEX [SKIP]
#                               wait (60 s) for a KP-NODE line of NODE whose
#                               mem_kb matches REGEX; print that mem_kb
#   guest_topo_summary LINE     from a KP-REPORT line, print
#                               "cpus=N sockets=S dies=D clusters=L cores=K threads=T"
#                               (dies/clusters/cores/threads are per parent level;
#                               a level whose id is "-" counts as 1)
#
# guest_domain_xml: a minimal TCG domain, direct kernel boot, no disk, no
# network, no balloon, no USB, serial console to the file CONSOLE_LOG, and
# destroy on poweroff/reboot/crash (the kernel reboots on panic: panic=-1).
# Knobs (environment variables, all optional):
#   GUEST_VCPUS          vCPU count, the <vcpu> maximum (default 1)
#   GUEST_VCPUS_CURRENT  <vcpu current='...'> (vCPUs online at start)
#   GUEST_MEMORY_MIB     memory in MiB (default 256)
#   GUEST_CMDLINE        the whole kernel command line (default guest_cmdline ARCH)
#   GUEST_CMDLINE_EXTRA  appended to the kernel command line (e.g. kp.poweroff=5)
#   GUEST_CPU_MODEL      CPU model of the default <cpu> (default: cortex-a57
#                        on aarch64, none on x86_64, i.e. QEMU's qemu64)
#   GUEST_TOPOLOGY       attributes of a <topology/> put in the default <cpu>,
#                        e.g. "sockets='2' cores='2' threads='1'"
#   GUEST_CPU_EXTRA      XML put inside the default <cpu> (e.g. <numa>...</numa>)
#   GUEST_CPU_XML        replaces the whole <cpu> element (GUEST_TOPOLOGY and
#                        GUEST_CPU_EXTRA are then ignored)
#   GUEST_DEVICES_EXTRA  XML put inside <devices> (e.g. <memory model='dimm'>)
#   GUEST_EMULATOR       path for <emulator> (default: libvirt's choice)
# and EXTRA_XML, the 6th argument, is put inside <domain> as is (e.g.
# <maxMemory slots='4' unit='MiB'>1024</maxMemory>, <cputune>...).
# The default <cpu> is <cpu mode='custom' match='exact'><model
# fallback='forbid'>MODEL</model>...</cpu> when there is a model (always on
# aarch64) and, on x86_64 without GUEST_CPU_MODEL, <cpu>...</cpu> only when
# GUEST_TOPOLOGY or GUEST_CPU_EXTRA is set.
# x86_64 topology under TCG: QEMU's default qemu64 (and "max") CPU is an AMD
# one without topoext, so threads='2' is not visible in the guest (QEMU warns
# "This family of AMD CPU doesn't support hyperthreading"; the guest sees the
# threads as cores) and cluster_id reads 65535. Use GUEST_CPU_MODEL=Nehalem
# (Intel, boots under TCG without warnings) to see threads and dies; the
# kernel's x86 cluster_id is then the L2 domain, i.e. one cluster per core.
# aarch64 also gets <features><gic version='3'/></features> (GICv2 stops at
# 8 vCPUs); x86_64 gets <features><acpi/><apic/></features> (ACPI gives SRAT
# for NUMA, CPU/memory hotplug and poweroff).
#
# Example:
#   guest_initramfs x86_64 "$tmp/initrd"
#   GUEST_VCPUS=4 GUEST_TOPOLOGY="sockets='2' cores='2' threads='1'" \
#       guest_domain_xml x86_64 t1 "$(guest_kernel x86_64)" "$tmp/initrd" \
#       "$tmp/console.log" > "$tmp/t1.xml"
#   ... virsh create "$tmp/t1.xml" ...
#   line=$(guest_report_wait "$tmp/console.log" '^KP-REPORT ' 60) || fail
#   guest_topo_summary "$line"   # cpus=4 sockets=2 dies=1 clusters=1 cores=2 threads=1

GUEST_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GUEST_TOPDIR=$(cd "$GUEST_LIB_DIR/../../.." && pwd)

_guest_debarch() {
    case $1 in
        x86_64) echo amd64 ;;
        aarch64) echo arm64 ;;
        *) echo "guest: unsupported architecture '$1' (accepted: x86_64, aarch64)" >&2
           return 1 ;;
    esac
}

# The cache directory, as scripts/common.sh computes it (in a subshell, so
# that common.sh's functions and variables stay out of the test's shell).
_guest_dir() {
    local debarch cache
    debarch=$(_guest_debarch "$1") || return 1
    cache=$(. "$GUEST_TOPDIR/scripts/common.sh" && echo "$CACHE_DIR") || return 1
    echo "$cache/guest/$debarch"
}

guest_fetch() {
    "$GUEST_TOPDIR/scripts/fetch-guest.sh" "$@"
}

guest_available() {
    local dir
    dir=$(_guest_dir "$1") || return 1
    [ -f "$dir/stamp" ] && [ -s "$dir/vmlinuz" ] && [ -x "$dir/busybox" ]
}

_guest_file() {
    local dir
    dir=$(_guest_dir "$1") || return 1
    if [ ! -e "$dir/$2" ]; then
        echo "guest: $dir/$2 is missing (run scripts/fetch-guest.sh)" >&2
        return 1
    fi
    echo "$dir/$2"
}

guest_kernel() { _guest_file "$1" vmlinuz; }
guest_busybox() { _guest_file "$1" busybox; }

guest_cmdline() {
    local arch=$1 base
    shift
    # quiet: only warnings and worse from the kernel, so that kernel messages
    # rarely cut a report line; panic=-1: reboot at once on a panic (the
    # domain XML destroys the guest on reboot); cryptomgr.notests: skip the
    # crypto self-tests, about 1 s of a TCG boot.
    case $arch in
        x86_64) base="console=ttyS0 quiet panic=-1 cryptomgr.notests memhp_default_state=online" ;;
        aarch64) base="console=ttyAMA0 quiet panic=-1 cryptomgr.notests" ;;
        *) _guest_debarch "$arch" >/dev/null; return 1 ;;
    esac
    echo "$base${*:+ $*}"
}

# The /init script (run by busybox sh in the guest).
_guest_init_script() {
    cat <<'EOF'
#!/bin/sh
# Generated by tests/e2e/lib/guest.sh; see the protocol described there.
PATH=/sbin:/bin:/usr/sbin:/usr/bin
export PATH
/bin/busybox mkdir -p /proc /sys /dev /sbin /usr/bin /usr/sbin /tmp
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1

echo "KP-BOOTED arch=$(uname -m) kernel=$(uname -r)"

poweroff_after=
read -r cmdline < /proc/cmdline
set -f
for arg in $cmdline; do
    case $arg in
        kp.poweroff=*) poweroff_after=${arg#kp.poweroff=} ;;
        kp.dirty=*) dirty=${arg#kp.dirty=} ;;
    esac
done
set +f
case $poweroff_after in *[!0-9]*) poweroff_after= ;; esac

# The dirtying writer: the pages stay compressible (text, not zeros, which
# QEMU sends as zero pages) and are overwritten in place (conv=notrunc), so
# the same guest pages get dirty again and again.
dirty_size=${dirty%%:*} dirty_rate=${dirty#*:}
[ "$dirty_rate" = "$dirty" ] && dirty_rate=$dirty_size
case $dirty_size$dirty_rate in *[!0-9]*) dirty_size= ;; esac
if [ -n "$dirty_size" ] && [ "$dirty_size" -gt 0 ] && [ "$dirty_rate" -gt 0 ]; then
    i=0
    while [ $i -lt 1024 ]; do
        echo "KP-DIRTY compressible text of line $i of the migration tests' page"
        i=$((i + 1))
    done > /tmp/dirty.pat
    i=0
    while [ $i -lt 16 ]; do cat /tmp/dirty.pat; i=$((i + 1)); done |
        head -c 1048576 > /tmp/dirty.mib
    i=0
    while [ $i -lt "$dirty_size" ]; do cat /tmp/dirty.mib; i=$((i + 1)); done > /tmp/dirty
    echo "KP-DIRTY size_mib=$dirty_size rate_mib_s=$dirty_rate"
    (
        pause=$(awk "BEGIN { printf \"%.3f\", 1 / $dirty_rate }")
        off=0
        while :; do
            dd if=/tmp/dirty.mib of=/tmp/dirty bs=1048576 count=1 seek=$off \
                conv=notrunc 2>/dev/null
            off=$(((off + 1) % dirty_size))
            sleep "$pause"
        done
    ) &
fi

# rd FILE: V = first line of FILE, or "-" when absent/empty. The bitmap
# files (cpulist, thread_siblings_list, ...) return nothing to the shell's
# byte-at-a-time read on this kernel: cat them.
rd() {
    V=
    [ -r "$1" ] || { V=-; return; }
    read -r V < "$1" 2>/dev/null
    [ -n "$V" ] || V=$(cat "$1" 2>/dev/null)
    [ -n "$V" ] || V=-
}

# expand CPULIST: E = its members separated by spaces ("0-2,5" -> " 0 1 2 5").
expand() {
    local IFS=, r a b
    E=
    for r in $1; do
        case $r in
            *-*) a=${r%-*} b=${r#*-} ;;
            [0-9]*) a=$r b=$r ;;
            *) continue ;;
        esac
        while [ "$a" -le "$b" ]; do
            E="$E $a"
            a=$((a + 1))
        done
    done
}

online_all() {
    local f v
    for f in /sys/devices/system/cpu/cpu[0-9]*/online; do
        [ -e "$f" ] || continue
        read -r v < "$f"
        [ "$v" = 0 ] && echo 1 > "$f" 2>/dev/null
    done
    for f in /sys/devices/system/memory/memory[0-9]*/state; do
        [ -e "$f" ] || continue
        read -r v < "$f"
        [ "$v" = offline ] && echo online > "$f" 2>/dev/null
    done
}

report() {
    local seq=$1 up rest k v u a b online present memtotal nodes topo n c d
    local nodelines line idx lvl typ size shared
    read -r up rest < /proc/uptime
    rd /sys/devices/system/cpu/online; online=$V
    rd /sys/devices/system/cpu/present; present=$V
    memtotal=-
    while read -r k v u; do
        if [ "$k" = MemTotal: ]; then memtotal=$v; break; fi
    done < /proc/meminfo

    nodes=''
    nodelines=''
    rd /sys/devices/system/node/online
    expand "$V"
    for n in $E; do
        d=/sys/devices/system/node/node$n
        v=-
        if [ -r "$d/meminfo" ]; then
            while read -r a b k v u; do
                [ "$k" = MemTotal: ] && break
                v=-
            done < "$d/meminfo"
        fi
        nodes="$nodes,$n:$v"
        rd "$d/cpulist"; c=$V
        rd "$d/distance"
        nodelines="$nodelines
KP-NODE seq=$seq node=$n mem_kb=$v cpus=$c distance=${V// /,}"
    done

    # The thread index of a CPU is the number of lower online CPUs with the
    # same package/die/cluster/core ids: its position in
    # thread_siblings_list, without a fork to read that bitmap file.
    topo=''
    expand "$online"
    local cpus=$E seen=' ' key rest t
    for c in $cpus; do
        d=/sys/devices/system/cpu/cpu$c/topology
        rd "$d/physical_package_id"; a=$V
        rd "$d/die_id"; b=$V
        rd "$d/cluster_id"; k=$V
        rd "$d/core_id"; u=$V
        key="$a/$b/$k/$u"
        t=0 rest=$seen
        while :; do
            case $rest in
                *" $key "*) t=$((t + 1)); rest=" ${rest#*" $key "}" ;;
                *) break ;;
            esac
        done
        seen="$seen$key "
        topo="$topo,$c:$key/$t"
    done

    rd /sys/devices/system/node/possible
    echo "KP-REPORT seq=$seq uptime=$up cpus_online=$online cpus_present=$present mem_total=$memtotal nodes_possible=$V nodes=${nodes#,} topo=${topo#,}${nodelines}"

    for c in $cpus; do
        line="KP-CACHE seq=$seq cpu=$c"
        for idx in /sys/devices/system/cpu/cpu$c/cache/index[0-9]*; do
            [ -d "$idx" ] || continue
            rd "$idx/level"; lvl=$V
            rd "$idx/type"; typ=$V
            rd "$idx/size"; size=$V
            rd "$idx/shared_cpu_list"; shared=$V
            line="$line ${idx##*/}=L$lvl/$typ/$size/$shared"
        done
        echo "$line"
    done
}

seq=0
while :; do
    seq=$((seq + 1))
    online_all
    report $seq
    sleep 1
    if [ -n "$poweroff_after" ] && [ "$seq" -ge "$poweroff_after" ]; then
        echo KP-POWEROFF
        poweroff -f
    fi
done
EOF
}

guest_initramfs() {
    local arch=$1 out=$2 busybox stage rc=0
    busybox=$(guest_busybox "$arch") || return 1
    case $out in /*) ;; *) out=$PWD/$out ;; esac
    stage=$(mktemp -d "${TMPDIR:-/tmp}/guest-initramfs.XXXXXX") || return 1
    # (errexit does not apply in a subshell whose status is tested: chain.)
    (
        cd "$stage" &&
        mkdir bin dev proc sys &&
        cp "$busybox" bin/busybox &&
        chmod 0755 bin/busybox &&
        ln -s busybox bin/sh &&
        _guest_init_script > init &&
        chmod 0755 init &&
        # Fixed timestamps, owners, order and inode numbers: the same inputs
        # give the same bytes.
        find . -mindepth 1 -exec touch -h -d @0 {} + &&
        find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort > "$stage.list" &&
        cpio -o -H newc -R 0:0 --reproducible --quiet < "$stage.list" > "$stage.cpio" &&
        gzip -n -6 < "$stage.cpio" > "$out.tmp"
    ) || rc=1
    rm -rf "$stage" "$stage.list" "$stage.cpio"
    if [ $rc != 0 ]; then
        rm -f "$out.tmp"
        echo "guest: could not build the $arch initramfs $out" >&2
        return 1
    fi
    mv -f "$out.tmp" "$out"
}

_guest_xml_escape() {
    local s=$1
    s=${s//&/&amp;}
    s=${s//</&lt;}
    s=${s//>/&gt;}
    s=${s//\'/&apos;}
    s=${s//\"/&quot;}
    printf '%s' "$s"
}

guest_domain_xml() {
    local arch=$1 name=$2 kernel=$3 initrd=$4 log=$5 extra=${6:-}
    local machine cmdline cpu features vcpu mem
    case $arch in
        x86_64) machine=pc
                features="<acpi/><apic/>" ;;
        aarch64) machine=virt
                 features="<gic version='3'/>" ;;
        *) _guest_debarch "$arch" >/dev/null; return 1 ;;
    esac
    cmdline=${GUEST_CMDLINE:-$(guest_cmdline "$arch")}
    cmdline="$cmdline${GUEST_CMDLINE_EXTRA:+ $GUEST_CMDLINE_EXTRA}"
    mem=${GUEST_MEMORY_MIB:-256}

    vcpu="<vcpu placement='static'"
    [ -n "${GUEST_VCPUS_CURRENT:-}" ] && vcpu="$vcpu current='$GUEST_VCPUS_CURRENT'"
    vcpu="$vcpu>${GUEST_VCPUS:-1}</vcpu>"

    if [ -n "${GUEST_CPU_XML:-}" ]; then
        cpu=$GUEST_CPU_XML
    else
        local inner=
        [ -n "${GUEST_TOPOLOGY:-}" ] && inner="<topology $GUEST_TOPOLOGY/>"
        inner="$inner${GUEST_CPU_EXTRA:-}"
        local model=${GUEST_CPU_MODEL:-}
        [ -z "$model" ] && [ "$arch" = aarch64 ] && model=cortex-a57
        if [ -n "$model" ]; then
            cpu="<cpu mode='custom' match='exact'><model fallback='forbid'>$model</model>$inner</cpu>"
        elif [ -n "$inner" ]; then
            cpu="<cpu>$inner</cpu>"
        else
            cpu=
        fi
    fi

    cat <<EOF
<domain type='qemu'>
  <name>$(_guest_xml_escape "$name")</name>
  <memory unit='MiB'>$mem</memory>
  $vcpu
  <os>
    <type arch='$arch' machine='$machine'>hvm</type>
    <kernel>$(_guest_xml_escape "$kernel")</kernel>
    <initrd>$(_guest_xml_escape "$initrd")</initrd>
    <cmdline>$(_guest_xml_escape "$cmdline")</cmdline>
  </os>
  <features>$features</features>
${cpu:+  $cpu
}  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
${GUEST_EMULATOR:+    <emulator>$(_guest_xml_escape "$GUEST_EMULATOR")</emulator>
}    <controller type='usb' model='none'/>
    <serial type='file'>
      <source path='$(_guest_xml_escape "$log")' append='off'/>
      <target port='0'/>
    </serial>
    <console type='file'>
      <source path='$(_guest_xml_escape "$log")' append='off'/>
      <target type='serial' port='0'/>
    </console>
    <memballoon model='none'/>
${GUEST_DEVICES_EXTRA:+    $GUEST_DEVICES_EXTRA
}  </devices>
${extra:+  $extra
}</domain>
EOF
}

guest_log_mark() {
    if [ -r "$1" ]; then
        # wc -l counts "\n", i.e. complete lines only.
        wc -l < "$1" | tr -d ' '
    else
        echo 0
    fi
}

guest_report_wait() {
    local file=$1 pattern=$2 timeout=${3:-60} skip=${4:-0} deadline snap line
    deadline=$((SECONDS + timeout))
    while :; do
        if [ -r "$file" ]; then
            # Snapshot once, then drop a trailing incomplete line.
            snap=$(tail -n "+$((skip + 1))" "$file" | tr -d '\r'; echo x)
            snap=${snap%x}
            case $snap in
                *$'\n') ;;
                *$'\n'*) snap=${snap%$'\n'*}$'\n' ;;
                *) snap= ;;
            esac
            line=$(printf '%s' "$snap" | grep -E -- "$pattern" | tail -n 1) || true
            if [ -n "$line" ]; then
                printf '%s\n' "$line"
                return 0
            fi
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "guest_report_wait: no line matching /$pattern/ in $file after ${timeout}s" >&2
            return 1
        fi
        sleep 0.2
    done
}

guest_report_field() {
    local line=" $1 " key=$2 v
    case $line in
        *" $key="*) v=${line#* "$key"=}; echo "${v%% *}" ;;
        *) return 1 ;;
    esac
}

guest_cpus_wait() {
    guest_report_wait "$1" "^KP-REPORT .* cpus_online=$2 " 30 "${3:-0}" >/dev/null
}

guest_node_mem_wait() {
    local line
    line=$(guest_report_wait "$1" "^KP-NODE seq=[0-9]+ node=$2 mem_kb=$3 " 60 "${4:-0}") ||
        return 1
    guest_report_field "$line" mem_kb
}

guest_topo_summary() {
    local topo
    topo=$(guest_report_field "$1" topo) || return 1
    printf '%s\n' "$topo" | tr ',' '\n' | awk -F'[:/]' '
        NF == 6 {
            cpus++
            s[$2] = 1; d[$2 "/" $3] = 1; l[$2 "/" $3 "/" $4] = 1
            k[$2 "/" $3 "/" $4 "/" $5] = 1
            if ($6 != "-" && $6 + 1 > t) t = $6 + 1
        }
        function n(a,  x, c) { c = 0; for (x in a) c++; return c }
        END {
            if (!cpus) exit 1
            ns = n(s); nd = n(d); nl = n(l); nk = n(k); if (t < 1) t = 1
            printf "cpus=%d sockets=%d dies=%d clusters=%d cores=%d threads=%d\n",
                cpus, ns, nd / ns, nl / nd, nk / nl, t
        }'
}
