/*
 * qemu_cpu_arm.h: aarch64 guest CPUs under KVM
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

#include "domain_conf.h"
#include "qemu_capabilities.h"
#include "virbuffer.h"

bool
qemuCPUSysregFieldValue(const char *reg,
                        const char *field,
                        unsigned int *value,
                        void *opaque);

bool
qemuCPUSysregsAvailable(virQEMUCaps *qemuCaps);

bool
qemuCPUSysregsNeeded(const virDomainDef *def);

int
qemuCPUSysregsGetProps(const virDomainDef *def,
                       virQEMUCaps *qemuCaps,
                       char ***props);

int
qemuCPUSysregsValidate(const virDomainDef *def,
                       virQEMUCaps *qemuCaps);

int
qemuBuildCpuSysregsArgStr(const virDomainDef *def,
                          virQEMUCaps *qemuCaps,
                          virBuffer *buf);

int
qemuCPUArmCheckMigration(const virDomainDef *def,
                         virCPUDef *dstHost,
                         virCPUDef *srcHost);
