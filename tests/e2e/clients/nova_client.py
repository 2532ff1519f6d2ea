# What OpenStack Nova and oVirt VDSM do through the Python binding, against
# libvirt-kunpeng, with Debian's python3-libvirt and Nova's own code
# (python3-nova, Nova 26): Nova's Host opens the private daemon and the
# embedded driver with its event loop, reads the host and domain
# capabilities and the guests' XML with its own parsers; the live vCPU and
# memory changes are the calls VDSM makes (setVcpusFlags, attachDeviceFlags
# of a dimm). Every step is checked against what the guest itself reports
# on its console (tests/e2e/lib/guest.sh has the protocol).
#
# Run by 10-nova-python.t, which makes the guests' XML and starts the
# daemon; it prints TAP test lines (PLAN of them, unnumbered). Input, from the environment:
#   KP_DAEMON_URI, KP_EMBED_URI     the private virtqemud, qemu:///embed
#   KP_X86_XML, KP_X86_LOG          x86_64 guest for QEMU 10.0: 2 of 8 vCPUs,
#                                   <cacheinfo>, cell 1 with memory='0'
#   KP_ARM_XML, KP_ARM_LOG          aarch64 guest for QEMU 7.2: clusters='2'
#   KP_PINNED_XML, KP_PINNED_LOG    x86_64 guest as Nova writes a dedicated-CPU
#                                   flavor: vCPUs pinned 1:1 to the host CPUs
#                                   KP_PINNED_CPUS (two), Nova's own topology
#                                   sockets='2' (the daemon runs with
#                                   auto_topology = 1)
#   KP_QEMU10                       QEMU 10.0's x86_64 binary
#   KP_KUNPENG_CAPS                 host capabilities of a Kunpeng host
#                                   (vircaps2xmltest's output for its fake
#                                   sysfs: cluster_id on every <cpu>)

import os
import re
import sys
import time
import warnings

# nova-compute patches eventlet before anything else; Nova's Host needs it
# (its event thread and its green dispatch loop).
warnings.filterwarnings("ignore")
import nova.monkey_patch  # noqa: E402,F401
import libvirt  # noqa: E402
import nova.conf  # noqa: E402
from nova.virt import event as virtevent  # noqa: E402
from nova.virt.libvirt import config as vconfig  # noqa: E402
from nova.virt.libvirt import host as nova_host  # noqa: E402

from kp_tap import bail_out, done, is_, ok  # noqa: E402

PLAN = 29
# Debian's binding does not name the project's flag; a binding made from
# this build's API description does (scripts/build-python-binding.sh).
UNALIGNED = getattr(libvirt, "VIR_DOMAIN_VCPU_HOTPLUG_UNALIGNED", 1 << 5)
UNALIGNED_HOW = ("by name" if hasattr(libvirt, "VIR_DOMAIN_VCPU_HOTPLUG_UNALIGNED")
                 else "by value, 1 << 5")

def read_file(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "replace")


class Console:
    """The guest's serial console log, read from a mark on."""

    def __init__(self, path):
        self.path = path
        self.mark_at = 0

    def mark(self):
        try:
            self.mark_at = os.path.getsize(self.path)
        except OSError:
            self.mark_at = 0

    def wait(self, pattern, timeout=60):
        """The first complete line after the mark matching PATTERN."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            try:
                with open(self.path, "rb") as f:
                    f.seek(self.mark_at)
                    text = f.read().decode("utf-8", "replace")
            except OSError:
                text = ""
            for line in text.split("\n")[:-1]:
                line = line.rstrip("\r")
                if regex.search(line):
                    return line
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.2)

    def last_lines(self, n=5):
        try:
            return "\n".join(read_file(self.path).splitlines()[-n:])
        except OSError:
            return "(no console log)"


def field(line, key):
    m = re.search(r"(?:^| )%s=(\S*)" % re.escape(key), line or "")
    return m.group(1) if m else None


class Events:
    """Lifecycle events as Nova's Host hands them to nova-compute."""

    def __init__(self):
        self.seen = []

    def handler(self, event):
        if isinstance(event, virtevent.LifecycleEvent):
            self.seen.append((event.uuid, event.transition))

    def wait(self, uuid, transition, timeout=20):
        deadline = time.monotonic() + timeout
        while (uuid, transition) not in self.seen:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)
        return True


