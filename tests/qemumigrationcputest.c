/*
 * qemumigrationcputest.c: the destination's check of an incoming aarch64
 *                         guest CPU (qemuCPUArmCheckMigration)
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

#include "testutils.h"
#include "conf/cpu_conf.h"
#include "conf/domain_conf.h"
#include "qemu/qemu_cpu_arm.h"

#define VIR_FROM_THIS VIR_FROM_NONE

/* The host CPUs and guest CPUs are cputest's aarch64 files */
typedef struct {
    const char *name;
    const char *guest; /* cputestdata/aarch64-guest-NAME.xml, or a mode */
    const char *src; /* cputestdata/aarch64-host-NAME.xml or NULL */
    const char *dst;
} testMigrationCPUData;


static virCPUDef *
testLoadCPU(const char *kind,
            const char *name,
            virCPUType type)
{
    g_autofree char *path = NULL;
    g_autoptr(xmlDoc) xml = NULL;
    g_autoptr(xmlXPathContext) ctxt = NULL;
    virCPUDef *cpu = NULL;

    path = g_strdup_printf("%s/cputestdata/aarch64-%s-%s.xml",
                           abs_srcdir, kind, name);

    if (!(xml = virXMLParseFileCtxt(path, &ctxt)) ||
        virCPUDefParseXML(ctxt, NULL, type, &cpu, false) < 0)
        return NULL;

    return cpu;
}


static int
testMigrationCPU(const void *opaque)
{
    const testMigrationCPUData *data = opaque;
    g_autoptr(virDomainDef) def = virDomainDefNew(NULL);
    g_autoptr(virCPUDef) src = NULL;
    g_autoptr(virCPUDef) dst = NULL;
    g_autofree char *errFile = NULL;
    const char *message = "";
    int rc;

    def->name = g_strdup("kunpeng");
    def->os.arch = VIR_ARCH_AARCH64;

    if (STREQ(data->guest, "host-passthrough")) {
        def->cpu = virCPUDefNew();
        def->cpu->type = VIR_CPU_TYPE_GUEST;
        def->cpu->mode = VIR_CPU_MODE_HOST_PASSTHROUGH;
    } else if (!(def->cpu = testLoadCPU("guest", data->guest,
                                        VIR_CPU_TYPE_GUEST))) {
        return -1;
    }

    if ((data->src && !(src = testLoadCPU("host", data->src, VIR_CPU_TYPE_HOST))) ||
        !(dst = testLoadCPU("host", data->dst, VIR_CPU_TYPE_HOST)))
        return -1;

    virResetLastError();
    rc = qemuCPUArmCheckMigration(def, dst, src);
    if (rc < 0)
        message = virGetLastErrorMessage();
    VIR_TEST_DEBUG("%s", message);

    /* what the check says, refusal or nothing; an empty file for success */
    errFile = g_strdup_printf("%s/qemumigrationcpudata/%s.err",
                              abs_srcdir, data->name);
    return virTestCompareToFile(rc < 0 ? message : "", errFile);
}


static int
mymain(void)
{
    int ret = 0;

#define DO_TEST(name, guest, src, dst) \
    do { \
        testMigrationCPUData data = { name, guest, src, dst }; \
        if (virTestRun("migration CPU check " name, testMigrationCPU, &data) < 0) \
            ret = -1; \
    } while (0)

    /* a guest of a CPU model: old to new, and new to old */
    DO_TEST("920-to-920-v2", "kunpeng-920", NULL, "kunpeng-920-v2");
    DO_TEST("920-v1-to-950-v1", "kunpeng-920-v1", NULL, "kunpeng-950-v1");
    DO_TEST("920-v1-to-920", "kunpeng-920-v1", NULL, "kunpeng-920");
    DO_TEST("950-v1-to-920-v2", "kunpeng-950-v1", NULL, "kunpeng-920-v2");
    /* the model of a host whose firmware turned SVE off */
    DO_TEST("920-v1-to-920-v1-nosve", "kunpeng-920-v1", NULL, "kunpeng-920-v1-nosve");
    DO_TEST("920-v1-nosve-to-920-v1-nosve", "kunpeng-920-v1-nosve", NULL, "kunpeng-920-v1-nosve");

    /* a guest with the host's CPU: the same model only */
    DO_TEST("passthrough-920-v2-to-920-v2", "host-passthrough", "kunpeng-920-v2", "kunpeng-920-v2");
    DO_TEST("passthrough-920-v1-to-920-v2", "host-passthrough", "kunpeng-920-v1", "kunpeng-920-v2");
    DO_TEST("passthrough-920-v2-to-920-v1", "host-passthrough", "kunpeng-920-v2", "kunpeng-920-v1");
    /* without the source's host CPU (an older source) QEMU decides */
    DO_TEST("passthrough-unknown-to-920-v1", "host-passthrough", NULL, "kunpeng-920-v1");

    return ret == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

VIR_TEST_MAIN(mymain)
