/*
 * cpu_migration.c: machine settings for migration between CPU
 *                  implementations (<cpu><migration>)
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

#include "cpu_migration.h"
#include "viralloc.h"
#include "virerror.h"

#define VIR_FROM_THIS VIR_FROM_CPU

/* MIDR_EL1 bits 19-16, Architecture: 0xf on every Armv8 and later CPU */
#define VIR_CPU_MIDR_ARCHITECTURE(midr) (((midr) >> 16) & 0xf)
/* PMCR_EL0.N is 5 bits wide */
#define VIR_CPU_PMU_COUNTERS_MAX 31
/* a PMU event number (PMEVTYPER<n>_EL0.evtCount) is 16 bits wide */
#define VIR_CPU_PMU_EVENT_MAX 0xffff

void
virCPUMigrationDefFree(virCPUMigrationDef *def)
{
    if (!def)
        return;

    g_free(def->targets);
    g_free(def->deniedEvents);
    g_free(def);
}


static int
virCPUMigrationTargetParse(xmlNodePtr node,
                           virCPUMigrationDef *def)
{
    virCPUMigrationTarget target = { 0 };
    size_t i;

    if (virXMLPropUInt(node, "midr", 16, VIR_XML_PROP_REQUIRED,
                       &target.midr) < 0 ||
        virXMLPropULongLong(node, "revidr", 16, VIR_XML_PROP_NONE,
                            &target.revidr) < 0)
        return -1;

    if (VIR_CPU_MIDR_ARCHITECTURE(target.midr) != 0xf) {
        virReportError(VIR_ERR_XML_ERROR,
                       _("CPU migration target midr='0x%08x' is not a MIDR_EL1 value: its bits 19-16 (Architecture) must be 0xf"),
                       target.midr);
        return -1;
    }

    for (i = 0; i < def->ntargets; i++) {
        if (def->targets[i].midr == target.midr &&
            def->targets[i].revidr == target.revidr) {
            virReportError(VIR_ERR_XML_ERROR,
                           _("CPU migration target midr='0x%08x' revidr='0x%llx' is listed twice"),
                           target.midr, target.revidr);
            return -1;
        }
    }

    VIR_APPEND_ELEMENT(def->targets, def->ntargets, target);
    return 0;
}


static int
virCPUMigrationPmuParse(xmlXPathContextPtr ctxt,
                        xmlNodePtr node,
                        virCPUMigrationDef *def)
{
    VIR_XPATH_NODE_AUTORESTORE(ctxt)
    g_autofree xmlNodePtr *nodes = NULL;
    int rc;
    int n;
    size_t i;
    size_t j;

    ctxt->node = node;

    if ((rc = virXMLPropUInt(node, "counters", 10, VIR_XML_PROP_NONE,
                             &def->pmuCounters)) < 0)
        return -1;
    def->havePmuCounters = rc > 0;

    if (def->havePmuCounters && def->pmuCounters > VIR_CPU_PMU_COUNTERS_MAX) {
        virReportError(VIR_ERR_XML_ERROR,
                       _("CPU migration pmu counters='%u' is out of range: PMCR_EL0.N is 0 to %d"),
                       def->pmuCounters, VIR_CPU_PMU_COUNTERS_MAX);
        return -1;
    }

    if ((n = virXPathNodeSet("./deny", ctxt, &nodes)) < 0)
        return -1;

    if (!def->havePmuCounters && n == 0) {
        virReportError(VIR_ERR_XML_ERROR, "%s",
                       _("CPU migration <pmu> needs a 'counters' attribute or a <deny event=…/> element"));
        return -1;
    }

    def->deniedEvents = g_new0(unsigned int, n);
    for (i = 0; i < n; i++) {
        unsigned int event;

        if (virXMLPropUInt(nodes[i], "event", 16, VIR_XML_PROP_REQUIRED,
                           &event) < 0)
            return -1;

        if (event > VIR_CPU_PMU_EVENT_MAX) {
            virReportError(VIR_ERR_XML_ERROR,
                           _("CPU migration pmu deny event='0x%x' is out of range: PMU event numbers are 0x0 to 0x%x"),
                           event, VIR_CPU_PMU_EVENT_MAX);
            return -1;
        }

        for (j = 0; j < def->ndeniedEvents; j++) {
            if (def->deniedEvents[j] == event) {
                virReportError(VIR_ERR_XML_ERROR,
                               _("CPU migration pmu deny event='0x%x' is listed twice"),
                               event);
                return -1;
            }
        }

        def->deniedEvents[def->ndeniedEvents++] = event;
    }

    return 0;
}


/**
 * virCPUMigrationDefParseXML:
 * @ctxt: XPath context at a <cpu> element
 * @def: filled with its <migration>, or NULL if it has none
 *
 * Returns 0 on success, -1 on error.
 */