def nova_host_for(uri, events):
    host = nova_host.Host(uri, lifecycle_event_handler=events.handler)
    # Nova holds back STOPPED events for 15 s in case a STARTED follows (a
    # reboot); nothing here reboots.
    host._lifecycle_delay = 0
    host.initialize()
    return host


def nova_launch(host, xml_path):
    """Nova's spawn: define the guest, then start it. (Guest, error or None)"""
    try:
        guest = host.write_instance_config(read_file(xml_path))
        guest.launch()
        return guest, None
    except libvirt.libvirtError as e:
        return None, e.get_error_message()


def sysfs_cpus():
    """(id, socket, core, siblings) of every online host CPU, from sysfs."""
    base = "/sys/devices/system/cpu"
    cpus = []
    for cpu in parse_cpulist(read_file(base + "/online").strip()):
        topo = "%s/cpu%d/topology/" % (base, cpu)
        cpus.append((cpu,
                     int(read_file(topo + "physical_package_id")),
                     int(read_file(topo + "core_id")),
                     parse_cpulist(read_file(topo + "thread_siblings_list").strip())))
    return cpus


def parse_cpulist(text):
    cpus = set()
    for part in text.split(","):
        if "-" in part:
            lo, hi = part.split("-")
            cpus.update(range(int(lo), int(hi) + 1))
        elif part:
            cpus.add(int(part))
    return cpus


