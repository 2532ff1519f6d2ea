/*
 * qemu_topology.c: guest CPU topology derived from 1:1 vCPU pinning
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

#include "qemu_topology.h"
#include "domain_validate.h"
#include "qemu_domain.h"
#include "qemu_process.h"
#include "qemu_validate.h"
#include "virerror.h"
#include "virlog.h"
#include "virtime.h"

#define VIR_FROM_THIS VIR_FROM_QEMU

VIR_LOG_INIT("qemu.qemu_topology");

/* The levels of a host CPU's position, outermost first, as QEMU numbers
 * vCPUs: socket by socket, die by die, cluster by cluster, core by core. */
typedef enum {
    QEMU_TOPOLOGY_SOCKET,
    QEMU_TOPOLOGY_DIE,
    QEMU_TOPOLOGY_CLUSTER,
    QEMU_TOPOLOGY_CORE,
    QEMU_TOPOLOGY_THREAD,

    QEMU_TOPOLOGY_LAST
} qemuTopologyLevel;

static const char *qemuTopologyLevelNames[QEMU_TOPOLOGY_LAST] = {
    "socket", "die", "cluster", "core", "thread",
};

/* The host CPU a vCPU is pinned to, and its position in the host. */
typedef struct {
    unsigned int cpu;
    unsigned int pos[QEMU_TOPOLOGY_LAST];
} qemuTopologyVcpu;


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


/* The one host CPU vCPU @i is pinned to, or -1. */
static int
qemuTopologyPinnedCPU(const virDomainDef *def,
                      size_t i)
{
    virDomainVcpuDef *vcpu = def->vcpus[i];

    if (!vcpu || !vcpu->cpumask || virBitmapCountBits(vcpu->cpumask) != 1)
        return -1;

    return virBitmapNextSetBit(vcpu->cpumask, -1);
}


/*
 * Whether every vCPU up to the maximum is pinned to one host CPU of its
 * own; with @report, an error names the first vCPU that is not.
 */
static bool
qemuTopologyCheckPinning(const virDomainDef *def,
                         bool report)
{
    g_autoptr(virBitmap) pinned = virBitmapNew(0);
    size_t i;

    for (i = 0; i < virDomainDefGetVcpusMax(def); i++) {
        virBitmap *cpumask = def->vcpus[i]->cpumask;
        int cpu = qemuTopologyPinnedCPU(def, i);
        size_t j;

        if (cpu >= 0 && !virBitmapIsBitSet(pinned, cpu)) {
            virBitmapSetBitExpand(pinned, cpu);
            continue;
        }

        if (!report)
            return false;

        if (!cpumask) {
            virReportError(VIR_ERR_CONFIG_UNSUPPORTED,
                           _("auto_topology='yes' needs every vCPU pinned to one host CPU with <vcpupin>, but vCPU %zu is not pinned"),
                           i);
        } else if (cpu < 0) {
            g_autofree char *cpus = virBitmapFormat(cpumask);

            virReportError(VIR_ERR_CONFIG_UNSUPPORTED,
                           _("auto_topology='yes' needs every vCPU pinned to one host CPU, but vCPU %zu is pinned to '%s'"),
                           i, cpus);
        } else {
            for (j = 0; j < i; j++) {
                if (qemuTopologyPinnedCPU(def, j) == cpu)
                    break;
            }
            virReportError(VIR_ERR_CONFIG_UNSUPPORTED,
                           _("auto_topology='yes' needs every vCPU pinned to a host CPU of its own, but vCPUs %zu and %zu are both pinned to host CPU %d"),
                           j, i, cpu);
        }
        return false;
    }

    return true;
}


/**
 * qemuTopologyWanted:
 * @def: domain definition
 * @hostDefault: qemu.conf's auto_topology
 *
 * Whether the guest topology of @def is to be derived from its pinning:
 * always with auto_topology='yes', never with 'no', and otherwise when the
 * host default asks for it and every vCPU is pinned to a host CPU of its
 * own.
 */
