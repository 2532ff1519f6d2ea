/*
 * qemu_cpu_arm.c: aarch64 guest CPUs under KVM
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

#include "qemu_cpu_arm.h"
#include "cpu/cpu.h"
#include "cpu/cpu_arm.h"
#include "virerror.h"

#define VIR_FROM_THIS VIR_FROM_QEMU

/*
 * KVM has no CPU models on aarch64: a guest gets the host CPU. QEMU's host
 * CPU model has a property SYSREG_<register>_<field> per ID register field
 * (the Kunpeng QEMU, and the writable ID register series upstream), and the
 * full expansion of the host model reports each with the host's value.
 * Lowering a field turns the features it carries off for the guest, which
 * is how a guest of an older model runs on a newer host.
 */

/**
 * qemuCPUSysregsNeeded:
 * @def: domain definition
 *
 * Returns whether @def's CPU is a model QEMU runs as the host CPU with ID
 * register fields lowered: a custom aarch64 KVM CPU of a model the CPU map
 * lists the features of.
 */
bool
qemuCPUSysregsNeeded(const virDomainDef *def)
{
    return def->os.arch == VIR_ARCH_AARCH64 &&
        def->virtType == VIR_DOMAIN_VIRT_KVM &&
        def->cpu &&
        def->cpu->mode == VIR_CPU_MODE_CUSTOM &&
        virCPUarmModelHasFeatures(def->cpu->model);
}


static char *
qemuCPUSysregPropName(const char *reg,
                      const char *field)
{
    return g_strdup_printf("SYSREG_%s_%s", reg, field);
}


/**
 * qemuCPUSysregFieldValue:
 * @reg: an ID register
 * @field: a field of it
 * @value: filled with the field's value
 * @opaque: the virQEMUCaps of the QEMU binary
 *
 * A virCPUarmIDFieldValueFunc: the value QEMU's KVM host CPU model reports
 * for the field.
 *
 * Returns whether QEMU reports the field.
 */
bool
qemuCPUSysregFieldValue(const char *reg,
                        const char *field,
                        unsigned int *value,
                        void *opaque)
{
    virQEMUCaps *qemuCaps = opaque;
    g_autofree char *prop = qemuCPUSysregPropName(reg, field);
    long long number;

    if (!virQEMUCapsGetHostCPUNumberProp(qemuCaps, VIR_DOMAIN_VIRT_KVM,
                                         prop, &number))
        return false;

    *value = number;
    return true;
}


/**
 * qemuCPUSysregsAvailable:
 * @qemuCaps: QEMU capabilities
 *
 * Returns whether QEMU's KVM host CPU model has the ID register properties
 * (it reports ID_AA64PFR0_EL1.FP, a field of every Armv8 CPU).
 */
bool
qemuCPUSysregsAvailable(virQEMUCaps *qemuCaps)
{
    unsigned int value;

    return qemuCPUSysregFieldValue("ID_AA64PFR0_EL1", "FP", &value, qemuCaps);
}


/* The features in @on whose fields all say the host lacks them; a feature
 * whose fields QEMU does not report is not judged */
static char *
qemuCPUSysregsHostMissing(virQEMUCaps *qemuCaps,
                          virCPUarmIDField *on,
                          size_t non)
{
    g_auto(virBuffer) buf = VIR_BUFFER_INITIALIZER;
    size_t i = 0;

    while (i < non) {
        const char *feature = on[i].feature;
        bool known = false;
        bool present = false;

        for (; i < non && STREQ(on[i].feature, feature); i++) {
            unsigned int value;

            if (!qemuCPUSysregFieldValue(on[i].reg, on[i].name, &value, qemuCaps))
                continue;

            known = true;
            if (virCPUarmIDFieldOrder(value, on[i].sign) >
                virCPUarmIDFieldOrder(on[i].absent, on[i].sign))
                present = true;
        }

        if (known && !present)
            virBufferAsprintf(&buf, "%s, ", feature);
    }
    virBufferTrim(&buf, ", ");

    return virBufferContentAndReset(&buf);
}


