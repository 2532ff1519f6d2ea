# shellcheck shell=bash
# make demo section, sourced by scripts/demo.sh (see there for the helpers).

section "F7: Kunpeng CPU models, the minimum-feature CPU, cross-generation checks"
F7_DATA=$MESON_BUILD/../tests/cputestdata
echo "  There is no Kunpeng host here: the host CPUs are those the CPU driver read from"
echo "  fake /proc/cpuinfo files of each generation (cputest's data). The hosts here:"
for h in kunpeng-920-v1 kunpeng-920-v1-nosve kunpeng-950-v1; do
    printf '    %-22s model %s, %s features beyond it\n' "$h" \
        "$(sed -n 's/.*<model>\(.*\)<\/model>.*/\1/p' "$F7_DATA/aarch64-host-$h.xml")" \
        "$(grep -c '<feature ' "$F7_DATA/aarch64-host-$h.xml")"
done
cat "$F7_DATA/aarch64-host-kunpeng-920-v1.xml" "$F7_DATA/aarch64-host-kunpeng-950-v1.xml" \
    > "$E2E_TMP/f7-fleet.xml"
cat "$F7_DATA/aarch64-host-kunpeng-920-v1-nosve.xml" "$F7_DATA/aarch64-host-kunpeng-950-v1.xml" \
    > "$E2E_TMP/f7-fleet-nosve.xml"

echo "  The CPU a Kunpeng 920-V1 and a Kunpeng 950-V1 can both run (libvirt 9.0 gave"
echo "  the first host's model, whatever the others lack):"
demo_virsh hypervisor-cpu-baseline --arch aarch64 --virttype qemu "$E2E_TMP/f7-fleet.xml" --migratable
echo "  The same with a 920-V1 whose firmware turned SVE off (the CPU driver reads it as"
echo "  a 920 with the rest): the oldest generation, what both have beyond it required:"
demo_virsh cpu-baseline "$E2E_TMP/f7-fleet-nosve.xml"

echo "  Migration is one way: the destination compares the guest CPU with its host"
echo "  before it starts anything (qemumigrationcputest runs that check now):"
# f7_check CASE: what the check said in qemumigrationcputest's case CASE
f7_check() {
    local said
    said=$(VIR_TEST_DEBUG=1 "$MESON_BUILD/tests/qemumigrationcputest" 2>&1 |
           grep -F "migration CPU check $1 " | sed 's/^.*\.\.\. *//')
    [ -n "$said" ] || said="(nothing: the guest may come)"
    printf '%s\n' "$said" | fold -s -w 74 | sed 's/^/      /'
}
echo "    Kunpeng-920 guest to a Kunpeng 920-V2 host (old to new):"
f7_check 920-to-920-v2
echo "    Kunpeng-920-V1 guest to a Kunpeng 920 host (new to old):"
f7_check 920-v1-to-920
echo "    host-passthrough guest from a 920-V1 host to a 920-V2 host:"
f7_check passthrough-920-v1-to-920-v2

echo "  Under KVM the guest runs as the host CPU with the fields of every feature"
echo "  outside its model lowered. No QEMU here has those properties: qemuxml2argvtest"
echo "  builds the command line against the Kunpeng QEMU 8.2 fixture (a 920-V2 host)."
if "$MESON_BUILD/tests/qemuxml2argvtest" >/dev/null 2>&1; then
    echo "  It just did, and it matched; a Kunpeng-920 guest there gets:"
    grep -o -- '-cpu [^ ]*' "$MESON_BUILD/../tests/qemuxml2argvdata/aarch64-cpu-kunpeng-920.aarch64-8.2.0_kunpeng.args" |
        sed -e 's/,/,\n      /g' -e 's/^/    /' | head -n 8
    echo "      ... ($(grep -o -- '-cpu [^ ]*' "$MESON_BUILD/../tests/qemuxml2argvdata/aarch64-cpu-kunpeng-920.aarch64-8.2.0_kunpeng.args" | tr ',' '\n' | grep -c SYSREG) fields)"
    echo "  and with <cpu><migration> (two implementations, 6 PMU counters, 2 denied events):"
    grep -o -- '-machine [^ ]*' "$MESON_BUILD/../tests/qemuxml2argvdata/aarch64-cpu-kunpeng-migration.aarch64-8.2.0_kunpeng.args" |
        sed -e 's/,x-target/,\n      x-target/' -e 's/^/    /'
    echo "  A guest of a newer generation than that host is refused before QEMU starts:"
    sed -e 's/^/    /' "$MESON_BUILD/../tests/qemuxml2argvdata/aarch64-cpu-kunpeng-950-v1.aarch64-8.2.0_kunpeng.err" |
        fold -s -w 80
else
    echo "  qemuxml2argvtest failed: run it for the details"
fi
