# shellcheck shell=bash
# The meson options of the build (scripts/build.sh) and of the sanitizer
# build (scripts/check-sanitize.sh), which must configure the same drivers.
# Sourced; uses PREFIX.

# Only the QEMU driver among the hypervisor drivers; the test driver stays,
# virsh's own tests run against it.
MESON_OPTIONS=(
    --prefix="$PREFIX"
    -Dno_git=true
    -Ddocs=enabled
    -Dtests=enabled
    -Dexpensive_tests=enabled
    -Ddriver_qemu=enabled
    -Ddriver_remote=enabled
    -Ddriver_libvirtd=enabled
    -Ddriver_test=enabled
    -Ddriver_bhyve=disabled
    -Ddriver_ch=disabled
    -Ddriver_esx=disabled
    -Ddriver_hyperv=disabled
    -Ddriver_libxl=disabled
    -Ddriver_lxc=disabled
    -Ddriver_openvz=disabled
    -Ddriver_vbox=disabled
    -Ddriver_vmware=disabled
    -Ddriver_vz=disabled
    -Dinit_script=none
)

# The same drivers without the docs, for the second builds (sanitizers,
# fuzzing): the main build has the docs already.
MESON_OPTIONS_NO_DOCS=()
for o in "${MESON_OPTIONS[@]}"; do
    case $o in
        -Ddocs=*) ;;
        *) MESON_OPTIONS_NO_DOCS+=("$o") ;;
    esac
done
MESON_OPTIONS_NO_DOCS+=(-Ddocs=disabled)
