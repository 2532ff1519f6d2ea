#!/bin/bash
# The core path from Go, as KubeVirt's virt-launcher calls it: kp-client
# (go/kp-client.go), built with Debian's go against this build's libvirt.pc
# and Debian's binding (golang-github-libvirt-libvirt-go-dev), drives a
# private virtqemud: define, start, live vCPU hot add and hot remove, a
# dimm hot added into a memory-less NUMA node, the live XML after each
# step, the new VIR_DOMAIN_VCPU_HOTPLUG_UNALIGNED flag (accepted live,
# refused with VIR_DOMAIN_VCPU_GUEST), destroy and undefine. The guest is
# the x86_64 tiny guest on QEMU 10.0 with 2 of 8 vCPUs, 2 sockets of one
# cluster each and NUMA node 1 (socket 1) without memory; kp-client waits
# for the guest's console report to agree after each change. Each of its
# checks is one test point here.

. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/guest.sh"
. "$(dirname "$0")/../lib/libvirt.sh"

# The checks kp-client makes when every step succeeds; when it stops early
# the missing ones fail here, so that the plan holds.
CLIENT_CHECKS=32
plan $((CLIENT_CHECKS + 7))
e2e_init

DOM=kp-go-client
LOG=$E2E_TMP/console.log
SRC=$(cd "$(dirname "$0")/go" && pwd)/kp-client.go
BIN=$E2E_TMP/kp-client
GO=/usr/bin/go
BINDING=/usr/share/gocode/src/github.com/libvirt/libvirt-go

if [ ! -x "$GO" ] || [ ! -d "$BINDING" ]; then
    bail_out "Debian's golang-go and golang-github-libvirt-libvirt-go-dev are needed (scripts/deps.sh)"
fi

# GOPATH mode, as Debian packages Go libraries: the binding's sources are
# under /usr/share/gocode. cgo finds this build's libvirt through its
# uninstalled libvirt.pc. The binding's cgo compile takes 25-30 s the
# first time (go build -p 1 here); GOCACHE keeps it for later runs, which
# build kp-client in under a second.
go_env=(env GO111MODULE=off GOENV=off GOFLAGS= CGO_ENABLED=1
        GOPATH="$E2E_TMP/gopath:/usr/share/gocode"
        GOCACHE="$E2E_TOPDIR/build/go-cache"
        PKG_CONFIG_PATH="$E2E_BUILD/src")
out=$("${go_env[@]}" "$GO" build -p 1 -o "$BIN" "$SRC" 2>&1)
ok $? "kp-client builds with $("$GO" version | cut -d' ' -f3) against $E2E_BUILD/src/libvirt.pc" ||
    bail_out "cannot build kp-client: $out"

# The binding has no constant for the new flag: kp-client passes it by
# value, which must be the one of the header it was built against.
hdr=$("${go_env[@]}" pkg-config --variable=source_includedir libvirt)/libvirt/libvirt-domain.h
expr=$(sed -n 's/^ *VIR_DOMAIN_VCPU_HOTPLUG_UNALIGNED *= *\([^,]*\),.*/\1/p' "$hdr")
is "$("$BIN" -print-unaligned-flag)" "$((${expr:-0}))" \
    "kp-client's VIR_DOMAIN_VCPU_HOTPLUG_UNALIGNED is the header's $expr"

# Debian's libvirt0 is installed too: what the binary loads depends on the
# library path, i.e. ./run's.
lib=$("$E2E_RUN" ldd "$BIN" | awk '$1 == "libvirt.so.0" { print $3 }')
is "$lib" "$E2E_BUILD/src/libvirt.so.0" "under ./run kp-client uses the build's libvirt.so.0"

daemon_start host
ok $? "private virtqemud starts" || bail_out "no daemon"

qemu10=$("$E2E_TOPDIR/scripts/fetch-qemu-backports.sh" --print) ||
    bail_out "cannot fetch QEMU from bookworm-backports"
guest_initramfs x86_64 "$E2E_TMP/initrd" || bail_out "cannot build the initramfs"
# One NUMA node per socket (the guest kernel warns when a socket's CPUs
# span nodes); node 1's CPUs are all hot added.
GUEST_VCPUS=8 GUEST_VCPUS_CURRENT=2 GUEST_MEMORY_MIB=256 \
    GUEST_CPU_MODEL=Nehalem GUEST_EMULATOR=$qemu10 \
    GUEST_TOPOLOGY="sockets='2' dies='1' clusters='1' cores='4' threads='1'" \
    GUEST_CPU_EXTRA="<numa><cell id='0' cpus='0-3' memory='256' unit='MiB'/><cell id='1' cpus='4-7' memory='0' unit='KiB'/></numa>" \
    guest_domain_xml x86_64 "$DOM" "$(guest_kernel x86_64)" "$E2E_TMP/initrd" "$LOG" \
    "<maxMemory slots='4' unit='MiB'>2048</maxMemory>" > "$E2E_TMP/dom.xml"

t0=$SECONDS
"$E2E_RUN" "$BIN" -c "$(e2e_uri host)" -xml "$E2E_TMP/dom.xml" -console "$LOG" \
    > "$E2E_TMP/client.out" 2> "$E2E_TMP/client.err"
rc=$?
n=0
while IFS= read -r line; do
    case $line in
        "ok - "*) n=$((n + 1)); ok 0 "kp-client: ${line#ok - }" ;;
        "not ok - "*) n=$((n + 1)); ok 1 "kp-client: ${line#not ok - }" ;;
        "# "*) diag "${line#\# }" ;;
        *) diag "kp-client: $line" ;;
    esac
done < "$E2E_TMP/client.out"
[ ! -s "$E2E_TMP/client.err" ] || diag "kp-client's stderr:" "$(cat "$E2E_TMP/client.err")"
[ "$n" -le "$CLIENT_CHECKS" ] ||
    diag "kp-client made $n checks, CLIENT_CHECKS says $CLIENT_CHECKS: update it"
while [ "$n" -lt "$CLIENT_CHECKS" ]; do
    n=$((n + 1))
    ok 1 "kp-client: check $n was not reached"
done
is "$rc" 0 "kp-client exits 0 ($((SECONDS - t0)) s)" ||
    diag "console:" "$(tail -n 5 "$LOG" 2>/dev/null | cut -c1-160)"

is "$(vsh host list --all --name 2>&1)" "" "no domain is left: kp-client undefined $DOM"
left=$(pgrep -f -- "guest=$DOM,.*$E2E_TMP/")
is "$left" "" "no QEMU of $DOM is left"
