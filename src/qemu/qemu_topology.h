/*
 * qemu_topology.h: guest CPU topology derived from 1:1 vCPU pinning
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

#include "capabilities.h"
#include "domain_conf.h"
#include "qemu_capabilities.h"
#include "qemu_conf.h"
#include "qemu_domain.h"

/* The guest topology the pinned host CPUs give, or why they give none. */
typedef struct _qemuTopologyDerived qemuTopologyDerived;
struct _qemuTopologyDerived {
    unsigned int sockets;
    unsigned int dies;
    unsigned int clusters;
    unsigned int cores;
    unsigned int threads;
    char *failure;      /* the rule the pinned host CPUs break, or NULL */
};

int
qemuTopologyValidateNewDef(const virDomainDef *def);

bool
qemuTopologyWanted(const virDomainDef *def,
                   bool hostDefault);

int
qemuTopologyDerive(const virDomainDef *def,
                   const virCapsHostNUMA *numa,
                   bool diesSupported,
                   bool clustersSupported,
                   qemuTopologyDerived *derived);

void
qemuTopologyDeriveCaches(virDomainDef *def,
                         const virCapsHostCache *cache,
                         bool diesSupported,
                         bool clustersSupported);

int
qemuTopologyApply(virQEMUDriver *driver,
                  virDomainObj *vm,
                  unsigned int flags);

void
qemuTopologyWriteReport(virDomainObj *vm,
                        qemuDomainLogContext *logCtxt);
