# F6's compressed migration through Debian's python3-libvirt (9.0), called
# the way OpenStack Nova's Guest.migrate calls it: migrateToURI3 with the
# destination daemon's URI (peer to peer: the source daemon connects to the
# destination daemon itself), flags VIR_MIGRATE_LIVE | PEER2PEER |
# PERSIST_DEST | UNDEFINE_SOURCE, Nova's params (bandwidth, destination_xml,
# persistent_xml, migrate_uri), plus VIR_MIGRATE_PARALLEL |
# VIR_MIGRATE_COMPRESSED and the typed parameters "compression" = "zstd",
# "compression.zstd.level" = 3 and "parallel.connections" = 2, by their
# string names (Debian's binding has no constants for the new ones):
#  - without VIR_MIGRATE_PARALLEL the call is refused with an error naming
#    both halves (zstd and VIR_MIGRATE_PARALLEL), and the guest keeps
#    running on the source;
#  - with it the guest moves: it runs on the destination, persistent, is
#    gone from the source, reports on the destination's console, the
#    destination's completed job says compression_method zstd with fewer
#    compressed bytes than normal ones, and the source daemon's log shows
#    the method (and level) sent to QEMU.
# Debian's binding has no type hint for "compression.zstd.level" (new in
# this build), so it sends a Python int as ullong, which libvirt refuses
# ('expected int'): that refusal is checked, and the migration is then made
# without the level.
#
# Run by 12-migrate-compressed.t, which starts the daemons and the guest;
# it prints PLAN TAP test lines, unnumbered. Input, from the environment:
#   KP_SRC_URI, KP_DST_URI      the two private daemons
#   KP_DOM                      the guest, running on the source (QEMU 10.0)
#   KP_MIG_URI                  migrate_uri, tcp://<destination's address>:PORT
#   KP_DST_XML                  the destination XML (console: KP_DST_CONSOLE)
#   KP_SRC_CONSOLE              the guest's console log on the source
#   KP_DST_CONSOLE              its console log on the destination
#   KP_SRC_DAEMON_LOG           the source daemon's log (with QMP traffic)

import os
import re
import sys
import time

import libvirt

import kp_tap
from kp_tap import bail_out, done, is_, ok

PLAN = 9
LEVEL = "compression.zstd.level"


def migrate(dom, uri, params, flags):
    """migrateToURI3 as Nova calls it: None, or the error message"""
    try:
        dom.migrateToURI3(uri, params, flags)
    except libvirt.libvirtError as e:
        return e.get_error_message()
    return None


def read_text(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def report_seqs(path, start=0):
    """The seq of each complete KP-REPORT line of console PATH after byte START"""
    text = read_text(path)[start:]
    return [int(m.group(1)) for m in
            re.finditer(r"^KP-REPORT seq=(\d+) .*\r?\n", text, re.M)]


def wait_report(path, above, start=0, timeout=30):
    """The first KP-REPORT seq greater than ABOVE on console PATH, or None"""
    deadline = time.monotonic() + timeout
    while True:
        seqs = [s for s in report_seqs(path, start) if s > above]
        if seqs:
            return seqs[0]
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.2)


def state_on(conn, name):
    try:
        dom = conn.lookupByName(name)
    except libvirt.libvirtError as e:
        if e.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
            return "no domain"
        raise
    state = dom.state()[0]
    return {libvirt.VIR_DOMAIN_RUNNING: "running",
            libvirt.VIR_DOMAIN_SHUTOFF: "shut off"}.get(state, "state %d" % state)


def log_size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def set_params_after(path, start):
    """What the first migrate-set-parameters logged after byte START set"""
    text = read_text(path)[start:]
    m = re.search(r'QEMU_MONITOR_SEND_MSG: .*"execute":"migrate-set-parameters".*', text)
    line = m.group(0) if m else ""
    out = []
    for key in ("multifd-channels", "multifd-compression", "multifd-zstd-level"):
        v = re.search(r'"%s":"?([a-z0-9]*)' % key, line)
        out.append("%s=%s" % (key, v.group(1) if v else "-"))
    return " ".join(out)


