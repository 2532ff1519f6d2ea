/*
 * qemu_cpu_migration.c: the guest CPU's settings for migration between CPU
 *                       implementations (<cpu><migration>)
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Lesser General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * This library is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU
 * Lesser General Public License for more details.
 *
 * You should have received a copy of the GNU Lesser General Public
 * License along with this library.  If not, see
 * <http://www.gnu.org/licenses/>.
 */

#include <config.h>

#include "qemu_cpu_migration.h"
#include "qemu_domain.h"
#include "virerror.h"

#define VIR_FROM_THIS VIR_FROM_QEMU

/**
 * qemuValidateDomainCpuMigration:
 * @def: domain definition
 * @qemuCaps: QEMU capabilities
 *
 * The <cpu><migration> settings are properties of the Kunpeng QEMU's virt
 * machine type for KVM guests; each needs its property.
 *
 * Returns 0 if @def's settings can be given to QEMU, -1 with an error.
 */
int
qemuValidateDomainCpuMigration(const virDomainDef *def,
                               virQEMUCaps *qemuCaps)
{
    const virCPUMigrationDef *migration = def->cpu ? def->cpu->migration : NULL;

    if (!migration)
        return 0;

    if (!qemuDomainIsARMVirt(def)) {
        virReportError(VIR_ERR_CONFIG_UNSUPPORTED,
                       _("CPU <migration> needs an aarch64 'virt' machine type, not '%s' of %s"),
                       def->os.machine, virArchToString(def->os.arch));
        return -1;
    }

    if (def->virtType != VIR_DOMAIN_VIRT_KVM) {
        virReportError(VIR_ERR_CONFIG_UNSUPPORTED,
                       _("CPU <migration> is for KVM domains, not '%s'"),
                       virDomainVirtTypeToString(def->virtType));
        return -1;
    }

    if (migration->ntargets > 0 &&
        !virQEMUCapsGet(qemuCaps, QEMU_CAPS_MACHINE_VIRT_TARGET_IMPL_CPUS)) {
        virReportError(VIR_ERR_CONFIG_UNSUPPORTED, "%s",
                       _("CPU migration <target> needs the virt machine property 'x-target-impl-cpus', which this QEMU lacks"));
        return -1;
    }

    if (migration->havePmuCounters &&
        !virQEMUCapsGet(qemuCaps, QEMU_CAPS_MACHINE_VIRT_PMCR_N)) {
        virReportError(VIR_ERR_CONFIG_UNSUPPORTED, "%s",
                       _("CPU migration <pmu counters> needs the virt machine property 'pmcr-n', which this QEMU lacks"));
        return -1;
    }

    if (migration->ndeniedEvents > 0 &&
        !virQEMUCapsGet(qemuCaps, QEMU_CAPS_MACHINE_VIRT_DENIED_EVENTS)) {
        virReportError(VIR_ERR_CONFIG_UNSUPPORTED, "%s",
                       _("CPU migration <pmu><deny event> needs the virt machine property 'denied-events-type', which this QEMU lacks"));
        return -1;
    }

    return 0;
}


/**
 * qemuBuildMachineCpuMigration:
 * @buf: the -machine argument
 * @def: domain definition
 *
 * Appends the machine properties of @def's <cpu><migration>: the CPU
 * implementations (MIDR:REVIDR) the guest is told it may run on, the PMU
 * counters it sees and the PMU events it cannot count.
 */
void
qemuBuildMachineCpuMigration(virBuffer *buf,
                             const virDomainDef *def)
{
    const virCPUMigrationDef *migration = def->cpu ? def->cpu->migration : NULL;
    size_t i;

    if (!migration)
        return;

    for (i = 0; i < migration->ntargets; i++) {
        virBufferAsprintf(buf, "%s0x%08x:0x%llx",
                          i == 0 ? ",x-target-impl-cpus=" : "-",
                          migration->targets[i].midr,
                          migration->targets[i].revidr);
    }

    if (migration->havePmuCounters)
        virBufferAsprintf(buf, ",pmcr-n=%u", migration->pmuCounters);

    for (i = 0; i < migration->ndeniedEvents; i++) {
        virBufferAsprintf(buf, ",denied-events-type.%zu=0x%x",
                          i, migration->deniedEvents[i]);
    }
}