static bool
qemuTopologyWanted(const virDomainDef *def,
                   bool hostDefault)
{
    virTristateBool autoTopology = VIR_TRISTATE_BOOL_ABSENT;

    if (def->cpu)
        autoTopology = def->cpu->autoTopology;

    switch (autoTopology) {
    case VIR_TRISTATE_BOOL_YES:
        return true;
    case VIR_TRISTATE_BOOL_NO:
        return false;
    case VIR_TRISTATE_BOOL_ABSENT:
    case VIR_TRISTATE_BOOL_LAST:
        break;
    }

    return hostDefault && qemuTopologyCheckPinning(def, false);
}


/**
 * qemuTopologyValidateNewDef:
 * @def: a domain definition being defined or created
 *
 * auto_topology='yes' derives the guest topology from the host CPUs the
 * vCPUs are pinned to, which needs one distinct host CPU per vCPU. Only new
 * definitions are refused: a domain whose pinning changed since (vcpupin)
 * still starts, restores and migrates, with its fallback topology where
 * the derivation needs it.
 *
 * Returns 0 if @def may be defined, -1 with an error otherwise.
 */
int
qemuTopologyValidateNewDef(const virDomainDef *def)
{
    if (!def->cpu || def->cpu->autoTopology != VIR_TRISTATE_BOOL_YES)
        return 0;

    return qemuTopologyCheckPinning(def, true) ? 0 : -1;
}


static const virCapsHostNUMACellCPU *
qemuTopologyFindHostCPU(const virCapsHostNUMA *numa,
                        unsigned int id)
{
    size_t i;
    size_t j;

    for (i = 0; i < numa->cells->len; i++) {
        virCapsHostNUMACell *cell = g_ptr_array_index(numa->cells, i);

        for (j = 0; j < cell->ncpus; j++) {
            if (cell->cpus[j].id == id)
                return &cell->cpus[j];
        }
    }

    return NULL;
}


/* The thread's index among its core's threads: its rank in the siblings. */
static unsigned int
qemuTopologyThreadIndex(const virCapsHostNUMACellCPU *cpu)
{
    unsigned int rank = 0;
    ssize_t next = -1;

    if (!cpu->siblings)
        return 0;

    while ((next = virBitmapNextSetBit(cpu->siblings, next)) >= 0 &&
           next < cpu->id)
        rank++;

    return rank;
}


static int
qemuTopologyCompare(const qemuTopologyVcpu *a,
                    const qemuTopologyVcpu *b)
{
    size_t l;

    for (l = 0; l < QEMU_TOPOLOGY_LAST; l++) {
        if (a->pos[l] != b->pos[l])
            return a->pos[l] < b->pos[l] ? -1 : 1;
    }

    return 0;
}


/* Whether @a and @b are in the same group of the levels above @level. */
static bool
qemuTopologySameGroup(const qemuTopologyVcpu *a,
                      const qemuTopologyVcpu *b,
                      qemuTopologyLevel level)
{
    size_t l;

    for (l = 0; l < level; l++) {
        if (a->pos[l] != b->pos[l])
            return false;
    }

    return true;
}


/*
 * How many units of @level each group of the level above holds, when all
 * hold the same number; the vCPUs are in host order. Otherwise sets
 * @failure to what differs.
 */
