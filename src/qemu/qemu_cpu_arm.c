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
qemuCPUSysregPropName(const virCPUarmIDField *field)
{
    return g_strdup_printf("SYSREG_%s_%s", field->reg, field->name);
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
            g_autofree char *prop = qemuCPUSysregPropName(&on[i]);
            long long value;

            if (!virQEMUCapsGetHostCPUNumberProp(qemuCaps, VIR_DOMAIN_VIRT_KVM,
                                                 prop, &value))
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
        g_autofree char *prop = qemuCPUSysregPropName(&off[i]);
        long long value;

        if (!virQEMUCapsGetHostCPUNumberProp(qemuCaps, VIR_DOMAIN_VIRT_KVM,
                                             prop, &value)) {
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

