/*
 * cpu_cacheinfo.c: guest CPU cache geometry (<cpu><cacheinfo/>)
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

#include "cpu_cacheinfo.h"
#include "cpu_conf.h"
#include "virerror.h"

#define VIR_FROM_THIS VIR_FROM_CPU

VIR_ENUM_IMPL(virCPUCacheInfo,
              VIR_CPU_CACHE_INFO_TYPE_LAST,
              "l1i",
              "l1d",
              "l1",
              "l2",
              "l3",
);

VIR_ENUM_IMPL(virCPUCacheInfoTopology,
              VIR_CPU_CACHE_INFO_TOPOLOGY_LAST,
              "default",
              "thread",
              "core",
              "cluster",
              "die",
              "socket",
);

#define VIR_CPU_CACHE_INFO_ASSOCIATIVITY_MAX 255
#define VIR_CPU_CACHE_INFO_LINE_MAX 65535


static int
virCPUCacheInfoParseOne(xmlNodePtr node,
                        virCPUCacheInfoDef *info)
{
    g_autofree char *cache = virXMLPropString(node, "cache");
    g_autofree char *topology = virXMLPropString(node, "topology");
    int value;

    if (!cache) {
        virReportError(VIR_ERR_XML_ERROR, "%s",
                       _("missing attribute 'cache' of CPU <cacheinfo>: expected 'l1i', 'l1d', 'l1', 'l2' or 'l3'"));
        return -1;
    }
    if ((value = virCPUCacheInfoTypeFromString(cache)) < 0) {
        virReportError(VIR_ERR_XML_ERROR,
                       _("invalid CPU cache '%s' in <cacheinfo>: expected 'l1i', 'l1d', 'l1', 'l2' or 'l3'"),
                       cache);
        return -1;
    }
    info->cache = value;

    if (topology) {
        if ((value = virCPUCacheInfoTopologyTypeFromString(topology)) <= 0) {
            virReportError(VIR_ERR_XML_ERROR,
                           _("invalid topology '%s' of CPU cache '%s': expected 'thread', 'core', 'cluster', 'die' or 'socket'"),
                           topology, cache);
            return -1;
        }
        info->topology = value;
    }

    if (virXMLPropUInt(node, "size", 10, VIR_XML_PROP_NONZERO,
                       &info->size) < 0 ||
        virXMLPropUInt(node, "sets", 10, VIR_XML_PROP_NONZERO,
                       &info->sets) < 0 ||
        virXMLPropUInt(node, "associativity", 10, VIR_XML_PROP_NONZERO,
                       &info->associativity) < 0 ||
        virXMLPropUInt(node, "line", 10, VIR_XML_PROP_NONZERO,
                       &info->line) < 0)
        return -1;

    if (info->associativity > VIR_CPU_CACHE_INFO_ASSOCIATIVITY_MAX) {
        virReportError(VIR_ERR_XML_ERROR,
                       _("invalid associativity '%u' of CPU cache '%s': expected 1 to %u"),
                       info->associativity,
                       virCPUCacheInfoTypeToString(info->cache),
                       VIR_CPU_CACHE_INFO_ASSOCIATIVITY_MAX);
        return -1;
    }

    if (info->line > VIR_CPU_CACHE_INFO_LINE_MAX) {
        virReportError(VIR_ERR_XML_ERROR,
                       _("invalid line size '%u' of CPU cache '%s': expected 1 to %u bytes"),
                       info->line,
                       virCPUCacheInfoTypeToString(info->cache),
                       VIR_CPU_CACHE_INFO_LINE_MAX);
        return -1;
    }

    return 0;
}


/**
 * virCPUCacheInfoParseXML:
 * @ctxt: XPath context positioned on the <cpu> element
 * @def: CPU definition to fill
 *
 * Parses every <cacheinfo/> child of <cpu>, after <cache> was parsed. Only
 * the syntax and the range of each attribute are checked here; the rules that relate caches to each
 * other and to the topology are in virCPUCacheInfoValidate.
 */
int
virCPUCacheInfoParseXML(xmlXPathContextPtr ctxt,
                        virCPUDef *def)
{
    g_autofree xmlNodePtr *nodes = NULL;
    int n;
    size_t i;

    if ((n = virXPathNodeSet("./cacheinfo", ctxt, &nodes)) <= 0)
        return n;

    /* <cache> asks the hypervisor to emulate or pass through the host's
     * caches as a whole; it cannot be mixed with a description of each */
    if (def->cache) {
        virReportError(VIR_ERR_XML_ERROR, "%s",
                       _("CPU <cache> and <cacheinfo> cannot be combined: describe the caches with <cacheinfo> only, or use <cache> alone"));
        return -1;
    }

    def->cacheinfo = g_new0(virCPUCacheInfoDef, n);
    def->ncacheinfo = n;

    for (i = 0; i < n; i++) {
        if (virCPUCacheInfoParseOne(nodes[i], &def->cacheinfo[i]) < 0)
            return -1;
    }

    return 0;
}