static unsigned int
qemuTopologyCountLevel(const qemuTopologyVcpu *vcpus,
                       size_t nvcpus,
                       qemuTopologyLevel level,
                       char **failure)
{
    unsigned int want = 0;
    size_t want_vcpu = 0;
    size_t i = 0;

    while (i < nvcpus) {
        size_t start = i;
        unsigned int count = 0;

        for (; i < nvcpus && qemuTopologySameGroup(&vcpus[start], &vcpus[i], level); i++) {
            if (i == start || vcpus[i].pos[level] != vcpus[i - 1].pos[level])
                count++;
        }

        if (want == 0) {
            want = count;
            want_vcpu = start;
        } else if (count != want) {
            *failure = g_strdup_printf(_("the pinned host CPUs are not a regular layout: the %s of vCPU %zu holds %u %ss of them, the %s of vCPU %zu holds %u"),
                                       qemuTopologyLevelNames[level - 1], want_vcpu,
                                       want, qemuTopologyLevelNames[level],
                                       qemuTopologyLevelNames[level - 1], start, count);
            return 0;
        }
    }

    return want;
}


/**
 * qemuTopologyDerive:
 * @def: domain definition, every vCPU pinned to a host CPU of its own
 * @numa: the host's NUMA topology (its CPUs' socket, die, cluster and core
 *        ids and thread siblings)
 * @diesSupported: whether the guest can have dies; if not, a socket's
 *                 dies are folded into its clusters (or cores)
 * @clustersSupported: whether the guest can have clusters; if not, a
 *                     die's clusters are folded into its cores
 * @derived: filled in
 *
 * The pinned host CPUs give the guest topology when, in vCPU order, they
 * follow the host order (socket by socket, die by die, cluster by cluster,
 * core by core, thread by thread, as QEMU numbers vCPUs) and are regular
 * (every socket holds as many of their dies as any other, and so on down to
 * the threads of a core). When they are not, @derived->failure says which
 * rule they break.
 *
 * Returns 0 (with or without a failure), -1 on error.
 */
static int
qemuTopologyDerive(const virDomainDef *def,
                   const virCapsHostNUMA *numa,
                   bool diesSupported,
                   bool clustersSupported,
                   qemuTopologyDerived *derived)
{
    size_t nvcpus = virDomainDefGetVcpusMax(def);
    g_autofree qemuTopologyVcpu *vcpus = g_new0(qemuTopologyVcpu, nvcpus);
    unsigned int count[QEMU_TOPOLOGY_LAST];
    unsigned int rest;
    size_t i;

    memset(derived, 0, sizeof(*derived));

    if (!numa) {
        derived->failure = g_strdup(_("the host's CPU topology is not known"));
        return 0;
    }

    for (i = 0; i < nvcpus; i++) {
        int pinned = qemuTopologyPinnedCPU(def, i);
        const virCapsHostNUMACellCPU *host;

        if (pinned < 0) {
            derived->failure = g_strdup_printf(_("vCPU %zu is not pinned to a single host CPU"), i);
            return 0;
        }

        if (!(host = qemuTopologyFindHostCPU(numa, pinned))) {
            derived->failure = g_strdup_printf(_("host CPU %d of vCPU %zu is not in the host's CPU topology"),
                                               pinned, i);
            return 0;
        }

        vcpus[i].cpu = pinned;
        vcpus[i].pos[QEMU_TOPOLOGY_SOCKET] = host->socket_id;
        vcpus[i].pos[QEMU_TOPOLOGY_DIE] = host->die_id;
        vcpus[i].pos[QEMU_TOPOLOGY_CLUSTER] = host->has_cluster_id ? host->cluster_id : 0;
        vcpus[i].pos[QEMU_TOPOLOGY_CORE] = host->core_id;
        vcpus[i].pos[QEMU_TOPOLOGY_THREAD] = qemuTopologyThreadIndex(host);

        if (i > 0 && qemuTopologyCompare(&vcpus[i - 1], &vcpus[i]) >= 0) {
            derived->failure = g_strdup_printf(_("the vCPUs do not follow the host order: vCPU %zu is pinned to host CPU %u, which does not come after host CPU %u of vCPU %zu in socket, die, cluster, core and thread order"),
                                               i, vcpus[i].cpu, vcpus[i - 1].cpu, i - 1);
            return 0;
        }
    }

    for (i = 0; i < QEMU_TOPOLOGY_LAST; i++) {
        if (!(count[i] = qemuTopologyCountLevel(vcpus, nvcpus, i, &derived->failure)))
            return 0;
    }

    derived->sockets = count[QEMU_TOPOLOGY_SOCKET];
    derived->threads = count[QEMU_TOPOLOGY_THREAD];
    derived->cores = count[QEMU_TOPOLOGY_CORE];
    rest = 1;

    if (diesSupported)
        derived->dies = count[QEMU_TOPOLOGY_DIE];
    else
        rest *= count[QEMU_TOPOLOGY_DIE];

    rest *= count[QEMU_TOPOLOGY_CLUSTER];
    if (clustersSupported) {
        derived->clusters = rest;
    } else {
        derived->clusters = 1;
        derived->cores *= rest;
    }

    if (!derived->dies)
        derived->dies = 1;

    return 0;
}