/**
 * qemuCPUSysregsGetProps:
 * @def: domain definition with qemuCPUSysregsNeeded() true
 * @qemuCaps: QEMU capabilities
 * @props: filled with the "SYSREG_<register>_<field>=<value>" properties
 *         the host CPU model needs for @def's CPU
 *
 * Checks that the host has the features of the guest CPU (unless its check
 * is 'none') and that QEMU has a property for every field that must be
 * lowered.
 *
 * Returns 0 on success, -1 with an error reported.
 */
int
qemuCPUSysregsGetProps(const virDomainDef *def,
                       virQEMUCaps *qemuCaps,
                       char ***props)
{
    virCPUarmIDField *off = NULL;
    size_t noff = 0;
    virCPUarmIDField *on = NULL;
    size_t non = 0;
    g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func(g_free);
    int ret = -1;
    size_t i;

    if (virCPUarmGetIDFields(def->cpu, &off, &noff, &on, &non) < 0)
        return -1;

    if (def->cpu->check != VIR_CPU_CHECK_NONE) {
        g_autofree char *missing = qemuCPUSysregsHostMissing(qemuCaps, on, non);

        if (missing) {
            virReportError(VIR_ERR_CPU_INCOMPATIBLE,
                           _("the host CPU lacks CPU features of %s: %s"),
                           def->cpu->model, missing);
            goto cleanup;
        }
    }

    for (i = 0; i < noff; i++) {
        g_autofree char *prop = qemuCPUSysregPropName(off[i].reg, off[i].name);
        unsigned int value;

        if (!qemuCPUSysregFieldValue(off[i].reg, off[i].name, &value, qemuCaps)) {
            virReportError(VIR_ERR_CONFIG_UNSUPPORTED,
                           _("QEMU cannot turn off CPU feature %s of a %s guest CPU: its host CPU model has no property %s"),
                           off[i].feature, def->cpu->model, prop);
            goto cleanup;
        }

        /* nothing to lower where the host is there already */
        if (virCPUarmIDFieldOrder(value, off[i].sign) <=
            virCPUarmIDFieldOrder(off[i].absent, off[i].sign))
            continue;

        g_ptr_array_add(list, g_strdup_printf("%s=0x%x", prop, off[i].absent));
    }

    g_ptr_array_add(list, NULL);
    *props = (char **) g_ptr_array_free(g_steal_pointer(&list), FALSE);
    ret = 0;

 cleanup:
    virCPUarmIDFieldListFree(off, noff);
    virCPUarmIDFieldListFree(on, non);
    return ret;
}


/**
 * qemuCPUSysregsValidate:
 * @def: domain definition with qemuCPUSysregsNeeded() true
 * @qemuCaps: QEMU capabilities
 *
 * Checks before start what qemuCPUSysregsGetProps() checks.
 *
 * Returns 0 if QEMU can run @def's CPU, -1 with an error otherwise.
 */
int
qemuCPUSysregsValidate(const virDomainDef *def,
                       virQEMUCaps *qemuCaps)
{
    g_auto(GStrv) props = NULL;

    return qemuCPUSysregsGetProps(def, qemuCaps, &props);
}


/**
 * qemuBuildCpuSysregsArgStr:
 * @def: domain definition with qemuCPUSysregsNeeded() true
 * @qemuCaps: QEMU capabilities
 * @buf: the -cpu argument
 *
 * Formats "host" and the ID register properties of @def's CPU.
 *
 * Returns 0 on success, -1 on error.
 */
int
qemuBuildCpuSysregsArgStr(const virDomainDef *def,
                          virQEMUCaps *qemuCaps,
                          virBuffer *buf)
{
    g_auto(GStrv) props = NULL;
    size_t i;

    if (qemuCPUSysregsGetProps(def, qemuCaps, &props) < 0)
        return -1;

    virBufferAddLit(buf, "host");
    for (i = 0; props[i]; i++)
        virBufferAsprintf(buf, ",%s", props[i]);

    return 0;
}



