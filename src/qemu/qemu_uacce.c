/*
 * qemu_uacce.c: the uacce accelerators a QEMU process is given
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

#include "qemu_uacce.h"
#include "qemu_domain.h"
#include "qemu_namespace.h"
#include "qemu_security.h"
#include "viruacce.h"
#include "virerror.h"
#include "virfile.h"
#include "virlog.h"

#define VIR_FROM_THIS VIR_FROM_QEMU

VIR_LOG_INIT("qemu.qemu_uacce");

/* The uacce algorithm of the compression engines QEMU's uadk migration
 * method and KAEzlib drive. */
#define QEMU_UACCE_COMPRESS_ALGORITHM "zlib"


/**
 * qemuUacceValidateKaezlibDir:
 * @cfg: driver configuration
 *
 * A QEMU started with a migration_kaezlib_dir that is not there would
 * quietly run with the system's zlib.
 *
 * Returns 0 when it is unset or a directory, -1 with an error otherwise.
 */
int
qemuUacceValidateKaezlibDir(virQEMUDriverConfig *cfg)
{
    if (!cfg->migrationKaezlibDir || virFileIsDir(cfg->migrationKaezlibDir))
        return 0;

    virReportError(VIR_ERR_CONFIG_UNSUPPORTED,
                   _("migration_kaezlib_dir '%s' of qemu.conf is not a directory: install KAEzlib there or unset it"),
                   cfg->migrationKaezlibDir);
    return -1;
}


/**
 * qemuUacceGetDomainDevices:
 * @vm: domain object
 *
 * The character devices of the host's uacce compression engines, which
 * QEMU uses when it has the uadk migration method or runs with KAEzlib
 * (migration_kaezlib_dir). Engines with no free instance are included:
 * one may be freed before the migration.
 *
 * Returns a NULL-terminated list, empty when the domain needs none, or
 * NULL with an error reported.
 */
char **
qemuUacceGetDomainDevices(virDomainObj *vm)
{
    qemuDomainObjPrivate *priv = vm->privateData;
    g_autoptr(virQEMUDriverConfig) cfg = virQEMUDriverGetConfig(priv->driver);
    g_autoptr(GPtrArray) paths = g_ptr_array_new();
    virUacceDevice *devs = NULL;
    size_t ndevs = 0;
    size_t i;

    if (cfg->migrationKaezlibDir ||
        (priv->qemuCaps &&
         virQEMUCapsGet(priv->qemuCaps, QEMU_CAPS_MIGRATION_MULTIFD_UADK))) {
        if (virUacceGetDevices(&devs, &ndevs) < 0)
            return NULL;
    }

    for (i = 0; i < ndevs; i++) {
        if (virUacceDeviceHasAlgorithm(&devs[i], QEMU_UACCE_COMPRESS_ALGORITHM))
            g_ptr_array_add(paths, g_strdup(devs[i].path));
    }
    virUacceDevicesFree(devs, ndevs);

    g_ptr_array_add(paths, NULL);
    return (char **) g_ptr_array_free(g_steal_pointer(&paths), false);
}


/* Adds the devices to those created in the domain's private /dev. */
int
qemuUacceSetupNamespace(virDomainObj *vm,
                        GSList **paths)
{
    g_auto(GStrv) devices = NULL;
    size_t i;

    if (!(devices = qemuUacceGetDomainDevices(vm)))
        return -1;

    for (i = 0; devices[i]; i++)
        *paths = g_slist_prepend(*paths, g_strdup(devices[i]));

    return 0;
}


int
qemuUacceSetLabels(virDomainObj *vm)
{
    qemuDomainObjPrivate *priv = vm->privateData;
    g_auto(GStrv) paths = NULL;
    size_t i;

    if (!(paths = qemuUacceGetDomainDevices(vm)))
        return -1;

    for (i = 0; paths[i]; i++) {
        if (qemuSecurityDomainSetPathLabel(priv->driver, vm, paths[i], false) < 0)
            return -1;
    }

    return 0;
}


/* In a private /dev the devices go away with QEMU; the host's are given
 * back their owner. */
void
qemuUacceRestoreLabels(virDomainObj *vm)
{
    qemuDomainObjPrivate *priv = vm->privateData;
    g_auto(GStrv) paths = NULL;
    size_t i;

    if (qemuDomainNamespaceEnabled(vm, QEMU_DOMAIN_NS_MOUNT))
        return;

    if (!(paths = qemuUacceGetDomainDevices(vm))) {
        VIR_WARN("cannot list the uacce devices of domain %s: %s",
                 vm->def->name, virGetLastErrorMessage());
        virResetLastError();
        return;
    }

    for (i = 0; paths[i]; i++) {
        if (qemuSecurityDomainRestorePathLabel(priv->driver, vm, paths[i]) < 0)
            VIR_WARN("cannot restore the label of %s", paths[i]);
    }
}
