#!/bin/bash
# Make the Python binding of this build: build/python, a directory usable as
# PYTHONPATH (libvirt.py, libvirt_qemu.py, libvirt_lxc.py, libvirtaio.py and
# the libvirtmod*.so modules), or, with --install, install it for
# /usr/bin/python3 under $DESTDIR$PREFIX.
#
# libvirt-python's source package cannot be downloaded on the machines this
# project runs on, so the binding is not generated from source: it is
# Debian's python3-libvirt, of the same libvirt version, completed from this
# build's API description. That is enough because libvirt-kunpeng adds no
# public function (checked below against the symbols of Debian's libvirt0):
# Debian's libvirtmod*.so wrap the whole C API and load libvirt.so.0 by its
# soname, so under ./run they call this build's library. What the project
# adds are constants, flags and typed parameter names, which libvirt-python's
# generator writes into the .py modules as plain assignments: the ones the
# API XML files have and Debian's modules lack are appended the same way.
#
# Usage: build-python-binding.sh [--install]

set -euo pipefail
. "$(dirname "$0")/common.sh"

PYTHON=/usr/bin/python3
OUT=$BUILD_DIR/python
DOCS=$MESON_BUILD/docs
# Each Python module and the API description its constants come from.
APIS=(libvirt:"$DOCS/libvirt-api.xml" libvirt_qemu:"$DOCS/libvirt-qemu-api.xml"
      libvirt_lxc:"$DOCS/libvirt-lxc-api.xml")

# The top-level modules python3-libvirt installs (no egg-info: pip must not
# take this binding for Debian's package).
debian_modules() {
    dpkg-query -L python3-libvirt | grep -E '^/usr/lib/python3/dist-packages/[^/]+\.(py|so)$'
}