static void
qemuTopologyCacheLevel(virCPUCacheInfoType type,
                       unsigned int *level,
                       virCacheType *hostType)
{
    *hostType = VIR_CACHE_TYPE_BOTH;

    switch (type) {
    case VIR_CPU_CACHE_INFO_TYPE_L1I:
        *level = 1;
        *hostType = VIR_CACHE_TYPE_CODE;
        break;
    case VIR_CPU_CACHE_INFO_TYPE_L1D:
        *level = 1;
        *hostType = VIR_CACHE_TYPE_DATA;
        break;
    case VIR_CPU_CACHE_INFO_TYPE_L1:
        *level = 1;
        break;
    case VIR_CPU_CACHE_INFO_TYPE_L2:
        *level = 2;
        break;
    case VIR_CPU_CACHE_INFO_TYPE_L3:
    case VIR_CPU_CACHE_INFO_TYPE_LAST:
        *level = 3;
        break;
    }
}


static const virCapsHostCacheBank *
qemuTopologyFindBank(const virCapsHostCache *cache,
                     unsigned int level,
                     virCacheType type,
                     unsigned int cpu)
{
    size_t i;

    for (i = 0; i < cache->nbanks; i++) {
        const virCapsHostCacheBank *bank = cache->banks[i];

        if (bank->level == level && bank->type == type &&
            virBitmapIsBitSet(bank->cpus, cpu))
            return bank;
    }

    return NULL;
}


/*
 * Whether every group of @size consecutive vCPUs is pinned to exactly the
 * pinned host CPUs that share one host cache of @level and @type.
 */
static bool
qemuTopologyCacheMatches(const virDomainDef *def,
                         const virCapsHostCache *cache,
                         unsigned int level,
                         virCacheType type,
                         size_t size)
{
    size_t nvcpus = virDomainDefGetVcpusMax(def);
    g_autoptr(virBitmap) pinned = virBitmapNew(0);
    size_t g;
    size_t i;

    for (i = 0; i < nvcpus; i++)
        virBitmapSetBitExpand(pinned, qemuTopologyPinnedCPU(def, i));

    for (g = 0; g < nvcpus; g += size) {
        const virCapsHostCacheBank *bank;
        g_autoptr(virBitmap) group = virBitmapNew(0);
        g_autoptr(virBitmap) shared = NULL;

        if (!(bank = qemuTopologyFindBank(cache, level, type,
                                          qemuTopologyPinnedCPU(def, g))))
            return false;

        for (i = g; i < g + size && i < nvcpus; i++)
            virBitmapSetBitExpand(group, qemuTopologyPinnedCPU(def, i));

        shared = virBitmapNewCopy(bank->cpus);
        virBitmapIntersect(shared, pinned);
        if (!virBitmapEqual(shared, group))
            return false;
    }

    return true;
}


