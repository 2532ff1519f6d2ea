# Shared settings for the libvirt-kunpeng scripts (sourced, not executed).
#
# The download cache lives outside build/ so that removing the assembled tree
# never costs a new download; override with LIBVIRT_KUNPENG_CACHE.

TOPDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE_DIR=${LIBVIRT_KUNPENG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/libvirt-kunpeng}
BUILD_DIR=$TOPDIR/build
TREE=${KP_TREE:-$BUILD_DIR/libvirt}
MESON_BUILD=$TREE/build

LIBVIRT_VERSION=9.0.0
DEBIAN_SUITE=bookworm
DEBIAN_MIRROR=http://deb.debian.org/debian

# Directories of the project that are overlaid onto the libvirt tree.
OVERLAY_DIRS="src tests tools docs examples po"
# ... except the project's own end-to-end harness, which is not part of libvirt.
OVERLAY_EXCLUDE="tests/e2e"

die() {
    echo "error: $*" >&2
    exit 1
}

msg() {
    echo ">>> $*" >&2
}

# private_apt ARCH-OR-EMPTY NAME: run apt-get with a private configuration
# under $CACHE_DIR/apt-NAME, never touching the machine's apt setup.
# The caller sets PRIVATE_APT_SOURCES to the sources.list content.
private_apt_setup() {
    local name=$1 arch=$2
    local dir=$CACHE_DIR/apt-$name
    mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/etc"
    printf '%s\n' "$PRIVATE_APT_SOURCES" > "$dir/etc/sources.list.new"
    if ! cmp -s "$dir/etc/sources.list.new" "$dir/etc/sources.list"; then
        mv "$dir/etc/sources.list.new" "$dir/etc/sources.list"
        rm -f "$dir/updated"
    else
        rm -f "$dir/etc/sources.list.new"
    fi
    PRIVATE_APT_OPTS=(
        -o "Dir::Etc::SourceList=$dir/etc/sources.list"
        -o "Dir::Etc::SourceParts=/dev/null"
        -o "Dir::State::Lists=$dir/lists"
        -o "Dir::State::Status=/var/lib/dpkg/status"
        -o "Dir::Cache=$dir/cache"
        -o "APT::Sandbox::User=root"
    )
    if [ -n "$arch" ]; then
        PRIVATE_APT_OPTS+=(-o "APT::Architecture=$arch" -o "APT::Architectures=$arch")
    fi
    if [ ! -e "$dir/updated" ]; then
        apt-get -q "${PRIVATE_APT_OPTS[@]}" update >&2 || die "apt-get update ($name) failed"
        touch "$dir/updated"
    fi
}

# Export the commits on top of the tree's 'overlay' tag as patch files into
# DIR, in the one deterministic format both refresh and assemble compare.
tree_export_series() {
    git -C "$TREE" format-patch -q --no-numbered --zero-commit --no-signature \
        --no-stat -o "$1" overlay..HEAD >/dev/null
}
