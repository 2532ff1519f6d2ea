# F3's MPAM partitions as OpenStack Nova and oVirt VDSM reach them: through
# Debian's python3-libvirt, with Nova 26's own parsers (python3-nova) for
# the host and domain capabilities and the guest XML. Against a private
# virtqemud on the resctrl emulator (an openEuler Kunpeng host shape,
# tests/e2e/resctrlfs/hosts/openeuler-kunpeng); run by 30-mpam-python.t,
# which mounts the emulator and starts the daemon. It prints TAP test
# lines (PLAN of them, unnumbered). Input, from the environment:
#   KP_DAEMON_URI   the private virtqemud
#   KP_RESCTRL      where the emulator is mounted (/sys/fs/resctrl)
#   KP_L3_SIZE      one granule of the host's L3 allocation, in bytes

import os
import sys
import time
import warnings
import xml.etree.ElementTree as ET

warnings.filterwarnings("ignore")
import libvirt  # noqa: E402
from nova.virt.libvirt import config as vconfig  # noqa: E402

from kp_tap import done, is_, ok  # noqa: E402

PLAN = 13
def groups(root):
    return sorted(os.path.join(root, d) for d in os.listdir(root)
                  if d.startswith("qemu-"))


def schemata_value(group, line, dom_id):
    with open(os.path.join(group, "schemata")) as f:
        for text in f:
            name, _, values = text.strip().partition(":")
            if name.strip() != line:
                continue
            for entry in values.split(";"):
                k, _, v = entry.partition("=")
                if k == str(dom_id):
                    return int(v, 10)
    return None


DOMAIN = """<domain type='kvm'>
  <name>kp-mpam-client</name>
  <memory unit='MiB'>32</memory>
  <vcpu placement='static'>2</vcpu>
  <cputune>
    <cachetune vcpus='0-1'>
      <cache id='1' level='3' type='both' size='%(l3)s' unit='B'/>
      <cache id='1' level='3' type='priority' size='3'/>
      <cache id='1' level='3' type='max' size='50'/>
      <monitor level='3' vcpus='0-1'/>
    </cachetune>
    <memorytune vcpus='0-1'>
      <node id='0' bandwidth='80' min_bandwidth='20' hardlimit='1' priority='4'/>
      <monitor vcpus='0-1'/>
    </memorytune>
  </cputune>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices><controller type='usb' model='none'/><memballoon model='none'/></devices>
</domain>
"""


def main():
    resctrl = os.environ["KP_RESCTRL"]
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    conn = libvirt.open(os.environ["KP_DAEMON_URI"])

    # Host capabilities, as Nova's Host.get_capabilities() parses them
    caps_xml = conn.getCapabilities()
    try:
        caps = vconfig.LibvirtConfigCaps()
        caps.parse_str(caps_xml)
        parsed = caps.host is not None and caps.host.cpu is not None
        err = ""
    except Exception as e:  # noqa: BLE001 - any parse failure is the finding
        parsed, err = False, repr(e)
    ok(parsed, "Nova's LibvirtConfigCaps parses the host capabilities of an MPAM host", err)
    tree = ET.fromstring(caps_xml)
    prio = tree.find("./host/cache/bank/control/priority")
    is_(None if prio is None else (prio.get("min"), prio.get("max")), ("0", "3"),
        "the capabilities give the cache priority's range")
    nodes = [n.get("id") for n in tree.findall("./host/memory_bandwidth/node")]
    is_(nodes, ["0"], "the memory bandwidth domains are the host's NUMA nodes")

    # Domain capabilities, as Nova's Host.get_domain_capabilities() parses them
    dcaps_xml = conn.getDomainCapabilities(None, "x86_64", None, "kvm", 0)
    try:
        vconfig.LibvirtConfigDomainCaps().parse_str(dcaps_xml)
        err = ""
    except Exception as e:  # noqa: BLE001
        err = repr(e)
    ok(not err, "Nova's LibvirtConfigDomainCaps parses the domain capabilities", err)
    feature = ET.fromstring(dcaps_xml).find("./features/resctrl")
    is_(None if feature is None else feature.get("supported"), "yes",
        "the domain capabilities say KVM domains can have resctrl partitions")

    # Define and start, as VDSM does (defineXML, createWithFlags)
    dom = conn.defineXML(DOMAIN % {"l3": os.environ["KP_L3_SIZE"]})
    dom.createWithFlags(libvirt.VIR_DOMAIN_START_PAUSED)
    found = groups(resctrl)
    is_(len(found), 1, "the started guest has one resctrl group")
    group = found[0] if found else "/nonexistent"
    is_([schemata_value(group, n, 1) for n in ("L3PRI", "L3MAX")], [3, 50],
        "its schemata has the cache priority and maximum")
    is_([schemata_value(group, n, 0) for n in ("MB", "MBMIN", "MBHDL", "MBPRI")],
        [80, 20, 1, 4], "its schemata has the memory bandwidth controls")

    live = dom.XMLDesc(0)
    try:
        guest = vconfig.LibvirtConfigGuest()
        guest.parse_str(live)
        err = "" if guest.name == "kp-mpam-client" else "name %r" % guest.name
    except Exception as e:  # noqa: BLE001
        err = repr(e)
    ok(not err, "Nova's LibvirtConfigGuest parses the live XML", err)
    node = ET.fromstring(live).find("./cputune/memorytune/node")
    is_(None if node is None else dict(node.attrib),
        {"id": "0", "bandwidth": "80", "min_bandwidth": "20", "hardlimit": "1", "priority": "4"},
        "the live XML has the node's controls")

    # The monitoring values, as a telemetry agent reads them
    stats = dict(conn.domainListGetStats(
        [dom], libvirt.VIR_DOMAIN_STATS_CPU_TOTAL | libvirt.VIR_DOMAIN_STATS_MEMORY)[0][1])
    want = {}
    mon = os.path.join(group, "mon_data", "mon_L3_01")
    try:
        with open(os.path.join(mon, "llc_occupancy")) as f:
            want["cpu.cache.monitor.0.bank.0.bytes"] = int(f.read())
        with open(os.path.join(mon, "mbm_total_bytes")) as f:
            want["memory.bandwidth.monitor.0.node.0.bytes.total"] = int(f.read())
    except OSError as e:
        want["error"] = repr(e)
    got = {k: stats.get(k) for k in want}
    is_(got, want, "domainListGetStats reports the group's llc_occupancy and mbm_total_bytes "
        "of cache 1 as the group's mon_data has them")
    is_(stats.get("cpu.cache.monitor.0.bank.0.id"), 1,
        "the cache monitor's bank is cache 1 (resctrl's mon_L3_01)")

    dom.destroy()
    # The group goes with the domain
    deadline = time.monotonic() + 5
    while groups(resctrl) and time.monotonic() < deadline:
        time.sleep(0.1)
    is_(groups(resctrl), [], "destroy removes the group")
    dom.undefine()
    return done(PLAN)


if __name__ == "__main__":
    sys.exit(main())