def main():
    env = os.environ
    name = env["KP_DOM"]
    dst_uri = env["KP_DST_URI"]
    src_console = env["KP_SRC_CONSOLE"]
    dst_console = env["KP_DST_CONSOLE"]
    daemon_log = env["KP_SRC_DAEMON_LOG"]
    with open(env["KP_DST_XML"]) as f:
        xml = f.read()

    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    src = libvirt.open(env["KP_SRC_URI"])
    dst = libvirt.open(dst_uri)
    dom = src.lookupByName(name)
    if state_on(src, name) != "running":
        bail_out("the guest does not run on the source")

    # As Nova's Guest.migrate builds them
    params = {
        libvirt.VIR_MIGRATE_PARAM_BANDWIDTH: 0,
        libvirt.VIR_MIGRATE_PARAM_DEST_XML: xml,
        libvirt.VIR_MIGRATE_PARAM_PERSIST_XML: xml,
        libvirt.VIR_MIGRATE_PARAM_URI: env["KP_MIG_URI"],
        "compression": "zstd",
    }
    flags = (libvirt.VIR_MIGRATE_LIVE | libvirt.VIR_MIGRATE_PEER2PEER |
             libvirt.VIR_MIGRATE_PERSIST_DEST | libvirt.VIR_MIGRATE_UNDEFINE_SOURCE |
             libvirt.VIR_MIGRATE_COMPRESSED)

    # 1. A multifd method without VIR_MIGRATE_PARALLEL
    mark = len(read_text(src_console))
    msg = migrate(dom, dst_uri, params, flags)
    ok(msg is not None and "'zstd'" in msg and "VIR_MIGRATE_PARALLEL" in msg,
       "migrateToURI3 with compression=zstd without VIR_MIGRATE_PARALLEL is refused, "
       "naming both", "error: %r" % (msg,))
    is_("%s / %s" % (state_on(src, name), state_on(dst, name)), "running / shut off",
        "after the refusal the guest still runs on the source, not on the destination")
    seq = wait_report(src_console, 0, mark)
    ok(seq is not None, "the guest reports again on the source's console (seq %s)" % seq)

    # 2. With VIR_MIGRATE_PARALLEL, 2 connections, zstd level 3
    params["parallel.connections"] = 2
    params[LEVEL] = 3
    flags |= libvirt.VIR_MIGRATE_PARALLEL
    last = max(report_seqs(src_console) or [0])
    mark_log = log_size(daemon_log)
    t0 = time.monotonic()
    err = migrate(dom, dst_uri, params, flags)
    # Debian's python3-libvirt sends an int it has no type hint for as
    # ullong: the daemon must refuse it saying what it wants (documented
    # in kunpeng-kae-migration.rst), or take it from a binding that knows.
    desc = ("migrateToURI3 with %s = 3 from a Python int: taken, or refused "
            "naming the parameter and the type it needs" % LEVEL)
    ok(err is None or ("invalid type" in err and LEVEL in err and "expected 'int'" in err),
       desc, "error: %s" % err)
    level = err is None
    if not level:
        # The same call without the level, if the guest did not move
        del params[LEVEL]
        if state_on(src, name) == "running":
            mark_log = log_size(daemon_log)
            t0 = time.monotonic()
            err = migrate(dom, dst_uri, params, flags)
    secs = time.monotonic() - t0
    ok(err is None, "migrateToURI3(LIVE | PEER2PEER | PERSIST_DEST | UNDEFINE_SOURCE | "
       "PARALLEL | COMPRESSED, compression=zstd%s, parallel.connections=2) "
       "migrates (%.1f s)" % (", level 3" if level else "", secs), "error: %s" % err)

    try:
        ddom = dst.lookupByName(name)
        persistent = ddom.isPersistent()
    except libvirt.libvirtError as e:
        ddom, persistent = None, repr(e)
    is_("%s persistent=%s / %s" % (state_on(dst, name), persistent, state_on(src, name)),
        "running persistent=1 / no domain",
        "the guest runs on the destination, persistent, and is gone from the source")
    seq = wait_report(dst_console, last)
    ok(seq is not None, "the guest goes on reporting on the destination's console "
       "(seq %s -> %s)" % (last, seq), read_text(dst_console)[-300:])

    stats = {}
    if ddom is not None:
        try:
            stats = ddom.jobStats(libvirt.VIR_DOMAIN_JOB_STATS_COMPLETED)
        except libvirt.libvirtError as e:
            stats = {"error": e.get_error_message()}
    method = stats.get("compression_method")
    # QEMU 10.0 counts the multifd bytes after compression
    comp = stats.get("memory_multifd_bytes", 0)
    normal = stats.get("memory_normal_bytes", 0)
    ok(method == "zstd" and 0 < comp and 2 * comp < normal,
       "the destination's completed job: compression_method %s, memory_multifd_bytes %s "
       "less than half of memory_normal_bytes %s" % (method, comp, normal), stats)

    want = "multifd-channels=2 multifd-compression=zstd multifd-zstd-level=%s" % (
        "3" if level else "-")
    is_(set_params_after(daemon_log, mark_log), want,
        "the source's QEMU got the method%s and 2 channels" % (" and level 3" if level else ""))
    return done(PLAN)


if __name__ == "__main__":
    sys.exit(main())