/**
 * qemuTopologyDeriveCaches:
 * @def: domain definition with the derived topology
 * @cache: the host's caches
 * @diesSupported, @clustersSupported: the levels the guest can share a
 *                                     cache at, besides thread, core and
 *                                     socket
 *
 * Gives every <cacheinfo> without a sharing level the guest level whose
 * vCPUs are pinned to the host CPUs sharing one instance of that cache in
 * the host, e.g. 'cluster' for an L3 the host shares per cluster. Caches
 * the host does not report (the host capabilities list L3 and up), or
 * shared along no guest level, keep QEMU's default.
 */
static void
qemuTopologyDeriveCaches(virDomainDef *def,
                         const virCapsHostCache *cache,
                         bool diesSupported,
                         bool clustersSupported)
{
    virCPUDef *cpu = def->cpu;
    size_t i;

    for (i = 0; i < cpu->ncacheinfo; i++) {
        virCPUCacheInfoDef *info = &cpu->cacheinfo[i];
        /* Levels of the same size (a core of one thread, a socket of one
         * die) describe the same sharing: the outermost is taken, which
         * every machine type can have. */
        struct {
            virCPUCacheInfoTopology topology;
            size_t size;
            bool usable;
        } levels[] = {
            { VIR_CPU_CACHE_INFO_TOPOLOGY_SOCKET,
              cpu->dies * cpu->clusters * cpu->cores * cpu->threads, true },
            { VIR_CPU_CACHE_INFO_TOPOLOGY_DIE,
              cpu->clusters * cpu->cores * cpu->threads, diesSupported },
            { VIR_CPU_CACHE_INFO_TOPOLOGY_CLUSTER,
              cpu->cores * cpu->threads, clustersSupported },
            { VIR_CPU_CACHE_INFO_TOPOLOGY_CORE, cpu->threads, true },
            { VIR_CPU_CACHE_INFO_TOPOLOGY_THREAD, 1, true },
        };
        unsigned int level = 0;
        virCacheType type = VIR_CACHE_TYPE_BOTH;
        size_t l;

        if (info->topology != VIR_CPU_CACHE_INFO_TOPOLOGY_DEFAULT)
            continue;

        qemuTopologyCacheLevel(info->cache, &level, &type);
        for (l = 0; l < G_N_ELEMENTS(levels); l++) {
            if (levels[l].usable &&
                qemuTopologyCacheMatches(def, cache, level, type, levels[l].size)) {
                info->topology = levels[l].topology;
                break;
            }
        }
    }
}


/**
 * qemuTopologyWriteReport:
 * @vm: domain being started
 * @logCtxt: its log
 *
 * Writes what qemuTopologyApply did to the domain log, which does not
 * exist yet (or is truncated at start) when the topology is derived.
 */
void
qemuTopologyWriteReport(virDomainObj *vm,
                        qemuDomainLogContext *logCtxt)
{
    qemuDomainObjPrivate *priv = vm->privateData;
    g_autofree char *report = g_steal_pointer(&priv->autoTopologyReport);
    g_autofree char *timestamp = NULL;

    if (!report || !(timestamp = virTimeStringNow()))
        return;

    if (qemuDomainLogContextWrite(logCtxt, "%s: %s\n", timestamp, report) < 0)
        virResetLastError();
}


/**
 * qemuTopologyApply:
 * @driver: the QEMU driver
 * @vm: domain being started, its live definition
 * @flags: VIR_QEMU_PROCESS_START_* flags
 *
 * On a new start (not an incoming migration or a restore, which keep the
 * topology they come with) of a domain whose topology is to be derived
 * (qemuTopologyWanted), puts the topology the pinned host CPUs give into
 * the live definition, with the cache sharing levels that follow from it.
 * When the pinned CPUs give none, or the domain would not be valid with
 * it, the domain starts with the topology it has (the fallback) and the
 * domain log says why.
 *
 * Returns 0 on success (derived or not), -1 on error.
 */
