# F7's baseline of the host CPUs of a Kunpeng fleet, as OpenStack Nova
# reaches it: through Debian's python3-libvirt (baselineCPU, and
# baselineHypervisorCPU as Nova 26's Host.get_hypervisor_cpu_baseline
# calls it, for an emulator, arch, machine and virt type), and the result
# read with Nova's own LibvirtConfigCPU. Against a private virtqemud; run
# by 40-cpu-baseline-python.t, which also runs virsh on the same inputs.
# It prints TAP test lines (PLAN of them, unnumbered). Input, from the
# environment:
#   KP_DAEMON_URI    the private virtqemud
#   KP_CPU_DIR       a directory with, per fleet F (KP_FLEETS): F.xml, the
#                    host CPUs one after the other, F.virsh and F.hvirsh,
#                    what virsh cpu-baseline and hypervisor-cpu-baseline
#                    printed for it
#   KP_FLEETS        the fleets, separated by spaces
#   KP_MIXED         host CPUs of two vendors (one after the other)
#   KP_NOVA_GUEST    qemuxml2argvtest's input for the <cpu> Nova writes for
#                    cpu_mode = custom, cpu_models = Kunpeng-920-V1,
#                    cpu_model_extra_flags = -sve

import os
import re
import sys
import warnings

warnings.filterwarnings("ignore")
import libvirt  # noqa: E402
from nova.virt.libvirt import config as vconfig  # noqa: E402
from nova.virt.libvirt import driver as nova_driver  # noqa: E402

from kp_tap import done, is_, ok  # noqa: E402

PLAN = 14
EMULATOR = "/usr/bin/qemu-system-aarch64"


def read_file(path):
    with open(path) as f:
        return f.read()


def host_cpus(path):
    """The <cpu> elements of a file, as Nova passes them (a list of XML)"""
    return re.findall(r"<cpu>.*?</cpu>", read_file(path), re.S)


def nova_cpu(xml):
    """(model, vendor, {feature: policy}) as Nova's LibvirtConfigCPU reads it"""
    cpu = vconfig.LibvirtConfigGuestCPU()
    cpu.parse_str(xml)
    return cpu.model, cpu.vendor, {f.name: f.policy for f in cpu.features}


def nova_custom_cpu(model, extra_flags):
    """The guest <cpu> of Nova 26's _get_guest_cpu_model_config on AArch64
    for cpu_mode = custom: the model as configured (Nova does not map model
    names on AArch64), each extra flag as _prepare_cpu_flag makes it"""
    cpu = vconfig.LibvirtConfigGuestCPU()
    cpu.mode = "custom"
    cpu.model = model
    for flag in extra_flags:
        # _prepare_cpu_flag does not use the driver's state
        cpu.add_feature(nova_driver.LibvirtDriver._prepare_cpu_flag(None, flag))
    return cpu.to_xml()


def squash(xml):
    return re.sub(r">\s+<", "><", xml.strip())


def main():
    env = os.environ
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    conn = libvirt.open(env["KP_DAEMON_URI"])
    cpu_dir = env["KP_CPU_DIR"]

    for fleet in env["KP_FLEETS"].split():
        cpus = host_cpus(os.path.join(cpu_dir, fleet + ".xml"))
        got = conn.baselineCPU(cpus, 0)
        is_(got.strip(), read_file(os.path.join(cpu_dir, fleet + ".virsh")).strip(),
            "baselineCPU of %s (%d host CPUs) is what virsh cpu-baseline prints" %
            (fleet, len(cpus)))
        hv = conn.baselineHypervisorCPU(EMULATOR, "aarch64", "virt", "qemu", cpus, 0)
        is_(hv.strip(), read_file(os.path.join(cpu_dir, fleet + ".hvirsh")).strip(),
            "baselineHypervisorCPU of %s for %s is what virsh hypervisor-cpu-baseline prints" %
            (fleet, EMULATOR))
        model, vendor, features = nova_cpu(hv)
        disabled = sorted(n for n, p in features.items() if p == "disable")
        required = sorted(n for n, p in features.items() if p == "require")
        ok(model and model.startswith("Kunpeng-") and vendor == "HiSilicon",
           "Nova's LibvirtConfigGuestCPU reads %s: model %s, %d features required, %d disabled" %
           (fleet, model, len(required), len(disabled)), hv)

    try:
        conn.baselineCPU(host_cpus(env["KP_MIXED"]), 0)
        err = "accepted"
    except libvirt.libvirtError as e:
        err = e.get_error_message()
    is_(err, "operation failed: CPU vendors differ: HiSilicon (CPU 0) and ARM (CPU 1); "
             "a baseline needs CPUs of one vendor",
        "host CPUs of two vendors are refused, naming both")

    nova_xml = nova_custom_cpu("Kunpeng-920-V1", ["-sve"])
    test_xml = re.search(r"<cpu .*?</cpu>", read_file(env["KP_NOVA_GUEST"]), re.S).group(0)
    is_(squash(test_xml), squash(nova_xml),
        "the <cpu> Nova writes for cpu_models = Kunpeng-920-V1, extra flag -sve is the one "
        "qemuxml2argvtest runs as -cpu host,SYSREG_...")

    return done(PLAN)


if __name__ == "__main__":
    sys.exit(main())