void
virCPUCacheInfoFormat(virBuffer *buf,
                      const virCPUDef *def)
{
    size_t i;

    for (i = 0; i < def->ncacheinfo; i++) {
        const virCPUCacheInfoDef *info = &def->cacheinfo[i];

        virBufferAsprintf(buf, "<cacheinfo cache='%s'",
                          virCPUCacheInfoTypeToString(info->cache));
        if (info->topology)
            virBufferAsprintf(buf, " topology='%s'",
                              virCPUCacheInfoTopologyTypeToString(info->topology));
        if (info->size)
            virBufferAsprintf(buf, " size='%u'", info->size);
        if (info->sets)
            virBufferAsprintf(buf, " sets='%u'", info->sets);
        if (info->associativity)
            virBufferAsprintf(buf, " associativity='%u'", info->associativity);
        if (info->line)
            virBufferAsprintf(buf, " line='%u'", info->line);
        virBufferAddLit(buf, "/>\n");
    }
}


void
virCPUCacheInfoCopy(virCPUDef *dst,
                    const virCPUDef *src)
{
    if (!src->ncacheinfo)
        return;

    dst->cacheinfo = g_new0(virCPUCacheInfoDef, src->ncacheinfo);
    memcpy(dst->cacheinfo, src->cacheinfo,
           sizeof(*src->cacheinfo) * src->ncacheinfo);
    dst->ncacheinfo = src->ncacheinfo;
}


/* The cache geometry is part of the guest ABI. */
bool
virCPUCacheInfoIsEqual(const virCPUDef *src,
                       const virCPUDef *dst)
{
    if (src->ncacheinfo != dst->ncacheinfo)
        return false;

    return src->ncacheinfo == 0 ||
           memcmp(src->cacheinfo, dst->cacheinfo,
                  sizeof(*src->cacheinfo) * src->ncacheinfo) == 0;
}


static const virCPUCacheInfoDef *
virCPUCacheInfoFind(const virCPUDef *def,
                    virCPUCacheInfoType cache)
{
    size_t i;

    for (i = 0; i < def->ncacheinfo; i++) {
        if (def->cacheinfo[i].cache == cache)
            return &def->cacheinfo[i];
    }

    return NULL;
}


/* Whether a cache's size agrees with its sets, associativity and line
 * size; true when one of the four is left out. */
static bool
virCPUCacheInfoGeometryIsConsistent(const virCPUCacheInfoDef *info,
                                    unsigned long long *product)
{
    if (!info->size || !info->sets || !info->associativity || !info->line)
        return true;

    *product = (unsigned long long)info->sets * info->associativity * info->line;
    return *product == info->size;
}


static int
virCPUCacheInfoValidateGeometry(const virCPUCacheInfoDef *info)
{
    unsigned long long product = 0;

    if (!virCPUCacheInfoGeometryIsConsistent(info, &product)) {
        virReportError(VIR_ERR_CONFIG_UNSUPPORTED,
                       _("CPU cache '%s' has size %u, but sets (%u) x associativity (%u) x line (%u) = %llu: the size must equal that product, or leave one of the four out"),
                       virCPUCacheInfoTypeToString(info->cache),
                       info->size, info->sets, info->associativity,
                       info->line, product);
        return -1;
    }

    return 0;
}


/* A sharing level must be one the guest CPU topology has: thread, core
 * and socket always exist, a die or a cluster only in an explicit
 * <topology>. */
static int
virCPUCacheInfoValidateTopologyLevel(const virCPUDef *def,
                                     const virCPUCacheInfoDef *info)
{
    switch (info->topology) {
    case VIR_CPU_CACHE_INFO_TOPOLOGY_DIE:
    case VIR_CPU_CACHE_INFO_TOPOLOGY_CLUSTER:
        if (def->sockets == 0) {
            virReportError(VIR_ERR_CONFIG_UNSUPPORTED,
                           _("CPU cache '%s' is shared by a %s, but the CPU has no <topology>: add one, or use topology 'thread', 'core' or 'socket'"),
                           virCPUCacheInfoTypeToString(info->cache),
                           virCPUCacheInfoTopologyTypeToString(info->topology));
            return -1;
        }
        break;

    case VIR_CPU_CACHE_INFO_TOPOLOGY_DEFAULT:
    case VIR_CPU_CACHE_INFO_TOPOLOGY_THREAD:
    case VIR_CPU_CACHE_INFO_TOPOLOGY_CORE:
    case VIR_CPU_CACHE_INFO_TOPOLOGY_SOCKET:
    case VIR_CPU_CACHE_INFO_TOPOLOGY_LAST:
        break;
    }

    return 0;
}


