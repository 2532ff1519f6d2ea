/*
 * virhostcpucache.c: cache geometry of a host CPU, from sysfs
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

#include "virhostcpucache.h"
#include "viralloc.h"
#include "virerror.h"
#include "virfile.h"
#include "virlog.h"

#define VIR_FROM_THIS VIR_FROM_NONE

VIR_LOG_INIT("util.hostcpucache");

#define SYSFS_SYSTEM_PATH "/sys/devices/system"


/* Read one optional number of a cache index directory: a missing file
 * leaves 0 ("not reported"); anything else unreadable is an error. */
static int
virHostCPUCacheReadUint(unsigned int *value,
                        const char *dir,
                        const char *file)
{
    int rc = virFileReadValueUint(value, "%s/%s", dir, file);

    if (rc == -2) {
        *value = 0;
        return 0;
    }
    return rc;
}


/* Read one number of the geometry, best effort: the geometry is only
 * informative, so a file that is missing, unreadable or not a number
 * leaves 0 ("not reported") instead of failing whoever asked. */
static void
virHostCPUCacheReadGeometryUint(unsigned int *value,
                                const char *dir,
                                const char *file)
{
    if (virHostCPUCacheReadUint(value, dir, file) < 0) {
        VIR_DEBUG("%s/%s: ignoring an unreadable cache geometry value: %s",
                  dir, file, virGetLastErrorMessage());
        virResetLastError();
        *value = 0;
    }
}


/**
 * virHostCPUCacheReadGeometry:
 * @dir: a cache directory, /sys/devices/system/cpu/cpuN/cache/indexI
 * @sets: filled with its number of sets
 * @associativity: filled with its ways of associativity
 * @line: filled with its coherency line size, in bytes
 *
 * Not every kernel or platform reports the geometry: what is missing,
 * unreadable or not a number is 0, for the host capabilities and the
 * QEMU driver alike.
 *
 * Returns 0; it does not fail.
 */
int
virHostCPUCacheReadGeometry(const char *dir,
                            unsigned int *sets,
                            unsigned int *associativity,
                            unsigned int *line)
{
    virHostCPUCacheReadGeometryUint(sets, dir, "number_of_sets");
    virHostCPUCacheReadGeometryUint(associativity, dir, "ways_of_associativity");
    virHostCPUCacheReadGeometryUint(line, dir, "coherency_line_size");
    return 0;
}


/* Read cache directory @dir into @cache. Returns 1 when it describes a
 * cache, 0 when it lacks a level or type libvirt understands, -1 on error. */
static int
virHostCPUCacheRead(const char *dir,
                    virHostCPUCache *cache)
{
    g_autofree char *type = NULL;
    int kernelType;
    int rc;

    if (virHostCPUCacheReadUint(&cache->level, dir, "level") < 0)
        return -1;

    if ((rc = virFileReadValueString(&type, "%s/type", dir)) < 0) {
        if (rc == -2)
            return 0;
        return -1;
    }

    if (cache->level == 0 ||
        (kernelType = virCacheKernelTypeFromString(type)) < 0) {
        VIR_DEBUG("%s: level %u type '%s' not understood", dir, cache->level, type);
        return 0;
    }
    cache->type = kernelType;

    if ((rc = virFileReadValueScaledInt(&cache->size, "%s/size", dir)) < 0 &&
        rc != -2)
        return -1;

    if (virHostCPUCacheReadGeometry(dir, &cache->sets, &cache->associativity,
                                    &cache->line) < 0)
        return -1;

    return 1;
}


/**
 * virHostCPUGetCaches:
 * @cpu: host CPU number
 * @caches: filled with the CPU's caches, in the kernel's index order
 * @ncaches: filled with their count
 *
 * Reads the level, type and geometry (size, number of sets, ways of
 * associativity, coherency line size) of every cache of host CPU @cpu from
 * cpuN/cache/index0, index1, ... Geometry the kernel does not report is 0.
 * A CPU without cache information (offline, or a kernel or platform that
 * does not describe caches) has no caches.
 *
 * Returns 0 on success, -1 on error.
 */
int
virHostCPUGetCaches(unsigned int cpu,
                    virHostCPUCache **caches,
                    size_t *ncaches)
{
    g_autofree virHostCPUCache *list = NULL;
    size_t nlist = 0;
    size_t i;

    *caches = NULL;
    *ncaches = 0;

    for (i = 0; ; i++) {
        g_autofree char *dir = g_strdup_printf("%s/cpu/cpu%u/cache/index%zu",
                                               SYSFS_SYSTEM_PATH, cpu, i);
        virHostCPUCache cache = { 0 };
        int rc;

        if (!virFileExists(dir))
            break;

        if ((rc = virHostCPUCacheRead(dir, &cache)) < 0)
            return -1;
        if (rc == 0)
            continue;

        VIR_APPEND_ELEMENT(list, nlist, cache);
    }

    *caches = g_steal_pointer(&list);
    *ncaches = nlist;
    return 0;
}