def host_layout(cpus, ids):
    """(sockets, cores per socket, threads per core) of host CPUs IDS."""
    picked = [c for c in cpus if c[0] in ids]
    sockets = {c[1] for c in picked}
    cores = {(c[1], c[2]) for c in picked}
    return (len(sockets), len(cores) // len(sockets), len(picked) // len(cores))


def nova_caps_cpus(caps):
    return sorted((cpu.id, cpu.socket_id, cpu.core_id, cpu.siblings)
                  for cell in caps.host.topology.cells for cpu in cell.cpus)


def nova_guest_cells(conf):
    return [(c.id, c.cpus, c.memory) for c in conf.cpu.numa.cells]


def live_vcpus(guest):
    return len(list(guest.get_vcpus_info()))


def set_vcpus(guest, console, count, flags, online):
    """VDSM's setNumberOfCpus: one setVcpusFlags; then the guest must report
    ONLINE as its online CPUs and libvirt COUNT running vCPUs."""
    console.mark()
    try:
        guest._domain.setVcpusFlags(count, flags)
        err = None
    except libvirt.libvirtError as e:
        err = e.get_error_message()
    line = console.wait(r"^KP-REPORT .* cpus_online=%s " % re.escape(online), 60)
    return err, line


def main():
    env = os.environ
    nova.conf.CONF([], project="nova")
    # TCG guests: Nova then asks for the domain capabilities of every
    # architecture the host's QEMUs emulate, not only those KVM runs.
    nova.conf.CONF.set_override("virt_type", "qemu", group="libvirt")
    libvirt.registerErrorHandler(lambda ctx, err: None, None)

    events = Events()
    host = nova_host_for(env["KP_DAEMON_URI"], events)
    conn = host.get_connection()
    is_(conn.getLibVersion(), 9000000,
        "Nova's Host connects to the private daemon (libvirt 9.0.0) with its event loop")

    # -- capabilities, as Nova's resource tracker reads them
    caps = host.get_capabilities()
    is_(nova_caps_cpus(caps), sorted(sysfs_cpus()),
        "Nova's LibvirtConfigCaps sees every host CPU with its socket, core and siblings as sysfs has them")
    kunpeng = vconfig.LibvirtConfigCaps()
    kunpeng.parse_str(read_file(env["KP_KUNPENG_CAPS"]))
    is_(nova_caps_cpus(kunpeng), [(i, 0, i, {i}) for i in range(8)],
        "Nova reads a Kunpeng host's capabilities (cluster_id on every CPU, cache geometry)")

    domcaps = host.get_domain_capabilities()
    arm = domcaps.get("aarch64", {}).get("virt")
    ok(arm is not None and arm.machine_type.startswith("virt-"),
       "Nova's get_domain_capabilities covers aarch64 'virt' (%s)" % (arm and arm.machine_type),
       "architectures: %s" % sorted(domcaps))
    dc = vconfig.LibvirtConfigDomainCaps()
    dc.parse_str(conn.getDomainCapabilities(env["KP_QEMU10"], "x86_64", "q35", "qemu"))
    ok(dc.machine_type.startswith("pc-q35-10.0") and "virtio" in dc.devices.disk.buses,
       "Nova's LibvirtConfigDomainCaps reads QEMU 10.0's domain capabilities (%s)" % dc.machine_type,
       "machine %r, disk buses %r" % (dc.machine_type, dc.devices.disk.buses))

    # -- the x86_64 guest on QEMU 10.0: <cacheinfo>, a memory-less node
    x86 = Console(env["KP_X86_LOG"])
    guest, started = nova_launch(host, env["KP_X86_XML"])
    if not ok(started is None,
              "Nova's write_instance_config + launch (defineXML, createWithFlags): "
              "<cacheinfo> and a cell with memory='0'", started):
        bail_out("the x86_64 guest did not start")
    uuid = guest.uuid
    ok(events.wait(uuid, virtevent.EVENT_LIFECYCLE_STARTED),
       "Nova's lifecycle handler gets STARTED", "events: %r" % events.seen)
    line = x86.wait(r"^KP-REPORT ", 90)
    is_(field(line, "cpus_online"), "0-1", "the guest boots with 2 CPUs")

    conf = guest.get_config()
    is_((conf.vcpus, conf.cpu.sockets, conf.cpu.cores, conf.cpu.threads), (8, 2, 4, 1),
        "Nova's LibvirtConfigGuest reads 8 vCPUs as 2 sockets x 4 cores x 1 thread")
    is_(nova_guest_cells(conf), [(0, {0, 1, 2, 3}, 262144), (1, {4, 5, 6, 7}, 0)],
        "Nova reads both guest NUMA cells, cell 1 with memory 0")
    is_(live_vcpus(guest), 2, "Nova's get_vcpus_info counts 2 running vCPUs")

    # -- live vCPU changes, as VDSM's setNumberOfCpus makes them
    err, line = set_vcpus(guest, x86, 8, libvirt.VIR_DOMAIN_AFFECT_LIVE, "0-7")
    ok(err is None and line is not None,
       "setVcpusFlags(8, LIVE): the guest sees 8 CPUs", err or x86.last_lines())
    node1 = x86.wait(r"^KP-NODE seq=%s node=1 " % field(line, "seq"), 10)
    is_(field(node1, "cpus"), "4-7", "the guest's node 1 has CPUs 4-7 and no memory (%s kB)" %
        field(node1, "mem_kb"))
    is_(live_vcpus(guest), 8, "Nova's get_vcpus_info counts 8")

    err, line = set_vcpus(guest, x86, 6, libvirt.VIR_DOMAIN_AFFECT_LIVE | UNALIGNED, "0-5")
    ok(err is None and line is not None,
       "setVcpusFlags(6, LIVE | VIR_DOMAIN_VCPU_HOTPLUG_UNALIGNED %s): the guest sees 6" % UNALIGNED_HOW,
       err or x86.last_lines())
    try:
        guest._domain.setVcpusFlags(4, libvirt.VIR_DOMAIN_VCPU_GUEST | UNALIGNED)
        err = "accepted"
    except libvirt.libvirtError as e:
        err = e.get_error_message()
    is_(err, "Flags 'VIR_DOMAIN_VCPU_HOTPLUG_UNALIGNED' and 'VIR_DOMAIN_VCPU_GUEST' are mutually exclusive",
        "the unaligned flag with VIR_DOMAIN_VCPU_GUEST is refused, naming both")

    err, line = set_vcpus(guest, x86, 2, libvirt.VIR_DOMAIN_AFFECT_LIVE, "0-1")
    ok(err is None and line is not None,
       "setVcpusFlags(2, LIVE): the guest is back to 2 CPUs", err or x86.last_lines())
    is_(live_vcpus(guest), 2, "Nova's get_vcpus_info counts 2")

    # -- memory hot add into the memory-less node, as VDSM's hotplugMemory
    x86.mark()
    dimm = ("<memory model='dimm'><target><size unit='MiB'>256</size>"
            "<node>1</node></target></memory>")
    try:
        guest._domain.attachDeviceFlags(dimm, libvirt.VIR_DOMAIN_AFFECT_LIVE)
        err = None
    except libvirt.libvirtError as e:
        err = e.get_error_message()
    line = x86.wait(r"^KP-NODE seq=[0-9]+ node=1 mem_kb=2[0-9]{5} ", 60)
    ok(err is None and line is not None,
       "attachDeviceFlags of a 256 MiB dimm into node 1: the guest's node 1 gets %s kB" %
       field(line, "mem_kb"), err or x86.last_lines())
    conf = guest.get_config()
    is_((conf.memory, nova_guest_cells(conf)[1]), (524288, (1, {4, 5, 6, 7}, 0)),
        "Nova reads the guest's memory as 512 MiB and cell 1 still with memory 0")

    guest.poweroff()
    guest.delete_configuration()
    ok(events.wait(uuid, virtevent.EVENT_LIFECYCLE_STOPPED),
       "Nova's lifecycle handler gets STOPPED", "events: %r" % events.seen)

    # -- a dedicated-CPU guest: the host default auto_topology = 1 gives it
    # the host's layout (this machine: 1 socket of 2 cores) in place of the
    # topology Nova wrote
    pinned_console = Console(env["KP_PINNED_LOG"])
    pinned, err = nova_launch(host, env["KP_PINNED_XML"])
    conf = pinned.get_config() if err is None else None
    got = conf and (conf.cpu.sockets, conf.cpu.cores, conf.cpu.threads)
    pins = [int(c) for c in env["KP_PINNED_CPUS"].split()]
    is_(got, host_layout(sysfs_cpus(), pins),
        "a guest pinned 1:1 as for hw:cpu_policy=dedicated, with Nova's sockets=2: "
        "Nova reads the layout of host CPUs %d and %d (sockets, cores, threads)" % tuple(pins),
        err or "")
    line = pinned_console.wait(r"^KP-REPORT ", 90)
    packages = {e.split(":")[1].split("/")[0] for e in (field(line, "topo") or "").split(",") if e}
    is_((field(line, "cpus_online"), len(packages)), ("0-1", got and got[0]),
        "the pinned guest sees its 2 CPUs in as many sockets as Nova reads")
    persistent = vconfig.LibvirtConfigGuest()
    if err is None:
        persistent.parse_str(pinned._domain.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
        pinned.poweroff()
        pinned.delete_configuration()
    is_(persistent.cpu and persistent.cpu.sockets, 2,
        "the persistent definition keeps the topology Nova wrote")

    # -- the aarch64 guest with clusters, in the embedded driver
    arm_events = Events()
    embed = nova_host_for(env["KP_EMBED_URI"], arm_events)
    arm_console = Console(env["KP_ARM_LOG"])
    try:
        dom = embed.get_connection().createXML(read_file(env["KP_ARM_XML"]), 0)
        err = None
    except libvirt.libvirtError as e:
        err = e.get_error_message()
    if not ok(err is None, "Nova's Host on qemu:///embed: createXML of an aarch64 guest with clusters='2'",
              err):
        bail_out("the aarch64 guest did not start")
    ok(arm_events.wait(dom.UUIDString(), virtevent.EVENT_LIFECYCLE_STARTED),
       "the embedded driver's lifecycle events reach Nova's handler", "events: %r" % arm_events.seen)
    line = arm_console.wait(r"^KP-REPORT ", 120)
    clusters = sorted({tuple(e.split(":")[1].split("/")[:3])
                       for e in (field(line, "topo") or "").split(",") if e})
    is_(clusters, [("0", "-", "0"), ("0", "-", "1")],
        "the aarch64 guest sees 2 clusters in its socket")
    conf = vconfig.LibvirtConfigGuest()
    conf.parse_str(dom.XMLDesc(0))
    # Nova's CPU model has sockets, cores and threads only: for it the
    # clusters level does not exist, so its product is a cluster's share.
    is_((conf.vcpus, conf.cpu.sockets, conf.cpu.cores, conf.cpu.threads), (4, 1, 2, 1),
        "Nova's LibvirtConfigGuest parses the clusters guest: 4 vCPUs, sockets=1 cores=2 threads=1 (no clusters in its model)")
    dom.destroy()
    ok(arm_events.wait(dom.UUIDString(), virtevent.EVENT_LIFECYCLE_STOPPED) and
       not embed.get_connection().listAllDomains(),
       "destroy: STOPPED reaches Nova's handler and the embedded driver has no domain left",
       "events: %r" % arm_events.seen)

    return done(PLAN)


if __name__ == "__main__":
    sys.exit(main())