/* A cache above another one is never shared by fewer CPUs. */
static int
virCPUCacheInfoValidateSharing(const virCPUCacheInfoDef *lower,
                               const virCPUCacheInfoDef *upper)
{
    if (!lower || !upper || !lower->topology || !upper->topology)
        return 0;

    if (upper->topology < lower->topology) {
        virReportError(VIR_ERR_CONFIG_UNSUPPORTED,
                       _("CPU cache '%s' is shared by a %s, which is smaller than the %s sharing cache '%s' below it: a higher cache level must be shared by a %s or a larger level"),
                       virCPUCacheInfoTypeToString(upper->cache),
                       virCPUCacheInfoTopologyTypeToString(upper->topology),
                       virCPUCacheInfoTopologyTypeToString(lower->topology),
                       virCPUCacheInfoTypeToString(lower->cache),
                       virCPUCacheInfoTopologyTypeToString(lower->topology));
        return -1;
    }

    return 0;
}


/**
 * virCPUCacheInfoValidate:
 * @def: guest CPU definition
 *
 * Checks the <cacheinfo/> elements against each other and against the CPU
 * topology: each cache at most once, a unified L1 excludes split ones, a
 * level needs the levels below it, sharing never shrinks going up, sharing
 * levels exist in the topology, and a full geometry is consistent.
 */
int
virCPUCacheInfoValidate(const virCPUDef *def)
{
    const virCPUCacheInfoDef *l1i;
    const virCPUCacheInfoDef *l1d;
    const virCPUCacheInfoDef *l1;
    const virCPUCacheInfoDef *l2;
    const virCPUCacheInfoDef *l3;
    size_t i;
    size_t j;

    if (!def || def->ncacheinfo == 0)
        return 0;

    for (i = 0; i < def->ncacheinfo; i++) {
        for (j = 0; j < i; j++) {
            if (def->cacheinfo[i].cache == def->cacheinfo[j].cache) {
                virReportError(VIR_ERR_CONFIG_UNSUPPORTED,
                               _("CPU cache '%s' is described more than once: each of 'l1i', 'l1d', 'l1', 'l2' and 'l3' may appear once"),
                               virCPUCacheInfoTypeToString(def->cacheinfo[i].cache));
                return -1;
            }
        }

        if (virCPUCacheInfoValidateTopologyLevel(def, &def->cacheinfo[i]) < 0 ||
            virCPUCacheInfoValidateGeometry(&def->cacheinfo[i]) < 0)
            return -1;
    }

    l1i = virCPUCacheInfoFind(def, VIR_CPU_CACHE_INFO_TYPE_L1I);
    l1d = virCPUCacheInfoFind(def, VIR_CPU_CACHE_INFO_TYPE_L1D);
    l1 = virCPUCacheInfoFind(def, VIR_CPU_CACHE_INFO_TYPE_L1);
    l2 = virCPUCacheInfoFind(def, VIR_CPU_CACHE_INFO_TYPE_L2);
    l3 = virCPUCacheInfoFind(def, VIR_CPU_CACHE_INFO_TYPE_L3);

    if (l1 && (l1i || l1d)) {
        virReportError(VIR_ERR_CONFIG_UNSUPPORTED, "%s",
                       _("CPU cache 'l1' (a unified L1 cache) cannot be combined with 'l1i' or 'l1d': describe either a unified L1 or split instruction and data caches"));
        return -1;
    }

    if (l2 && !l1 && !(l1i && l1d)) {
        virReportError(VIR_ERR_CONFIG_UNSUPPORTED, "%s",
                       _("CPU cache 'l2' needs the level below it: describe 'l1', or both 'l1i' and 'l1d'"));
        return -1;
    }

    if (l3 && !l2) {
        virReportError(VIR_ERR_CONFIG_UNSUPPORTED, "%s",
                       _("CPU cache 'l3' needs the level below it: describe 'l2' as well"));
        return -1;
    }

    /* L3 is checked against L1 too: L2 may leave its sharing level to
     * QEMU, and the rule still holds across it */
    if (virCPUCacheInfoValidateSharing(l1, l2) < 0 ||
        virCPUCacheInfoValidateSharing(l1i, l2) < 0 ||
        virCPUCacheInfoValidateSharing(l1d, l2) < 0 ||
        virCPUCacheInfoValidateSharing(l2, l3) < 0 ||
        virCPUCacheInfoValidateSharing(l1, l3) < 0 ||
        virCPUCacheInfoValidateSharing(l1i, l3) < 0 ||
        virCPUCacheInfoValidateSharing(l1d, l3) < 0)
        return -1;

    return 0;
}


