/*
 * viruacce.h: accelerator devices of the kernel's uacce framework
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

/* One accelerator the uacce framework registered: /sys/class/uacce/NAME,
 * used by processes through the character device /dev/NAME. */
typedef struct _virUacceDevice virUacceDevice;
struct _virUacceDevice {
    char *name;                 /* e.g. "hisi_zip-0" */
    char *path;                 /* its character device */
    char *api;                  /* the driver's interface, e.g. "hisi_qm_v3" */
    char **algorithms;          /* NULL-terminated */
    bool availableInstancesSet;
    unsigned int availableInstances; /* queues still free */
};

void
virUacceDeviceClear(virUacceDevice *dev);

void
virUacceDevicesFree(virUacceDevice *devs,
                    size_t ndevs);

int
virUacceGetDevices(virUacceDevice **devs,
                   size_t *ndevs);

bool
virUacceDeviceHasAlgorithm(const virUacceDevice *dev,
                           const char *algorithm);

bool
virUacceDeviceIsUsable(const virUacceDevice *dev,
                       const char *algorithm);
