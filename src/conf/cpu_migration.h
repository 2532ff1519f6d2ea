/*
 * cpu_migration.h: machine settings for migration between CPU
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

#pragma once

#include "internal.h"
#include "virbuffer.h"
#include "virxml.h"

/* An Arm CPU implementation a guest may run on: the MIDR_EL1 and
 * REVIDR_EL1 values of its host */
typedef struct _virCPUMigrationTarget virCPUMigrationTarget;
struct _virCPUMigrationTarget {
    unsigned int midr;
    unsigned long long revidr;
};

/* <cpu><migration>: what a guest must be told or denied so that it can
 * move between hosts of different CPU implementations */
typedef struct _virCPUMigrationDef virCPUMigrationDef;
struct _virCPUMigrationDef {
    size_t ntargets;
    virCPUMigrationTarget *targets;
    bool havePmuCounters;
    unsigned int pmuCounters; /* PMCR_EL0.N the guest sees */
    size_t ndeniedEvents;
    unsigned int *deniedEvents; /* PMU event numbers the guest cannot count */
};

void
virCPUMigrationDefFree(virCPUMigrationDef *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(virCPUMigrationDef, virCPUMigrationDefFree);

int
virCPUMigrationDefParseXML(xmlXPathContextPtr ctxt,
                           virCPUMigrationDef **def);

void
virCPUMigrationDefFormat(virBuffer *buf,
                         const virCPUMigrationDef *def);

virCPUMigrationDef *
virCPUMigrationDefCopy(const virCPUMigrationDef *def);

bool
virCPUMigrationDefIsEqual(const virCPUMigrationDef *a,
                          const virCPUMigrationDef *b);