static const virHostCPUCache *
virCPUCacheInfoFindHost(const virHostCPUCache *host,
                        size_t nhost,
                        virCPUCacheInfoType cache)
{
    unsigned int level = 1;
    virCacheType type = VIR_CACHE_TYPE_BOTH;
    size_t i;

    switch (cache) {
    case VIR_CPU_CACHE_INFO_TYPE_L1I:
        type = VIR_CACHE_TYPE_CODE;
        break;
    case VIR_CPU_CACHE_INFO_TYPE_L1D:
        type = VIR_CACHE_TYPE_DATA;
        break;
    case VIR_CPU_CACHE_INFO_TYPE_L1:
        break;
    case VIR_CPU_CACHE_INFO_TYPE_L2:
        level = 2;
        break;
    case VIR_CPU_CACHE_INFO_TYPE_L3:
        level = 3;
        break;
    case VIR_CPU_CACHE_INFO_TYPE_LAST:
        return NULL;
    }

    for (i = 0; i < nhost; i++) {
        if (host[i].level == level && host[i].type == type)
            return &host[i];
    }

    return NULL;
}


/* Whether the host's geometry of a cache can be copied whole: all four
 * values reported, each in the range of its attribute, and consistent.
 * Sysfs often reports a product that is not the size (an x86 cache with a
 * physical_line_partition above 1, firmware tables on Arm). */
static bool
virCPUCacheInfoHostGeometryIsUsable(const virHostCPUCache *host)
{
    return host->size && host->size <= UINT_MAX &&
           host->sets &&
           host->associativity &&
           host->associativity <= VIR_CPU_CACHE_INFO_ASSOCIATIVITY_MAX &&
           host->line && host->line <= VIR_CPU_CACHE_INFO_LINE_MAX &&
           (unsigned long long)host->sets * host->associativity * host->line == host->size;
}


/**
 * virCPUCacheInfoFillFromHost:
 * @def: guest CPU definition (host-passthrough)
 * @host: the caches of a host CPU (see virHostCPUGetCaches)
 * @nhost: their count
 *
 * Fills the size, sets, associativity and line size that a <cacheinfo/>
 * leaves out with the values of the host cache of the same level and type:
 * all four when the host's geometry is consistent, otherwise the size
 * alone (when it fits the attribute). The size is the host's for one
 * instance of the cache, whatever topology level shares it in the guest.
 * Then checks that each resulting geometry is consistent, which fails
 * only where values given in <cacheinfo/> disagree with the host's.
 *
 * Returns 0 on success, -1 when a filled-in geometry is inconsistent.
 */
int
virCPUCacheInfoFillFromHost(virCPUDef *def,
                            const virHostCPUCache *host,
                            size_t nhost)
{
    size_t i;

    for (i = 0; i < def->ncacheinfo; i++) {
        virCPUCacheInfoDef *info = &def->cacheinfo[i];
        const virHostCPUCache *h = virCPUCacheInfoFindHost(host, nhost, info->cache);
        g_auto(virBuffer) fromHost = VIR_BUFFER_INITIALIZER;
        g_autofree char *taken = NULL;
        unsigned long long product = 0;

        if (!h)
            continue;

        if (!info->size && h->size && h->size <= UINT_MAX) {
            info->size = h->size;
            virBufferAddLit(&fromHost, "size, ");
        }
        if (virCPUCacheInfoHostGeometryIsUsable(h)) {
            if (!info->sets) {
                info->sets = h->sets;
                virBufferAddLit(&fromHost, "sets, ");
            }
            if (!info->associativity) {
                info->associativity = h->associativity;
                virBufferAddLit(&fromHost, "associativity, ");
            }
            if (!info->line) {
                info->line = h->line;
                virBufferAddLit(&fromHost, "line, ");
            }
        }

        if (virCPUCacheInfoGeometryIsConsistent(info, &product))
            continue;

        /* the values given were consistent: a host value disagrees */
        virBufferTrim(&fromHost, ", ");
        taken = virBufferContentAndReset(&fromHost);
        virReportError(VIR_ERR_CONFIG_UNSUPPORTED,
                       _("CPU cache '%s' has size %u, but sets (%u) x associativity (%u) x line (%u) = %llu (taken from host CPU 0: %s): give all four values, or none to use the host's"),
                       virCPUCacheInfoTypeToString(info->cache),
                       info->size, info->sets, info->associativity,
                       info->line, product, NULLSTR_EMPTY(taken));
        return -1;
    }

    return 0;
}
