/*
 * cpu_cacheinfo.h: guest CPU cache geometry (<cpu><cacheinfo/>)
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

#pragma once

#include "internal.h"
#include "virbuffer.h"
#include "virenum.h"
#include "virhostcpucache.h"
#include "virxml.h"

/* cpu_conf.h includes this header for virCPUCacheInfoDef, so the functions
 * below name the CPU definition by its struct tag. */
struct _virCPUDef;

typedef enum {
    VIR_CPU_CACHE_INFO_TYPE_L1I,
    VIR_CPU_CACHE_INFO_TYPE_L1D,
    VIR_CPU_CACHE_INFO_TYPE_L1,     /* unified L1 */
    VIR_CPU_CACHE_INFO_TYPE_L2,
    VIR_CPU_CACHE_INFO_TYPE_L3,

    VIR_CPU_CACHE_INFO_TYPE_LAST
} virCPUCacheInfoType;

VIR_ENUM_DECL(virCPUCacheInfo);

/* The CPU topology level whose CPUs share one instance of a cache, in
 * increasing order: a later level never has fewer CPUs than an earlier one. */
typedef enum {
    VIR_CPU_CACHE_INFO_TOPOLOGY_DEFAULT = 0,
    VIR_CPU_CACHE_INFO_TOPOLOGY_THREAD,
    VIR_CPU_CACHE_INFO_TOPOLOGY_CORE,
    VIR_CPU_CACHE_INFO_TOPOLOGY_CLUSTER,
    VIR_CPU_CACHE_INFO_TOPOLOGY_DIE,
    VIR_CPU_CACHE_INFO_TOPOLOGY_SOCKET,

    VIR_CPU_CACHE_INFO_TOPOLOGY_LAST
} virCPUCacheInfoTopology;

VIR_ENUM_DECL(virCPUCacheInfoTopology);

/* One <cacheinfo/> element; 0 means "not specified" for every number. */
typedef struct _virCPUCacheInfoDef virCPUCacheInfoDef;
struct _virCPUCacheInfoDef {
    virCPUCacheInfoType cache;
    virCPUCacheInfoTopology topology;
    unsigned int size;          /* bytes */
    unsigned int sets;
    unsigned int associativity;
    unsigned int line;          /* bytes */
};

int
virCPUCacheInfoParseXML(xmlXPathContextPtr ctxt,
                        struct _virCPUDef *def);

void
virCPUCacheInfoFormat(virBuffer *buf,
                      const struct _virCPUDef *def);

void
virCPUCacheInfoCopy(struct _virCPUDef *dst,
                    const struct _virCPUDef *src);

bool
virCPUCacheInfoIsEqual(const struct _virCPUDef *src,
                       const struct _virCPUDef *dst);

int
virCPUCacheInfoValidate(const struct _virCPUDef *def);

int
virCPUCacheInfoFillFromHost(struct _virCPUDef *def,
                            const virHostCPUCache *host,
                            size_t nhost);
