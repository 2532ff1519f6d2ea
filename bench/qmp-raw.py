#!/usr/bin/python3
# bench/qmp-raw.py: the "raw" side of the benchmarks in bench/, the floor
# under libvirt's figures: the same operation sent straight to QEMU over QMP,
# with no libvirt in between. Python 3 standard library only; run it with
# /usr/bin/python3. bench/lib.sh (bench_raw_*) drives it.
#
#   qmp-raw.py cmdline LOG CONSOLE SOCKET
#       print, NUL-separated, the QEMU command line of the last start logged
#       in the libvirt domain log LOG, made to run without libvirt: the
#       monitor libvirt passed as a file descriptor listens on the unix
#       socket SOCKET instead, the serial console libvirt passed through an
#       fd set writes to the file CONSOLE, and the master key secret (its
#       file is libvirt's, gone with the domain; nothing here uses it) is
#       left out. Anything else passed as a descriptor is an error.
#   qmp-raw.py setvcpus SOCKET N
#       hot add vCPUs until N are plugged. Timed: query-hotpluggable-cpus
#       (the free slots and their properties), one device_add per missing
#       vCPU, in vCPU order, with the driver, id ("vcpuI") and properties
#       libvirt sends, then query-cpus-fast (what libvirt reads back: the
#       vCPUs' threads, for pinning and statistics). This build's libvirt
#       sends one query fewer: it knows the slots from the guest's start
#       and reads the new vCPUs back with query-cpus-fast alone after the
#       device_adds; stock libvirt 9.0 sends query-hotpluggable-cpus and
#       query-cpus-fast after every device_add.
#   qmp-raw.py attach-memory SOCKET MIB NODE
#       hot add a MIB MiB pc-dimm into guest NUMA node NODE. Timed:
#       object-add of its memory-backend-ram, device_add of the pc-dimm
#       (ids "memdimmI"/"dimmI" and an explicit slot, as libvirt sends
#       them), then query-memory-devices (libvirt reads back the address
#       QEMU chose, which it keeps so that a migration destination gets the
#       same layout). Untimed, before: a query-memory-devices for the next
#       free slot, which libvirt knows from its domain definition. Not sent:
#       libvirt's qom-list of /machine/peripheral, its own bookkeeping of
#       device aliases.
#   qmp-raw.py boot SOCKET ARGS LOG
#       start QEMU with the NUL-separated command line in the file ARGS
#       (which has -S, as libvirt's has; its output appended to LOG),
#       connect to its monitor on SOCKET, qmp_capabilities, cont, quit, and
#       wait for QEMU to exit. Timed: all of it, from the start of the
#       process to its exit; QEMU is killed if anything fails.
#   qmp-raw.py cont SOCKET
#       resume the guest (untimed).
#   qmp-raw.py stop SOCKET
#       pause the guest (untimed).
#   qmp-raw.py migrate SOCKET DST_SOCKET HOST PORT METHOD CHANNELS CAP
#       live-migrate the guest of the QEMU on SOCKET to the QEMU on
#       DST_SOCKET (started with -incoming defer, -S), with the commands
#       libvirt 9.0 sends for a client-driven "virsh migrate --live":
#       migrate-set-capabilities and migrate-set-parameters on both sides
#       (METHOD none, zlib or zstd: multifd with CHANNELS channels and that
#       multifd-compression, as --parallel --parallel-connections CHANNELS
#       [--compressed --comp-methods METHOD]; mt: the legacy 'compress'
#       capability with QEMU's default threads, no multifd, as --compressed
#       --comp-methods mt; CHANNELS is ignored), migrate-incoming
#       tcp:[::]:PORT on the destination, migrate tcp:HOST:PORT on the
#       source, migrate-continue when the source stops at pre-switchover,
#       query-migrate at the end (again until total-time is set: QEMU 7.2
#       reports "completed" a moment before); then, as libvirt's Finish,
#       query-migrate on the destination until its side completed, and cont
#       there; and
#       libvirt's reset: the capabilities off and the parameters it saved
#       (query-migrate-parameters) before, on the destination after cont,
#       on the source after a failure (a QEMU keeps its migration
#       parameters: this is what makes the next migration from it start
#       clean). A migration that has not completed CAP seconds after the
#       migrate command is cancelled (migrate_cancel). Prints "completed
#       TOTAL DOWNTIME SWITCHOVER" (QEMU's total-time and downtime in ms,
#       and the time from QEMU's pre-switchover event to its device event,
#       in ms by QEMU's event timestamps: how long the guest stood stopped
#       waiting for migrate-continue) or "cancelled - - -". Untimed: the
#       shell times it.
#
# qmp_capabilities is never timed except by boot. The time runs from the
# first timed command sent to the last reply read (time.monotonic_ns); one
# command is in flight at a time, as with libvirt. What is printed on
# success is that time in milliseconds; the replies are checked after the
# time is taken, and an error (reason on stderr) exits with status 1.