int
virCPUMigrationDefParseXML(xmlXPathContextPtr ctxt,
                           virCPUMigrationDef **def)
{
    VIR_XPATH_NODE_AUTORESTORE(ctxt)
    g_autoptr(virCPUMigrationDef) migration = NULL;
    g_autofree xmlNodePtr *targets = NULL;
    g_autofree xmlNodePtr *pmus = NULL;
    xmlNodePtr node;
    int ntargets;
    int npmus;
    size_t i;

    *def = NULL;

    if (!(node = virXPathNode("./migration", ctxt)))
        return 0;

    if (virXPathBoolean("count(./migration) > 1", ctxt) == 1) {
        virReportError(VIR_ERR_XML_ERROR, "%s",
                       _("the CPU can have one <migration> element only"));
        return -1;
    }

    ctxt->node = node;
    migration = g_new0(virCPUMigrationDef, 1);

    if ((ntargets = virXPathNodeSet("./target", ctxt, &targets)) < 0 ||
        (npmus = virXPathNodeSet("./pmu", ctxt, &pmus)) < 0)
        return -1;

    if (ntargets == 0 && npmus == 0) {
        virReportError(VIR_ERR_XML_ERROR, "%s",
                       _("CPU <migration> needs a <target midr=…/> or a <pmu> element"));
        return -1;
    }

    if (npmus > 1) {
        virReportError(VIR_ERR_XML_ERROR, "%s",
                       _("CPU <migration> can have one <pmu> element only"));
        return -1;
    }

    for (i = 0; i < ntargets; i++) {
        if (virCPUMigrationTargetParse(targets[i], migration) < 0)
            return -1;
    }

    if (npmus == 1 && virCPUMigrationPmuParse(ctxt, pmus[0], migration) < 0)
        return -1;

    *def = g_steal_pointer(&migration);
    return 0;
}


void
virCPUMigrationDefFormat(virBuffer *buf,
                         const virCPUMigrationDef *def)
{
    g_auto(virBuffer) childBuf = VIR_BUFFER_INIT_CHILD(buf);
    size_t i;

    if (!def)
        return;

    for (i = 0; i < def->ntargets; i++) {
        virBufferAsprintf(&childBuf, "<target midr='0x%08x' revidr='0x%llx'/>\n",
                          def->targets[i].midr, def->targets[i].revidr);
    }

    if (def->havePmuCounters || def->ndeniedEvents > 0) {
        g_auto(virBuffer) pmuAttrBuf = VIR_BUFFER_INITIALIZER;
        g_auto(virBuffer) pmuChildBuf = VIR_BUFFER_INIT_CHILD(&childBuf);

        if (def->havePmuCounters)
            virBufferAsprintf(&pmuAttrBuf, " counters='%u'", def->pmuCounters);

        for (i = 0; i < def->ndeniedEvents; i++)
            virBufferAsprintf(&pmuChildBuf, "<deny event='0x%x'/>\n",
                              def->deniedEvents[i]);

        virXMLFormatElement(&childBuf, "pmu", &pmuAttrBuf, &pmuChildBuf);
    }

    virXMLFormatElement(buf, "migration", NULL, &childBuf);
}


virCPUMigrationDef *
virCPUMigrationDefCopy(const virCPUMigrationDef *def)
{
    virCPUMigrationDef *copy;
    size_t i;

    if (!def)
        return NULL;

    copy = g_new0(virCPUMigrationDef, 1);
    copy->ntargets = def->ntargets;
    copy->targets = g_new0(virCPUMigrationTarget, def->ntargets);
    for (i = 0; i < def->ntargets; i++)
        copy->targets[i] = def->targets[i];
    copy->havePmuCounters = def->havePmuCounters;
    copy->pmuCounters = def->pmuCounters;
    copy->ndeniedEvents = def->ndeniedEvents;
    copy->deniedEvents = g_new0(unsigned int, def->ndeniedEvents);
    for (i = 0; i < def->ndeniedEvents; i++)
        copy->deniedEvents[i] = def->deniedEvents[i];

    return copy;
}


/* Whether @a and @b give the guest the same settings, in the same order
 * (the order of the targets is what the guest is told) */
bool
virCPUMigrationDefIsEqual(const virCPUMigrationDef *a,
                          const virCPUMigrationDef *b)
{
    size_t i;

    if (!a || !b)
        return !a && !b;

    if (a->ntargets != b->ntargets)
        return false;

    for (i = 0; i < a->ntargets; i++) {
        if (a->targets[i].midr != b->targets[i].midr ||
            a->targets[i].revidr != b->targets[i].revidr)
            return false;
    }

    if (a->havePmuCounters != b->havePmuCounters ||
        a->pmuCounters != b->pmuCounters ||
        a->ndeniedEvents != b->ndeniedEvents)
        return false;

    for (i = 0; i < a->ndeniedEvents; i++) {
        if (a->deniedEvents[i] != b->deniedEvents[i])
            return false;
    }

    return true;
}
