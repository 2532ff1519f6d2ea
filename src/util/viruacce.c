/*
 * viruacce.c: accelerator devices of the kernel's uacce framework
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

#include "viruacce.h"
#include "viralloc.h"
#include "virerror.h"
#include "virfile.h"
#include "virlog.h"
#include "virstring.h"

#define VIR_FROM_THIS VIR_FROM_NONE

VIR_LOG_INIT("util.uacce");

#define SYSFS_UACCE_PATH "/sys/class/uacce"


void
virUacceDeviceClear(virUacceDevice *dev)
{
    g_clear_pointer(&dev->name, g_free);
    g_clear_pointer(&dev->path, g_free);
    g_clear_pointer(&dev->api, g_free);
    g_clear_pointer(&dev->algorithms, g_strfreev);
}


void
virUacceDevicesFree(virUacceDevice *devs,
                    size_t ndevs)
{
    size_t i;

    for (i = 0; i < ndevs; i++)
        virUacceDeviceClear(&devs[i]);
    g_free(devs);
}


/* The kernel lists a device's algorithms one per line. */
static char **
virUacceParseAlgorithms(const char *text)
{
    g_auto(GStrv) lines = g_strsplit_set(text, "\n \t", -1);
    g_autoptr(GPtrArray) algs = g_ptr_array_new();
    size_t i;

    for (i = 0; lines[i]; i++) {
        if (*lines[i])
            g_ptr_array_add(algs, g_strdup(lines[i]));
    }
    g_ptr_array_add(algs, NULL);

    return (char **) g_ptr_array_free(g_steal_pointer(&algs), false);
}


/* Attributes the kernel does not have are left out: its set differs
 * between versions. */
static int
virUacceReadDevice(virUacceDevice *dev,
                   const char *name)
{
    g_autofree char *algorithms = NULL;
    int rc;

    dev->name = g_strdup(name);
    dev->path = g_strdup_printf("/dev/%s", name);

    if (virFileReadValueString(&dev->api, SYSFS_UACCE_PATH "/%s/api", name) == -1)
        return -1;

    /* The number of bytes read, or -2 for a missing file. */
    if ((rc = virFileReadValueString(&algorithms,
                                     SYSFS_UACCE_PATH "/%s/algorithms", name)) == -1)
        return -1;
    dev->algorithms = virUacceParseAlgorithms(rc >= 0 ? algorithms : "");

    rc = virFileReadValueUint(&dev->availableInstances,
                              SYSFS_UACCE_PATH "/%s/available_instances", name);
    if (rc == -1)
        return -1;
    dev->availableInstancesSet = rc == 0;

    return 0;
}


static int
virUacceDeviceCompare(const void *a,
                      const void *b)
{
    const virUacceDevice *da = a;
    const virUacceDevice *db = b;

    return strcmp(da->name, db->name);
}


/**
 * virUacceGetDevices:
 * @devs: filled with the devices, sorted by name
 * @ndevs: filled with their number
 *
 * Lists the accelerators in /sys/class/uacce. A host without the
 * framework has none.
 *
 * Returns 0 on success, -1 with an error reported otherwise.
 */
int
virUacceGetDevices(virUacceDevice **devs,
                   size_t *ndevs)
{
    g_autoptr(DIR) dir = NULL;
    struct dirent *ent = NULL;
    virUacceDevice *list = NULL;
    size_t nlist = 0;
    int rc;

    *devs = NULL;
    *ndevs = 0;

    if ((rc = virDirOpenIfExists(&dir, SYSFS_UACCE_PATH)) <= 0)
        return rc;

    while ((rc = virDirRead(dir, &ent, SYSFS_UACCE_PATH)) > 0) {
        virUacceDevice dev = { 0 };

        if (virUacceReadDevice(&dev, ent->d_name) < 0) {
            virUacceDeviceClear(&dev);
            virUacceDevicesFree(list, nlist);
            return -1;
        }
        VIR_APPEND_ELEMENT(list, nlist, dev);
    }
    if (rc < 0) {
        virUacceDevicesFree(list, nlist);
        return -1;
    }

    if (nlist > 1)
        qsort(list, nlist, sizeof(*list), virUacceDeviceCompare);

    VIR_DEBUG("found %zu uacce devices", nlist);
    *devs = list;
    *ndevs = nlist;
    return 0;
}


bool
virUacceDeviceHasAlgorithm(const virUacceDevice *dev,
                           const char *algorithm)
{
    return dev->algorithms &&
        g_strv_contains((const char * const *) dev->algorithms, algorithm);
}


/* An engine a new process can use for @algorithm: one that has the
 * algorithm and, where the kernel says, a queue left. */
bool
virUacceDeviceIsUsable(const virUacceDevice *dev,
                       const char *algorithm)
{
    if (!virUacceDeviceHasAlgorithm(dev, algorithm))
        return false;

    return !dev->availableInstancesSet || dev->availableInstances > 0;
}