import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time

# How long to wait for QEMU's monitor to accept a connection, and for a
# reply: a QEMU that takes longer has a problem worth reporting.
CONNECT_TIMEOUT = 10
REPLY_TIMEOUT = 60


class QMPError(Exception):
    pass


class QMP:
    def __init__(self, path, proc=None):
        deadline = time.monotonic() + CONNECT_TIMEOUT
        while True:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(path)
                break
            except (FileNotFoundError, ConnectionRefusedError) as e:
                sock.close()
                if proc is not None and proc.poll() is not None:
                    raise QMPError("QEMU exited with status %d before its "
                                   "monitor was ready" % proc.returncode)
                if time.monotonic() > deadline:
                    raise QMPError("cannot connect to %s: %s" % (path, e))
                time.sleep(0.001)
        self.sock = sock
        self.buf = b""
        self.serial = 0
        # Events read while waiting for a reply, for event().
        self.events = []
        greeting = self._read()
        if greeting is None or "QMP" not in greeting:
            raise QMPError("no QMP greeting: %r" % greeting)

    def _read(self, timeout=REPLY_TIMEOUT):
        """The next message, or None when none came within timeout s."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not data:
                raise QMPError("QEMU closed the monitor")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def cmd(self, name, args=None):
        """Send one command, return its "return" (events are kept)."""
        self.serial += 1
        msg = {"execute": name, "id": self.serial}
        if args is not None:
            msg["arguments"] = args
        self.sock.sendall(json.dumps(msg).encode() + b"\r\n")
        while True:
            reply = self._read()
            if reply is None:
                raise QMPError("%s: no reply within %d s" % (name, REPLY_TIMEOUT))
            if "event" in reply:
                self.events.append(reply)
                continue
            if reply.get("id") != self.serial:
                continue
            if "error" in reply:
                raise QMPError("%s: %s" % (name, reply["error"].get("desc", reply["error"])))
            return reply["return"]

    def event(self, timeout):
        """The next event, or None when none came within timeout s."""
        if self.events:
            return self.events.pop(0)
        deadline = time.monotonic() + timeout
        while True:
            msg = self._read(max(0, deadline - time.monotonic()))
            if msg is None or "event" in msg:
                return msg

    def close(self):
        self.sock.close()


def ms(t0, t1):
    return "%.3f" % ((t1 - t0) / 1e6)


# --- cmdline ---------------------------------------------------------------

START_RE = re.compile(r"^\d{4}-\d\d-\d\d [0-9:.]+\+\d{4}: starting up ")
ENV_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def logged_cmdline(log):
    """The arguments of the last QEMU command line in a libvirt domain log."""
    with open(log) as f:
        lines = f.read().splitlines()
    starts = [i for i, line in enumerate(lines) if START_RE.match(line)]
    if not starts:
        raise QMPError("%s: no QEMU start logged" % log)
    text = []
    for line in lines[starts[-1] + 1:]:
        if line.endswith(" \\"):
            text.append(line[:-2])
        else:
            text.append(line)
            break
    argv = shlex.split(" ".join(text))
    while argv and ENV_RE.match(argv[0]):
        argv.pop(0)
    if not argv or not argv[0].startswith("/"):
        raise QMPError("%s: no QEMU command line after the last start" % log)
    return argv


def qemu_opts_escape(value):
    return value.replace(",", ",,")


def standalone_cmdline(argv, console, sock):
    monitors = set()
    for opt, val in zip(argv, argv[1:]):
        if opt == "-mon":
            m = re.search(r"(?:^|,)chardev=([^,]+)", val)
            if m:
                monitors.add(m.group(1))
    out = [argv[0]]
    fdsets = []
    i = 1
    while i < len(argv):
        opt = argv[i]
        val = argv[i + 1] if i + 1 < len(argv) else ""
        if opt == "-object" and val.startswith("{"):
            obj = json.loads(val)
            if obj.get("qom-type") == "secret" and obj.get("id") == "masterKey0":
                i += 2
                continue
        if opt == "-add-fd":
            m = re.search(r"(?:^|,)set=(\d+)", val)
            if not m:
                raise QMPError("cannot parse -add-fd %s" % val)
            fdsets.append(m.group(1))
            i += 2
            continue
        if opt == "-chardev":
            cid = re.search(r"(?:^|,)id=([^,]+)", val)
            if cid and cid.group(1) in monitors and re.search(r"(?:^|,)fd=\d+(?:,|$)", val):
                val = re.sub(r"(^|,)fd=\d+(?=,|$)",
                             lambda m: m.group(1) + "path=" + qemu_opts_escape(sock), val)

            def fdset_path(m):
                if m.group(2) not in fdsets:
                    raise QMPError("-chardev %s: fd set %s not added" % (val, m.group(2)))
                n = fdsets.index(m.group(2))
                path = console if n == 0 else "%s.%d" % (console, n)
                return m.group(1) + "path=" + qemu_opts_escape(path)
            val = re.sub(r"(^|,)path=/dev/fdset/(\d+)(?=,|$)", fdset_path, val)
            out += [opt, val]
            i += 2
            continue
        out.append(opt)
        i += 1
    for a in out:
        if "/dev/fdset/" in a or re.search(r"(?:^|,)fd=\d+(?:,|$)", a) or "masterKey0" in a:
            raise QMPError("cannot run without libvirt: %s" % a)
    if "-S" not in out:
        raise QMPError("libvirt's command line has no -S")
    return out


def do_cmdline(log, console, sock):
    argv = standalone_cmdline(logged_cmdline(log), console, sock)
    sys.stdout.write("".join(a + "\0" for a in argv))


# --- setvcpus --------------------------------------------------------------

TOPOLOGY_IDS = ("node-id", "drawer-id", "book-id", "socket-id", "die-id",
                "cluster-id", "core-id", "thread-id")


def vcpu_order(entry):
    props = entry.get("props", {})
    return tuple(props.get(k, -1) for k in TOPOLOGY_IDS)


def do_setvcpus(sock, n):
    n = int(n)
    qmp = QMP(sock)
    qmp.cmd("qmp_capabilities")
    t0 = time.monotonic_ns()
    slots = sorted(qmp.cmd("query-hotpluggable-cpus"), key=vcpu_order)
    if len(slots) < n:
        raise QMPError("QEMU has %d vCPU slots, %d asked for" % (len(slots), n))
    for i, slot in enumerate(slots[:n]):
        if "qom-path" in slot:
            continue
        args = {"driver": slot["type"], "id": "vcpu%d" % i}
        args.update(slot["props"])
        qmp.cmd("device_add", args)
    cpus = qmp.cmd("query-cpus-fast")
    t1 = time.monotonic_ns()
    qmp.close()
    if len(cpus) != n:
        raise QMPError("%d vCPUs plugged after the hot add, %d asked for" % (len(cpus), n))
    print(ms(t0, t1))


# --- attach-memory ---------------------------------------------------------

def do_attach_memory(sock, mib, node):
    size = int(mib) * 1024 * 1024
    node = int(node)
    qmp = QMP(sock)
    qmp.cmd("qmp_capabilities")
    dimms = [d["data"] for d in qmp.cmd("query-memory-devices") if d.get("type") == "dimm"]
    slot = 0
    while slot in {d["slot"] for d in dimms}:
        slot += 1
    t0 = time.monotonic_ns()
    qmp.cmd("object-add", {"qom-type": "memory-backend-ram",
                           "id": "memdimm%d" % slot, "size": size})
    qmp.cmd("device_add", {"driver": "pc-dimm", "node": node,
                           "memdev": "memdimm%d" % slot, "id": "dimm%d" % slot,
                           "slot": slot})
    after = qmp.cmd("query-memory-devices")
    t1 = time.monotonic_ns()
    qmp.close()
    new = [d["data"] for d in after if d.get("data", {}).get("id") == "dimm%d" % slot]
    if not new or new[0]["node"] != node or new[0]["size"] != size:
        raise QMPError("dimm%d not reported as %d bytes in node %d: %r" % (slot, size, node, new))
    print(ms(t0, t1))


# --- boot ------------------------------------------------------------------

def do_boot(sock, args_file, log_file):
    with open(args_file, "rb") as f:
        argv = [a.decode() for a in f.read().split(b"\0") if a]
    if not argv:
        raise QMPError("%s: no command line" % args_file)
    log = open(log_file, "ab")
    try:
        os.unlink(sock)
    except FileNotFoundError:
        pass
    t0 = time.monotonic_ns()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    try:
        qmp = QMP(sock, proc)
        qmp.cmd("qmp_capabilities")
        qmp.cmd("cont")
        qmp.cmd("quit")
        status = proc.wait(REPLY_TIMEOUT)
        t1 = time.monotonic_ns()
        qmp.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if status != 0:
        raise QMPError("QEMU exited with status %d" % status)
    print(ms(t0, t1))


# --- migrate ---------------------------------------------------------------

# The migration capabilities libvirt 9.0 sets on both sides of a live
# migration with neither NBD, postcopy, auto-converge nor TLS: on the source
# QEMU stops at pre-switchover and waits for migrate-continue, the
# destination activates its block devices late; return-path on both.
MIGRATION_CAPS = ("xbzrle", "auto-converge", "rdma-pin-all", "postcopy-ram",
                  "compress", "pause-before-switchover", "late-block-activate",
                  "multifd", "dirty-bitmaps", "return-path", "zero-copy-send")
# libvirt's "unlimited" bandwidth (QEMU's default is 32 MiB/s).
BANDWIDTH_UNLIMITED = 9223372036853727232
# How often the destination is asked whether its side has completed.
POLL_INTERVAL = 0.01


def migration_caps(source, method):
    on = {"compress": method == "mt", "multifd": method != "mt",
          "return-path": True}
    if source:
        on["pause-before-switchover"] = True
    else:
        on["late-block-activate"] = True
    return {"capabilities": [{"capability": c, "state": on.get(c, False)}
                             for c in MIGRATION_CAPS]}


def migration_params(source, method, channels):
    params = {"tls-creds": "", "tls-hostname": ""}
    if source:
        params["max-bandwidth"] = BANDWIDTH_UNLIMITED
    if method != "mt":
        params["multifd-channels"] = channels
        if method != "none":
            params["multifd-compression"] = method
    return params


# What libvirt puts back, from its query-migrate-parameters before the
# migration, on a QEMU that stays after it: the destination once it runs,
# the source when the migration did not complete.
RESTORED_PARAMS = ("compress-level", "compress-threads", "decompress-threads",
                   "cpu-throttle-initial", "cpu-throttle-increment", "tls-creds",
                   "tls-hostname", "max-bandwidth", "downtime-limit",
                   "block-incremental", "xbzrle-cache-size", "max-postcopy-bandwidth",
                   "multifd-channels", "multifd-compression", "multifd-zlib-level",
                   "multifd-zstd-level")


def migration_reset(qmp, saved):
    qmp.cmd("migrate-set-capabilities",
            {"capabilities": [{"capability": c, "state": False} for c in MIGRATION_CAPS]})
    qmp.cmd("migrate-set-parameters", {k: saved[k] for k in RESTORED_PARAMS if k in saved})


def do_migrate(src_sock, dst_sock, host, port, method, channels, cap):
    if method not in ("none", "zlib", "zstd", "mt"):
        raise QMPError("unknown method %s" % method)
    channels = 0 if method == "mt" else int(channels)
    cap = float(cap)
    src = QMP(src_sock)
    dst = QMP(dst_sock)
    for q in (src, dst):
        q.cmd("qmp_capabilities")
        q.cmd("migrate-set-capabilities",
              {"capabilities": [{"capability": "events", "state": True}]})
    dst_saved = dst.cmd("query-migrate-parameters")
    dst.cmd("migrate-set-capabilities", migration_caps(False, method))
    dst.cmd("migrate-set-parameters", migration_params(False, method, channels))
    dst.cmd("migrate-incoming", {"uri": "tcp:[::]:%s" % port})
    src_saved = src.cmd("query-migrate-parameters")
    src.cmd("migrate-set-capabilities", migration_caps(True, method))
    src.cmd("migrate-set-parameters", migration_params(True, method, channels))
    deadline = time.monotonic() + cap
    src.cmd("migrate", {"detach": True, "resume": False,
                        "uri": "tcp:%s:%s" % (host, port)})
    status = None
    # QEMU's timestamps (s) of its pre-switchover and device events
    stamps = {}
    while status != "completed":
        ev = src.event(max(0, deadline - time.monotonic()))
        if ev is None:
            src.cmd("migrate_cancel")
            while status not in ("cancelled", "failed", "completed"):
                ev = src.event(REPLY_TIMEOUT)
                if ev is None:
                    raise QMPError("migrate_cancel: no end of the migration")
                if ev["event"] == "MIGRATION":
                    status = ev["data"]["status"]
            if status != "completed":
                migration_reset(src, src_saved)
                print("cancelled - - -")
                return
            break
        if ev["event"] != "MIGRATION":
            continue
        status = ev["data"]["status"]
        if status in ("pre-switchover", "device") and "timestamp" in ev:
            stamps[status] = ev["timestamp"]["seconds"] + ev["timestamp"]["microseconds"] / 1e6
        if status == "pre-switchover":
            src.cmd("query-migrate")
            src.cmd("migrate-continue", {"state": "pre-switchover"})
        elif status in ("failed", "cancelled"):
            raise QMPError("the migration %s: %s" % (status, src.cmd("query-migrate")))
    # QEMU 7.2 announces "completed" before it sets total-time and downtime.
    end = time.monotonic() + REPLY_TIMEOUT
    while True:
        info = src.cmd("query-migrate")
        if info.get("status") != "completed":
            raise QMPError("completed, but query-migrate says %r" % info)
        if info.get("total-time") or time.monotonic() > end:
            break
        time.sleep(POLL_INTERVAL)
    # The destination, as libvirt's Finish: its incoming side done, then cont.
    end = time.monotonic() + REPLY_TIMEOUT
    while dst.cmd("query-migrate").get("status") != "completed":
        if time.monotonic() > end:
            raise QMPError("the destination did not complete its side")
        time.sleep(POLL_INTERVAL)
    dst.cmd("cont")
    migration_reset(dst, dst_saved)
    src.close()
    dst.close()
    switchover = "-"
    if "pre-switchover" in stamps and "device" in stamps:
        switchover = "%.1f" % ((stamps["device"] - stamps["pre-switchover"]) * 1000)
    print("completed %d %d %s" % (info["total-time"], info["downtime"], switchover))


def do_stop(sock):
    qmp = QMP(sock)
    qmp.cmd("qmp_capabilities")
    qmp.cmd("stop")
    qmp.close()


def do_cont(sock):
    qmp = QMP(sock)
    qmp.cmd("qmp_capabilities")
    qmp.cmd("cont")
    qmp.close()


OPS = {
    "cmdline": (do_cmdline, 3),
    "setvcpus": (do_setvcpus, 2),
    "attach-memory": (do_attach_memory, 3),
    "boot": (do_boot, 3),
    "cont": (do_cont, 1),
    "stop": (do_stop, 1),
    "migrate": (do_migrate, 7),
}


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in OPS or len(sys.argv) - 2 != OPS[sys.argv[1]][1]:
        sys.stderr.write("usage: qmp-raw.py cmdline LOG CONSOLE SOCKET | setvcpus SOCKET N |\n"
                         "       attach-memory SOCKET MIB NODE | boot SOCKET ARGS LOG |\n"
                         "       cont SOCKET | stop SOCKET |\n"
                         "       migrate SOCKET DST_SOCKET HOST PORT METHOD CHANNELS CAP\n")
        return 2
    fn = OPS[sys.argv[1]][0]
    try:
        fn(*sys.argv[2:])
    except (QMPError, OSError, ValueError, KeyError, subprocess.TimeoutExpired) as e:
        sys.stderr.write("qmp-raw.py %s: %s\n" % (sys.argv[1], e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
