/*
 * virhostcpucache.h: cache geometry of a host CPU, from sysfs
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
#include "virresctrl.h"

/* One cache of a host CPU as the kernel describes it in
 * /sys/devices/system/cpu/cpuN/cache/indexI; 0 means "not reported". */
typedef struct _virHostCPUCache virHostCPUCache;
struct _virHostCPUCache {
    unsigned int level;
    virCacheType type;
    unsigned long long size;    /* bytes */
    unsigned int sets;
    unsigned int associativity;
    unsigned int line;          /* bytes */
};

int
virHostCPUCacheReadGeometry(const char *dir,
                            unsigned int *sets,
                            unsigned int *associativity,
                            unsigned int *line);

int
virHostCPUGetCaches(unsigned int cpu,
                    virHostCPUCache **caches,
                    size_t *ncaches);