if [ "${1:-}" = "--install" ]; then
    [ -f "$OUT/.built" ] || die "$OUT has not been built: run 'make' first"
    # Debian's python3 looks in lib/python3/dist-packages under /usr only;
    # under /usr/local (and so any other prefix) in lib/python3.X/dist-packages.
    sitedir=$("$PYTHON" -c 'import sys
p = sys.argv[1].rstrip("/")
print(p + ("/lib/python3/dist-packages" if p == "/usr" else
           "/lib/python%d.%d/dist-packages" % sys.version_info[:2]))' "${PREFIX:-/usr/local}")
    msg "installing the Python binding into ${DESTDIR:-}$sitedir"
    while read -r f; do
        install -D -m 0644 "$OUT/$f" "${DESTDIR:-}$sitedir/$f"
    done < "$OUT/.built"
    exit 0
fi

for api in "${APIS[@]}"; do
    [ -f "${api#*:}" ] || die "${api#*:} is missing: build libvirt first (scripts/build.sh)"
done
mapfile -t modules < <(debian_modules)
[ ${#modules[@]} -gt 0 ] || die "python3-libvirt is not installed (scripts/deps.sh installs it)"
pyver=$(dpkg-query -W -f='${Version}' python3-libvirt)
[ "${pyver%%-*}" = "$LIBVIRT_VERSION" ] ||
    die "python3-libvirt is $pyver, not libvirt $LIBVIRT_VERSION's binding"

# Up to date when no input changed since the last run.
if [ -f "$OUT/.built" ] &&
   [ -z "$(find "${modules[@]}" "$0" "${APIS[@]#*:}" -newer "$OUT/.built")" ]; then
    exit 0
fi

msg "making the Python binding in $OUT from python3-libvirt $pyver"

# A public function Debian's libvirt lacks would have no wrapper in
# Debian's libvirtmod: only a binding generated from source could have one.
public_symbols() {
    nm -D --defined-only "$1" |
        awk '$3 ~ /@@?LIBVIRT_/ && $3 !~ /@@?LIBVIRT_PRIVATE_/ { print $3 }' | sort
}
for lib in libvirt libvirt-qemu libvirt-lxc; do
    debian_lib=$(dpkg-query -L libvirt0 | grep -E "/$lib\.so\.0$") ||
        die "libvirt0 has no $lib.so.0"
    debian_symbols=$(public_symbols "$debian_lib")
    [ -n "$debian_symbols" ] || die "found no public function in $debian_lib"
    extra=$(comm -13 <(echo "$debian_symbols") <(public_symbols "$MESON_BUILD/src/$lib.so.0"))
    [ -z "$extra" ] ||
        die "$lib.so.0 has public functions that python3-libvirt does not wrap:" "${extra//$'\n'/ }"
done

tmp=$OUT.new
rm -rf "$tmp"
mkdir -p "$tmp"
# shellcheck disable=SC2064 # expand $tmp now
trap "rm -rf '$tmp'" EXIT
cp -p "${modules[@]}" "$tmp/"

# Append the constants the API XML files have and the modules lack; any
# constant both have must have the same value.
PYTHONDONTWRITEBYTECODE=1 "$PYTHON" - "$tmp" "${APIS[@]}" <<'PY' || die "could not complete the binding's constants"
import importlib
import sys
import xml.etree.ElementTree as ET

outdir = sys.argv[1]
sys.path.insert(0, outdir)
apis = [a.split(":", 1) for a in sys.argv[2:]]

# Enum values may name other enums, across the three files.
raw = {}
roots = {}
for mod, path in apis:
    roots[mod] = ET.parse(path).getroot()
    for e in roots[mod].iter("enum"):
        raw[e.get("name")] = e.get("value")


def value(v):
    while v in raw:
        v = raw[v]
    return int(v, 0)


bad = []
for mod, path in apis:
    module = importlib.import_module(mod)
    root = roots[mod]
    enums = {}
    for e in root.iter("enum"):
        enums.setdefault(e.get("type"), []).append((e.get("name"), value(e.get("value"))))
    params = [(m.get("name"), m.get("string")) for m in root.iter("macro")
              if m.get("string") is not None]

    added = []
    for etype, items in sorted(enums.items()):
        top = max(v for _, v in items)
        new = []
        for name, v in items:
            if hasattr(module, name):
                if getattr(module, name) != v:
                    bad.append("%s.%s is %r, %s says %r" %
                               (mod, name, getattr(module, name), path, v))
            # The generator leaves out an enum's _LAST sentinel.
            elif not (name.endswith("_LAST") and v == top):
                new.append("%s = %d" % (name, v))
        if new:
            added.append("# %s\n%s\n" % (etype, "\n".join(new)))
    new = []
    for name, s in sorted(params):
        if hasattr(module, name):
            if getattr(module, name) != s:
                bad.append("%s.%s is %r, %s says %r" %
                           (mod, name, getattr(module, name), path, s))
        else:
            new.append("%s = %r" % (name, s))
    if new:
        added.append("# typed parameter names\n%s\n" % "\n".join(new))

    if added:
        with open("%s/%s.py" % (outdir, mod), "a") as f:
            f.write("\n# Added by libvirt-kunpeng from %s\n\n" % path)
            f.write("\n".join(added))
        for block in added:
            for line in block.splitlines()[1:]:
                print(">>> %s: added %s" % (mod, line), file=sys.stderr)

if bad:
    sys.exit("error: " + "\n       ".join(bad))
PY

# The binding must import with this build's library, and be the one found.
file=$(cd "$TOPDIR" && PYTHONPATH=$tmp PYTHONDONTWRITEBYTECODE=1 ./run "$PYTHON" -c '
import libvirt, libvirt_qemu, libvirt_lxc, libvirtaio
print(libvirt.__file__)') || die "the binding in $tmp does not import"
[ "$file" = "$tmp/libvirt.py" ] || die "python imported $file, not $tmp/libvirt.py"

printf '%s\n' "${modules[@]##*/}" > "$tmp/.built"
rm -rf "$OUT"
mv "$tmp" "$OUT"
trap - EXIT