/* A guest of a CPU model with features in the CPU map: the destination
 * host must have the model's generation or a later one, and every feature */
static int
qemuCPUArmCheckMigrationModel(const virDomainDef *def,
                              virCPUDef *dstHost)
{
    if (!virCPUarmModelHasFeatures(def->cpu->model) || !dstHost)
        return 0;

    if (virCPUCompare(VIR_ARCH_AARCH64, dstHost, def->cpu, true) ==
        VIR_CPU_COMPARE_ERROR) {
        virReportError(VIR_ERR_OPERATION_FAILED,
                       _("cannot migrate domain '%s' to this host: %s; restart the guest with the minimum-feature CPU model of both hosts (virsh hypervisor-cpu-baseline) to migrate it"),
                       def->name, virGetLastErrorMessage());
        return -1;
    }

    return 0;
}


/* A guest with the host's CPU sees the source host's model: it can move
 * only to a host of the same model with every feature the source has */
static int
qemuCPUArmCheckMigrationHost(const virDomainDef *def,
                             virCPUDef *dstHost,
                             virCPUDef *srcHost)
{
    if (!dstHost || !srcHost ||
        (!virCPUarmModelHasFeatures(srcHost->model) &&
         !virCPUarmModelHasFeatures(dstHost->model)))
        return 0;

    if (STRNEQ_NULLABLE(srcHost->vendor, dstHost->vendor) ||
        STRNEQ_NULLABLE(srcHost->model, dstHost->model)) {
        virReportError(VIR_ERR_OPERATION_FAILED,
                       _("cannot migrate domain '%s' with CPU mode '%s' from a %s host to a %s host: restart the guest with the minimum-feature CPU model of both hosts (virsh hypervisor-cpu-baseline) to migrate it"),
                       def->name, virCPUModeTypeToString(def->cpu->mode),
                       NULLSTR(srcHost->model), NULLSTR(dstHost->model));
        return -1;
    }

    if (virCPUCompare(VIR_ARCH_AARCH64, dstHost, srcHost, true) ==
        VIR_CPU_COMPARE_ERROR) {
        virReportError(VIR_ERR_OPERATION_FAILED,
                       _("cannot migrate domain '%s' with CPU mode '%s' to this host: %s; restart the guest with the minimum-feature CPU model of both hosts (virsh hypervisor-cpu-baseline) to migrate it"),
                       def->name, virCPUModeTypeToString(def->cpu->mode),
                       virGetLastErrorMessage());
        return -1;
    }

    return 0;
}


/**
 * qemuCPUArmCheckMigration:
 * @def: definition of an incoming aarch64 domain
 * @dstHost: this host's CPU, or NULL if it is not known
 * @srcHost: the source's host CPU (from the migration cookie), or NULL
 *
 * Checks, before anything is started, that the guest CPU of @def can run
 * here: its model against this host (old to new works, new to old does not
 * when the guest uses what only the newer model has), or for the host's
 * CPU, that both hosts are the same model. Hosts and models without
 * features in the CPU map are left to QEMU, as before.
 *
 * Returns 0 if the guest may come, -1 with an error otherwise.
 */
int
qemuCPUArmCheckMigration(const virDomainDef *def,
                         virCPUDef *dstHost,
                         virCPUDef *srcHost)
{
    if (def->os.arch != VIR_ARCH_AARCH64 || !def->cpu)
        return 0;

    switch ((virCPUMode) def->cpu->mode) {
    case VIR_CPU_MODE_CUSTOM:
        return qemuCPUArmCheckMigrationModel(def, dstHost);

    case VIR_CPU_MODE_HOST_PASSTHROUGH:
    case VIR_CPU_MODE_MAXIMUM:
        return qemuCPUArmCheckMigrationHost(def, dstHost, srcHost);

    case VIR_CPU_MODE_HOST_MODEL:
    case VIR_CPU_MODE_LAST:
        break;
    }

    return 0;
}