int
qemuTopologyApply(virQEMUDriver *driver,
                  virDomainObj *vm,
                  unsigned int flags)
{
    qemuDomainObjPrivate *priv = vm->privateData;
    virDomainDef *def = vm->def;
    g_autoptr(virQEMUDriverConfig) cfg = virQEMUDriverGetConfig(driver);
    g_autoptr(virCaps) caps = NULL;
    g_autoptr(virCPUDef) fallback = NULL;
    g_autofree char *failure = NULL;
    g_autofree char *message = NULL;
    qemuTopologyDerived derived;
    bool diesSupported;
    bool clustersSupported;

    if (!(flags & VIR_QEMU_PROCESS_START_NEW) ||
        !qemuTopologyWanted(def, cfg->autoTopology))
        return 0;

    if (!(caps = virQEMUDriverGetCapabilities(driver, false)))
        return -1;

    /* QEMU reports die ids on other targets too, but builds dies only for
     * x86 machines */
    diesSupported = virQEMUCapsGet(priv->qemuCaps, QEMU_CAPS_SMP_DIES) &&
                    ARCH_IS_X86(def->os.arch);
    clustersSupported = virQEMUCapsGet(priv->qemuCaps, QEMU_CAPS_SMP_CLUSTERS) &&
                        qemuDomainIsARMVirt(def);

    if (qemuTopologyDerive(def, caps->host.numa, diesSupported,
                           clustersSupported, &derived) < 0)
        return -1;
    failure = g_steal_pointer(&derived.failure);

    if (!failure) {
        if (def->cpu) {
            fallback = virCPUDefCopy(def->cpu);
        } else {
            def->cpu = virCPUDefNew();
            def->cpu->type = VIR_CPU_TYPE_GUEST;
            def->cpu->mode = VIR_CPU_MODE_CUSTOM;
            def->cpu->match = VIR_CPU_MATCH_EXACT;
        }

        def->cpu->sockets = derived.sockets;
        def->cpu->dies = derived.dies;
        def->cpu->clusters = derived.clusters;
        def->cpu->cores = derived.cores;
        def->cpu->threads = derived.threads;
        qemuTopologyDeriveCaches(def, &caps->host.cache, diesSupported,
                                 clustersSupported);

        /* a derived topology is new: the checks of new definitions apply
         * (e.g. the vCPUs of a socket in one NUMA cell for Arm hotplug) */
        if (virDomainDefValidate(def, 0, driver->xmlopt, priv->qemuCaps) < 0 ||
            qemuValidateDomainDefNew(def, priv->qemuCaps) < 0) {
            failure = g_strdup_printf(_("the derived topology sockets=%u dies=%u clusters=%u cores=%u threads=%u does not fit the domain: %s"),
                                      derived.sockets, derived.dies,
                                      derived.clusters, derived.cores,
                                      derived.threads, virGetLastErrorMessage());
            virResetLastError();
            virCPUDefFree(def->cpu);
            def->cpu = g_steal_pointer(&fallback);
        }
    }

    if (!failure) {
        message = g_strdup_printf("auto_topology: sockets=%u dies=%u clusters=%u cores=%u threads=%u, from the host CPUs the vCPUs are pinned to",
                                  derived.sockets, derived.dies, derived.clusters,
                                  derived.cores, derived.threads);
    } else if (def->cpu && def->cpu->sockets) {
        message = g_strdup_printf("warning: auto_topology: %s; starting with the fallback topology sockets=%u dies=%u clusters=%u cores=%u threads=%u",
                                  failure, def->cpu->sockets, def->cpu->dies,
                                  def->cpu->clusters, def->cpu->cores,
                                  def->cpu->threads);
    } else {
        message = g_strdup_printf("warning: auto_topology: %s; starting with libvirt's default topology, one socket per vCPU",
                                  failure);
    }

    if (failure)
        VIR_WARN("domain %s: %s", def->name, message);
    else
        VIR_INFO("domain %s: %s", def->name, message);
    g_free(priv->autoTopologyReport);
    priv->autoTopologyReport = g_steal_pointer(&message);
    return 0;
}
