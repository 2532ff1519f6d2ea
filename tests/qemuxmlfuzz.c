/*
 * qemuxmlfuzz.c: mutate domain XML and check that the QEMU driver's parser
 * refuses a mutant with an error or round-trips it stably; shared by
 * qemuxmlfuzztest and qemuxmlfuzzer
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

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "testutils.h"
#include "testutilsqemu.h"
#include "qemuxmlfuzz.h"

#include "datatypes.h"
#include "domain_postparse.h"
#include "domain_validate.h"
#include "virfile.h"
#include "virfilewrapper.h"
#include "virstring.h"
#include "configmake.h"
#include "qemu/qemu_cpu_arm.h"
#include "qemu/qemu_domain.h"
#include "qemu/qemu_process.h"
#include "qemu/qemu_topology.h"
#include "qemu/qemu_validate.h"

#define LIBVIRT_QEMU_CAPSPRIV_H_ALLOW
#include "qemu/qemu_capspriv.h"

#define VIR_FROM_THIS VIR_FROM_NONE

static virQEMUDriver driver;
static virConnect *conn;
static char *fakerootdir;
static GHashTable *capsLatest;
static GHashTable *capsLoaded;  /* "ARCH VERSION" -> virQEMUCaps */
static char *capsCurrent;       /* the key of the caps in the driver */
static bool driverReady;

/* The hosts auto_topology derives guest topologies from: a Kunpeng 920
 * (2 sockets of 2 dies, a NUMA node each, of 6 clusters of 4 cores, the
 * L3 cache shared by a cluster) for aarch64, two sockets of 8 cores of 2
 * threads otherwise */
static const qemuTestHostTopology hostKunpeng920 = {
    .sockets = 2, .dies = 2, .clusters = 6, .cores = 4, .threads = 1,
    .node = QEMU_TEST_HOST_DIE, .l3 = QEMU_TEST_HOST_CLUSTER,
};

static const qemuTestHostTopology hostX86 = {
    .sockets = 2, .dies = 1, .clusters = 0, .cores = 8, .threads = 2,
    .x86 = true,
    .node = QEMU_TEST_HOST_SOCKET, .l3 = QEMU_TEST_HOST_SOCKET,
};


/*
 * The QEMU test driver, set up as qemuxml2xmltest does.
 */
int
qemuXMLFuzzInit(void)
{
    fakerootdir = g_strdup(abs_builddir "/fakerootdir-XXXXXX");
    if (!g_mkdtemp(fakerootdir)) {
        fprintf(stderr, "Cannot create fakerootdir");
        return -1;
    }
    g_setenv("LIBVIRT_FAKE_ROOT_DIR", fakerootdir, TRUE);

    virFileWrapperAddPrefix(SYSCONFDIR "/qemu/firmware",
                            abs_srcdir "/qemufirmwaredata/etc/qemu/firmware");
    virFileWrapperAddPrefix(PREFIX "/share/qemu/firmware",
                            abs_srcdir "/qemufirmwaredata/usr/share/qemu/firmware");
    virFileWrapperAddPrefix("/home/user/.config/qemu/firmware",
                            abs_srcdir "/qemufirmwaredata/home/user/.config/qemu/firmware");

    if (!(capsLatest = testQemuGetLatestCaps()))
        return -1;
    capsLoaded = virHashNew(virObjectUnref);

    if (qemuTestDriverInit(&driver) < 0)
        return -1;
    driverReady = true;
    driver.privileged = true;

    if (!(conn = virGetConnect()))
        return -1;

    virSetConnectInterface(conn);
    virSetConnectNetwork(conn);
    virSetConnectNWFilter(conn);
    virSetConnectNodeDev(conn);
    virSetConnectSecret(conn);
    virSetConnectStorage(conn);

    return 0;
}


void
qemuXMLFuzzShutdown(void)
{
    virSetConnectInterface(NULL);
    virSetConnectNetwork(NULL);
    virSetConnectNWFilter(NULL);
    virSetConnectNodeDev(NULL);
    virSetConnectSecret(NULL);
    virSetConnectStorage(NULL);
    g_clear_pointer(&conn, virObjectUnref);

    if (driverReady) {
        qemuTestSetHostTopology(driver.caps, NULL);
        qemuTestSetHostArch(&driver, VIR_ARCH_NONE);
        qemuTestDriverFree(&driver);
        driverReady = false;
    }

    g_clear_pointer(&capsLoaded, g_hash_table_unref);
    g_clear_pointer(&capsLatest, g_hash_table_unref);
    g_clear_pointer(&capsCurrent, g_free);

    virFileWrapperClearPrefixes();
    if (fakerootdir && !getenv("LIBVIRT_SKIP_CLEANUP"))
        virFileDeleteTree(fakerootdir);
    g_clear_pointer(&fakerootdir, g_free);
}


/*
 * Puts the capabilities fixture of QEMU @version for @arch into the
 * driver's cache, for every emulator of @arch, with the host of that
 * architecture. Returns -1 if there is no such fixture.
 */
static int
qemuXMLFuzzUseCaps(const char *arch,
                   const char *version)
{
    g_autofree char *key = g_strdup_printf("%s %s", arch, version);
    virQEMUCaps *caps;
    virArch hostArch;

    if (STREQ_NULLABLE(capsCurrent, key))
        return 0;

    if (!(caps = virHashLookup(capsLoaded, key))) {
        g_autofree char *file = NULL;
        virArch a = virArchFromString(arch);

        if (a == VIR_ARCH_NONE)
            return -1;

        if (STREQ(version, "latest")) {
            const char *latest = virHashLookup(capsLatest, arch);

            if (!latest)
                return -1;
            file = g_strdup(latest);
        } else {
            file = g_strdup_printf("%s/caps_%s.%s.xml", TEST_QEMU_CAPS_PATH,
                                   version, arch);
            if (!virFileExists(file))
                return -1;
        }

        if (!(caps = qemuTestParseCapabilitiesArch(a, file)))
            return -1;

        /* as testQemuInfoInitArgs does for 'latest' */
        if (STREQ(version, "latest"))
            virQEMUCapsStripMachineAliases(caps);

        g_hash_table_insert(capsLoaded, g_strdup(key), caps);
    }

    if (qemuTestCapsCacheInsert(driver.qemuCapsCache, caps) < 0)
        return -1;

    hostArch = virQEMUCapsGetArch(caps);
    qemuTestSetHostArch(&driver, hostArch == VIR_ARCH_X86_64 ? VIR_ARCH_NONE : hostArch);
    qemuTestSetHostTopology(driver.caps,
                            hostArch == VIR_ARCH_AARCH64 ? &hostKunpeng920 : &hostX86);

    g_free(capsCurrent);
    capsCurrent = g_steal_pointer(&key);
    return 0;
}


/*
 * The fixture the input names in its qemuxmlfuzz comment, or the default
 * one for its architecture.
 */
static int
qemuXMLFuzzSelectCaps(xmlDocPtr doc,
                      xmlNodePtr domain)
{
    g_autofree char *arch = NULL;
    xmlNodePtr n;

    for (n = doc->children; n; n = n->next) {
        const char *text = (const char *) n->content;
        g_autofree char *words0 = NULL;
        g_auto(GStrv) words = NULL;

        if (n->type != XML_COMMENT_NODE || !text)
            continue;

        while (g_ascii_isspace(*text))
            text++;
        if (!(text = STRSKIP(text, QEMU_XML_FUZZ_CAPS_COMMENT)))
            continue;

        /* a fixture named but missing refuses the input: it must not
         * silently be checked with another one */
        words0 = g_strstrip(g_strdup(text));
        words = g_strsplit_set(words0, " \t\n", 0);
        if (g_strv_length(words) != 2)
            return -1;
        return qemuXMLFuzzUseCaps(words[0], words[1]);
    }

    for (n = domain ? domain->children : NULL; n && !arch; n = n->next) {
        xmlNodePtr t;

        if (n->type != XML_ELEMENT_NODE || !virXMLNodeNameEqual(n, "os"))
            continue;
        for (t = n->children; t; t = t->next) {
            if (t->type == XML_ELEMENT_NODE && virXMLNodeNameEqual(t, "type")) {
                arch = virXMLPropString(t, "arch");
                break;
            }
        }
    }

    if (STREQ_NULLABLE(arch, "aarch64") &&
        qemuXMLFuzzUseCaps("aarch64", "8.2.0_kunpeng") == 0)
        return 0;

    if (arch && qemuXMLFuzzUseCaps(arch, "latest") == 0)
        return 0;

    return qemuXMLFuzzUseCaps("x86_64", "latest");
}


/* A refusal is fine when it says why. */
static qemuXMLFuzzResult
qemuXMLFuzzRefused(qemuXMLFuzzStats *stats,
                   char **report,
                   const char *what)
{
    virErrorPtr err = virGetLastError();

    if (!err || !err->message || !*err->message) {
        *report = g_strdup_printf("%s, but no error was reported", what);
        return QEMU_XML_FUZZ_FAILED;
    }

    if (err->code == VIR_ERR_INTERNAL_ERROR)
        stats->refusedInternal++;

    *report = g_strdup_printf("%s: %s", what, err->message);
    return QEMU_XML_FUZZ_REFUSED;
}


static virQEMUCaps *
qemuXMLFuzzDefCaps(const virDomainDef *def)
{
    return virQEMUCapsCacheLookup(driver.qemuCapsCache, def->emulator);
}


/*
 * virDomainDefCheckABIStability, but for two known bugs of upstream
 * libvirt 9.0, where the definition keeps what its XML loses and the
 * check reports a CPU mismatch; the rest is compared then:
 *
 * - a guest CPU with nothing to format (an empty <cpu/> where the QEMU
 *   driver sets no default CPU model, as for KVM on Arm);
 * - the model (and vendor) of a host-passthrough or maximum CPU, given in
 *   the XML or set as the default (qemu64 on x86), which only custom and
 *   host-model CPUs format.
 */
static bool
qemuXMLFuzzABIStable(virDomainDef *def,
                     virDomainDef *copy)
{
    g_autofree char *cpu = NULL;
    virCPUDef *empty = NULL;
    char *model = NULL;
    char *vendor = NULL;
    bool ret;

    if (def->cpu && !copy->cpu &&
        !(cpu = virCPUDefFormat(def->cpu, def->numa)))
        empty = g_steal_pointer(&def->cpu);

    if (def->cpu && copy->cpu && !copy->cpu->model &&
        (def->cpu->mode == VIR_CPU_MODE_HOST_PASSTHROUGH ||
         def->cpu->mode == VIR_CPU_MODE_MAXIMUM)) {
        model = g_steal_pointer(&def->cpu->model);
        vendor = g_steal_pointer(&def->cpu->vendor);
    }

    ret = virDomainDefCheckABIStability(def, copy, driver.xmlopt);

    if (empty)
        def->cpu = empty;
    if (model)
        def->cpu->model = model;
    if (vendor)
        def->cpu->vendor = vendor;

    return ret;
}


/*
 * Formats @def as the persistent configuration (as qemuxml2xmltest does),
 * parses that back with @parseFlags and formats it again: the second
 * parse must succeed, both formats must be byte-identical and the two
 * definitions ABI-compatible.
 */
static int
qemuXMLFuzzRoundTrip(virDomainDef *def,
                     unsigned int parseFlags,
                     const char *what,
                     char **report)
{
    unsigned int formatFlags = VIR_DOMAIN_DEF_FORMAT_SECURE |
                               VIR_DOMAIN_DEF_FORMAT_INACTIVE;
    g_autofree char *first = NULL;
    g_autofree char *second = NULL;
    g_autoptr(virDomainDef) copy = NULL;

    virResetLastError();
    if (!(first = virDomainDefFormat(def, driver.xmlopt, formatFlags))) {
        *report = g_strdup_printf("%s cannot be formatted: %s",
                                  what, virGetLastErrorMessage());
        return -1;
    }

    if (!(copy = virDomainDefParseString(first, driver.xmlopt, NULL,
                                         parseFlags))) {
        *report = g_strdup_printf("%s is formatted as XML that is refused: %s\n"
                                  "--- formatted XML:\n%s",
                                  what, virGetLastErrorMessage(), first);
        return -1;
    }

    if (!(second = virDomainDefFormat(copy, driver.xmlopt, formatFlags))) {
        *report = g_strdup_printf("%s, parsed back, cannot be formatted: %s",
                                  what, virGetLastErrorMessage());
        return -1;
    }

    if (STRNEQ(first, second)) {
        *report = g_strdup_printf("%s is formatted differently once parsed back\n"
                                  "--- first format:\n%s"
                                  "--- second format:\n%s",
                                  what, first, second);
        return -1;
    }

    if (!qemuXMLFuzzABIStable(def, copy)) {
        *report = g_strdup_printf("%s, parsed back, is not ABI-compatible with itself: %s\n"
                                  "--- formatted XML:\n%s",
                                  what, virGetLastErrorMessage(), first);
        return -1;
    }

    return 0;
}


/*
 * A copy of the guest CPU (libvirt copies it to start a domain, to keep
 * auto_topology's fallback, ...) must be the same CPU.
 */
static int
qemuXMLFuzzCPUCopy(virDomainDef *def,
                   char **report)
{
    g_autoptr(virCPUDef) copy = NULL;
    g_autofree char *original = NULL;
    g_autofree char *copied = NULL;

    if (!def->cpu)
        return 0;

    copy = virCPUDefCopy(def->cpu);
    original = virCPUDefFormat(def->cpu, NULL);
    copied = virCPUDefFormat(copy, NULL);

    if (STRNEQ_NULLABLE(original, copied) ||
        !virCPUDefIsEqual(def->cpu, copy, true)) {
        *report = g_strdup_printf("a copy of the guest CPU differs: %s\n"
                                  "--- CPU:\n%s--- copy:\n%s",
                                  virGetLastErrorMessage(), NULLSTR(original),
                                  NULLSTR(copied));
        return -1;
    }

    return 0;
}


/* A start that was refused: fine with an error (0), a failure without
 * one (-1, @report says so) */
static int
qemuXMLFuzzStartRefused(qemuXMLFuzzStats *stats,
                        char **report)
{
    g_autofree char *refusal = NULL;

    if (qemuXMLFuzzRefused(stats, &refusal,
                           "the start is refused") == QEMU_XML_FUZZ_FAILED) {
        *report = g_steal_pointer(&refusal);
        return -1;
    }

    stats->startRefused++;
    return 0;
}


/*
 * What starting the domain does to its definition (qemuProcessPrepareDomain):
 * auto_topology derives its topology from the pinning (qemuTopologyApply),
 * then a host-passthrough CPU takes the cache geometry its <cacheinfo>
 * leaves out from the host (as qemuProcessUpdateGuestCPUCaches). The
 * result goes into the live XML and to migration destinations: it must
 * be accepted and formatted stably too. A start may be refused, with an
 * error.
 */
static int
qemuXMLFuzzStart(virDomainDef **def,
                 virQEMUCaps *qemuCaps,
                 qemuXMLFuzzStats *stats,
                 char **report)
{
    virDomainObj *vm = NULL;
    qemuDomainObjPrivate *priv;
    virCPUDef *cpu;
    bool changed = false;
    int ret = -1;

    if (!(vm = virDomainObjNew(driver.xmlopt)))
        return -1;
    vm->def = g_steal_pointer(def);
    priv = vm->privateData;
    priv->qemuCaps = virObjectRef(qemuCaps);

    virResetLastError();
    if (qemuTopologyApply(&driver, vm, VIR_QEMU_PROCESS_START_NEW) < 0) {
        *report = g_strdup_printf("deriving the topology (auto_topology) failed: %s",
                                  virGetLastErrorMessage());
        goto cleanup;
    }

    if (priv->autoTopologyReport &&
        STRPREFIX(priv->autoTopologyReport, "auto_topology:")) {
        stats->derived++;
        changed = true;
    }

    cpu = vm->def->cpu;
    if (cpu && cpu->mode == VIR_CPU_MODE_HOST_PASSTHROUGH &&
        cpu->ncacheinfo > 0 &&
        virQEMUCapsGet(qemuCaps, QEMU_CAPS_MACHINE_SMP_CACHE_SIZE)) {
        const virHostCPUCache *caches = NULL;
        size_t ncaches = 0;

        virQEMUDriverGetHostCPUCaches(&driver, &caches, &ncaches);
        virResetLastError();
        if (virCPUCacheInfoFillFromHost(cpu, caches, ncaches) < 0) {
            ret = qemuXMLFuzzStartRefused(stats, report);
            goto cleanup;
        }
        changed = true;
    }

    /* an aarch64 KVM CPU of a Kunpeng model runs as the host CPU with ID
     * register fields lowered (qemuProcessUpdateGuestCPU) */
    if (qemuCPUSysregsNeeded(vm->def)) {
        virResetLastError();
        if (qemuCPUSysregsValidate(vm->def, qemuCaps) < 0) {
            ret = qemuXMLFuzzStartRefused(stats, report);
            goto cleanup;
        }
    }

    if (changed &&
        qemuXMLFuzzRoundTrip(vm->def, VIR_DOMAIN_DEF_PARSE_INACTIVE,
                             "the definition as started", report) < 0)
        goto cleanup;

    ret = 0;

 cleanup:
    virDomainObjEndAPI(&vm);
    return ret;
}


/*
 * A domain XML, as 'virsh define' gives it (qemuDomainDefineXMLFlags).
 */
static qemuXMLFuzzResult
qemuXMLFuzzCheckDomain(const char *xml,
                       qemuXMLFuzzStats *stats,
                       char **report)
{
    g_autoptr(virDomainDef) def = NULL;
    g_autoptr(virQEMUCaps) qemuCaps = NULL;
    qemuXMLFuzzResult result = QEMU_XML_FUZZ_ACCEPTED;

    virResetLastError();
    if (!(def = virDomainDefParseString(xml, driver.xmlopt, NULL,
                                        VIR_DOMAIN_DEF_PARSE_INACTIVE |
                                        VIR_DOMAIN_DEF_PARSE_ABI_UPDATE)))
        return qemuXMLFuzzRefused(stats, report, "the domain XML is refused");

    if (!(qemuCaps = qemuXMLFuzzDefCaps(def))) {
        *report = g_strdup_printf("no capabilities for emulator '%s'",
                                  NULLSTR(def->emulator));
        return QEMU_XML_FUZZ_FAILED;
    }

    /* A domain libvirt already has (an older config, an incoming
     * migration) skips these; its format must be stable all the same. */
    virResetLastError();
    if (qemuValidateDomainDefNew(def, qemuCaps) < 0) {
        if (qemuXMLFuzzRefused(stats, report,
                               "a new definition is refused") == QEMU_XML_FUZZ_FAILED)
            return QEMU_XML_FUZZ_FAILED;
        result = QEMU_XML_FUZZ_ACCEPTED_OLD;
    }

    /* the flags of the next parse, of the saved config, validating it */
    if (qemuXMLFuzzRoundTrip(def, VIR_DOMAIN_DEF_PARSE_INACTIVE,
                             "the definition", report) < 0 ||
        qemuXMLFuzzCPUCopy(def, report) < 0 ||
        qemuXMLFuzzStart(&def, qemuCaps, stats, report) < 0)
        return QEMU_XML_FUZZ_FAILED;

    return result;
}


/*
 * A memory device attached to the persistent definition of a domain, as
 * 'virsh attach-memory --config' does: the steps of
 * qemuDomainAttachDeviceLiveAndConfig and qemuDomainAttachDeviceConfig
 * for a memory device.
 */
static qemuXMLFuzzResult
qemuXMLFuzzCheckAttach(xmlDocPtr doc,
                       xmlNodePtr domainNode,
                       xmlNodePtr memoryNode,
                       qemuXMLFuzzStats *stats,
                       char **report)
{
    unsigned int parseFlags = VIR_DOMAIN_DEF_PARSE_INACTIVE |
                              VIR_DOMAIN_DEF_PARSE_ABI_UPDATE;
    g_autofree char *domainXML = virXMLNodeToString(doc, domainNode);
    g_autofree char *memoryXML = virXMLNodeToString(doc, memoryNode);
    g_autoptr(virDomainDef) def = NULL;
    g_autoptr(virQEMUCaps) qemuCaps = NULL;
    g_autoptr(virDomainDeviceDef) dev = NULL;
    g_autofree char *refusal = NULL;

    if (!domainXML || !memoryXML) {
        *report = g_strdup("cannot format the nodes of the <attach> document");
        return QEMU_XML_FUZZ_FAILED;
    }

    virResetLastError();
    if (!(def = virDomainDefParseString(domainXML, driver.xmlopt, NULL,
                                        parseFlags)))
        return qemuXMLFuzzRefused(stats, report, "the domain XML is refused");

    if (!(qemuCaps = qemuXMLFuzzDefCaps(def))) {
        *report = g_strdup_printf("no capabilities for emulator '%s'",
                                  NULLSTR(def->emulator));
        return QEMU_XML_FUZZ_FAILED;
    }

    virResetLastError();
    if (!(dev = virDomainDeviceDefParse(memoryXML, def, driver.xmlopt,
                                        qemuCaps, parseFlags)))
        return qemuXMLFuzzRefused(stats, report, "the memory device XML is refused");

    if (dev->type != VIR_DOMAIN_DEVICE_MEMORY) {
        *report = g_strdup_printf("a <memory> element parsed as a device of type '%s'",
                                  virDomainDeviceTypeToString(dev->type));
        return QEMU_XML_FUZZ_FAILED;
    }

    if (virDomainDefCompatibleDevice(def, dev, NULL,
                                     VIR_DOMAIN_DEVICE_ACTION_ATTACH,
                                     false) < 0)
        return qemuXMLFuzzRefused(stats, report, "the memory device is refused");

    if (def->nmems == def->mem.memory_slots) {
        /* the driver's own check, with its own error */
        *report = g_strdup("no free memory device slot");
        return QEMU_XML_FUZZ_REFUSED;
    }

    def->mem.cur_balloon += dev->data.memory->size;
    if (virDomainMemoryInsert(def, dev->data.memory) < 0)
        return qemuXMLFuzzRefused(stats, report, "the memory device is not inserted");
    dev->data.memory = NULL;

    if (virDomainDefPostParse(def, parseFlags, driver.xmlopt, qemuCaps) < 0)
        return qemuXMLFuzzRefused(stats, report,
                                  "the definition with the memory device is refused");

    /* The driver saves this definition without validating it, and
     * reads it back (virDomainObjListLoadAllConfigs) without validating it
     * either: it must parse and format stably. */
    if (qemuXMLFuzzRoundTrip(def, VIR_DOMAIN_DEF_PARSE_INACTIVE |
                             VIR_DOMAIN_DEF_PARSE_SKIP_VALIDATE,
                             "the definition with the memory device", report) < 0)
        return QEMU_XML_FUZZ_FAILED;

    /* Its next start validates it: say when that refuses it. */
    virResetLastError();
    if (virDomainDefValidate(def, 0, driver.xmlopt, qemuCaps) < 0) {
        if (qemuXMLFuzzRefused(stats, &refusal,
                               "the definition with the memory device does not validate") == QEMU_XML_FUZZ_FAILED) {
            *report = g_steal_pointer(&refusal);
            return QEMU_XML_FUZZ_FAILED;
        }
        *report = g_steal_pointer(&refusal);
        return QEMU_XML_FUZZ_ACCEPTED_OLD;
    }

    return QEMU_XML_FUZZ_ACCEPTED;
}


static xmlNodePtr
qemuXMLFuzzChild(xmlNodePtr node,
                 const char *name)
{
    xmlNodePtr n;

    for (n = node ? node->children : NULL; n; n = n->next) {
        if (n->type == XML_ELEMENT_NODE && virXMLNodeNameEqual(n, name))
            return n;
    }

    return NULL;
}


/*
 * Known bugs of upstream libvirt 9.0, which the fuzzer leaves out (see
 * also qemuXMLFuzzABIStable).
 *
 * The parser refuses more vCPUs than this (virDomainVcpuParse); the checks
 * below must not allocate them either.
 */
#define QEMU_XML_FUZZ_MAX_VCPUS 16384

typedef struct {
    bool online;
    virTristateBool hotpluggable;
    unsigned int order;
} qemuXMLFuzzVcpu;


/* The order rules of qemuDomainDefVcpusPostParse for non-hotpluggable
 * vCPUs */
static bool
qemuXMLFuzzVcpuOrderOK(const qemuXMLFuzzVcpu *vcpus,
                       size_t n)
{
    size_t i;

    for (i = 1; i < n; i++) {
        if (vcpus[i].hotpluggable == VIR_TRISTATE_BOOL_NO &&
            (vcpus[i - 1].hotpluggable == VIR_TRISTATE_BOOL_YES ||
             vcpus[i - 1].order > vcpus[i].order))
            return false;
    }

    return true;
}


/*
 * qemuDomainDefVcpusPostParse checks the order of non-hotpluggable vCPUs
 * before the generic post-parse gives the vCPUs of <vcpus> without a
 * 'hotpluggable' (or missing from it) their default: the definition passes
 * and its formatted XML does not. Whether @domain is such a definition.
 */
static bool
qemuXMLFuzzVcpuOrderUnchecked(xmlNodePtr domain,
                              unsigned int maxvcpus)
{
    xmlNodePtr vcpusNode = qemuXMLFuzzChild(domain, "vcpus");
    g_autofree qemuXMLFuzzVcpu *vcpus = NULL;
    xmlNodePtr n;
    size_t i;

    if (!vcpusNode || maxvcpus == 0)
        return false;

    vcpus = g_new0(qemuXMLFuzzVcpu, maxvcpus);
    for (n = vcpusNode->children; n; n = n->next) {
        g_autofree char *id = NULL;
        g_autofree char *enabled = NULL;
        g_autofree char *hotpluggable = NULL;
        g_autofree char *order = NULL;
        unsigned int v;

        if (n->type != XML_ELEMENT_NODE || !virXMLNodeNameEqual(n, "vcpu") ||
            !(id = virXMLPropString(n, "id")) ||
            virStrToLong_ui(id, NULL, 10, &v) < 0 || v >= maxvcpus)
            continue;

        enabled = virXMLPropString(n, "enabled");
        hotpluggable = virXMLPropString(n, "hotpluggable");
        order = virXMLPropString(n, "order");
        vcpus[v].online = STREQ_NULLABLE(enabled, "yes");
        vcpus[v].hotpluggable = VIR_TRISTATE_BOOL_ABSENT;
        if (hotpluggable && virTristateBoolTypeFromString(hotpluggable) > 0)
            vcpus[v].hotpluggable = virTristateBoolTypeFromString(hotpluggable);
        vcpus[v].order = 0;
        if (order)
            ignore_value(virStrToLong_ui(order, NULL, 10, &vcpus[v].order));
    }

    if (!qemuXMLFuzzVcpuOrderOK(vcpus, maxvcpus))
        return false;

    for (i = 0; i < maxvcpus; i++) {
        if (vcpus[i].hotpluggable == VIR_TRISTATE_BOOL_ABSENT)
            vcpus[i].hotpluggable = vcpus[i].online ? VIR_TRISTATE_BOOL_NO :
                                                      VIR_TRISTATE_BOOL_YES;
    }

    return !qemuXMLFuzzVcpuOrderOK(vcpus, maxvcpus);
}


/* What known bug of upstream libvirt @domain hits, or NULL */
static const char *
qemuXMLFuzzUpstreamBug(xmlNodePtr domain)
{
    xmlNodePtr vcpu = qemuXMLFuzzChild(domain, "vcpu");
    g_autofree char *text = NULL;
    unsigned int maxvcpus = 1;

    if (vcpu && (text = virXMLNodeContentString(vcpu)) &&
        virStrToLong_ui(text, NULL, 10, &maxvcpus) == 0 &&
        maxvcpus > QEMU_XML_FUZZ_MAX_VCPUS)
        return NULL;

    if (qemuXMLFuzzVcpuOrderUnchecked(domain, maxvcpus))
        return "vCPUs without 'hotpluggable' out of the order of the others (upstream)";

    return NULL;
}


/**
 * qemuXMLFuzzCheck:
 * @xml: a domain or <attach> document (see qemuxmlfuzz.h)
 * @stats: counts the result
 * @report: set to what was refused, or to what failed
 *
 * Checks @xml with the QEMU driver: a domain is parsed as a new
 * definition (with the driver's post-parse and validation callbacks and
 * the checks of new definitions), then formatted, parsed back and
 * formatted again; then changed as a start changes it (auto_topology,
 * the cache geometry of the host) and round-tripped again. An <attach>
 * document attaches its memory device to the persistent definition of
 * its domain, which then round-trips.
 *
 * Returns QEMU_XML_FUZZ_FAILED when something is wrong: a refusal without
 * an error, a definition that cannot be formatted, formatted XML that is
 * refused or formats differently, or an error where none may occur.
 */
qemuXMLFuzzResult
qemuXMLFuzzCheck(const char *xml,
                 qemuXMLFuzzStats *stats,
                 char **report)
{
    g_autoptr(xmlDoc) doc = NULL;
    xmlNodePtr root = NULL;
    xmlNodePtr domain = NULL;
    const char *skip;
    qemuXMLFuzzResult result;

    *report = NULL;
    stats->cases++;

    /* Not well-formed XML goes to libvirt's parser all the same, which
     * must say so. */
    if ((doc = xmlReadMemory(xml, strlen(xml), NULL, NULL,
                             XML_PARSE_NONET | XML_PARSE_NOERROR |
                             XML_PARSE_NOWARNING)))
        root = xmlDocGetRootElement(doc);

    if (root && virXMLNodeNameEqual(root, "attach"))
        domain = qemuXMLFuzzChild(root, "domain");
    else if (root && virXMLNodeNameEqual(root, "domain"))
        domain = root;

    if (domain && (skip = qemuXMLFuzzUpstreamBug(domain))) {
        *report = g_strdup(skip);
        result = QEMU_XML_FUZZ_SKIPPED;
    } else if (doc && qemuXMLFuzzSelectCaps(doc, domain) < 0) {
        *report = g_strdup("the QEMU capabilities fixture the input names is missing");
        result = QEMU_XML_FUZZ_REFUSED;
    } else if (root && virXMLNodeNameEqual(root, "attach")) {
        xmlNodePtr memory = qemuXMLFuzzChild(root, "memory");

        if (domain && memory) {
            result = qemuXMLFuzzCheckAttach(doc, domain, memory, stats, report);
        } else {
            *report = g_strdup("an <attach> document needs a <domain> and a <memory>");
            result = QEMU_XML_FUZZ_REFUSED;
        }
    } else {
        result = qemuXMLFuzzCheckDomain(xml, stats, report);
    }

    switch (result) {
    case QEMU_XML_FUZZ_ACCEPTED:
        stats->accepted++;
        break;
    case QEMU_XML_FUZZ_ACCEPTED_OLD:
        stats->acceptedOld++;
        break;
    case QEMU_XML_FUZZ_REFUSED:
        stats->refused++;
        break;
    case QEMU_XML_FUZZ_SKIPPED:
        stats->skipped++;
        break;
    case QEMU_XML_FUZZ_FAILED:
        stats->failed++;
        break;
    }

    virResetLastError();
    return result;
}


/*
 * The mutator. A deterministic PRNG (splitmix64), so that a seed gives the
 * same mutants on every machine and every glib.
 */
typedef struct {
    unsigned long long state;
} qemuXMLFuzzRand;

static unsigned long long
qemuXMLFuzzRandNext(qemuXMLFuzzRand *r)
{
    unsigned long long z = (r->state += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}


static size_t
qemuXMLFuzzRandPick(qemuXMLFuzzRand *r,
                    size_t n)
{
    return n ? qemuXMLFuzzRandNext(r) % n : 0;
}


/* The elements the project added or changed, and those the checks of
 * them depend on, relative to a <domain> */
static const char *qemuXMLFuzzDomainElements[] = {
    "./cpu", "./cpu/topology", "./cpu/cacheinfo", "./cpu/numa",
    "./cpu/numa/cell",
    "./vcpu", "./vcpus", "./vcpus/vcpu", "./cputune/vcpupin",
    "./maxMemory", "./memory", "./currentMemory",
    "./devices/memory", "./devices/memory/target",
    "./devices/memory/target/*", "./devices/memory/source/*",
    "./devices/memory/address",
    "./os/loader", "./features/acpi",
    "./cpu/model", "./cpu/feature", "./cpu/migration",
    "./cpu/migration/target", "./cpu/migration/pmu",
    "./cpu/migration/pmu/deny",
    /* their attributes only */
    "./os/type", "./features/gic",
};

/* the first elements of qemuXMLFuzzDomainElements are removed and
 * duplicated too */
#define QEMU_XML_FUZZ_DOMAIN_STRUCTURAL (G_N_ELEMENTS(qemuXMLFuzzDomainElements) - 2)

/* ... and relative to an <attach> */
static const char *qemuXMLFuzzAttachElements[] = {
    "./memory", "./memory/target", "./memory/target/*",
    "./memory/source/*", "./memory/address",
};

typedef enum {
    QEMU_XML_FUZZ_VALUE_NUMBER,
    QEMU_XML_FUZZ_VALUE_UNIT,
    QEMU_XML_FUZZ_VALUE_BOOL,
    QEMU_XML_FUZZ_VALUE_CACHE,
    QEMU_XML_FUZZ_VALUE_SHARING,
    QEMU_XML_FUZZ_VALUE_CPUSET,
    QEMU_XML_FUZZ_VALUE_MODEL,
    QEMU_XML_FUZZ_VALUE_MACHINE,
    QEMU_XML_FUZZ_VALUE_GIC,
    QEMU_XML_FUZZ_VALUE_ACCESS,
    QEMU_XML_FUZZ_VALUE_PLACEMENT,
    QEMU_XML_FUZZ_VALUE_ADDRESS,
    QEMU_XML_FUZZ_VALUE_CACHETUNE_TYPE,
    QEMU_XML_FUZZ_VALUE_HEX,
    QEMU_XML_FUZZ_VALUE_CPU_MODE,
    QEMU_XML_FUZZ_VALUE_CPU_MODEL,
    QEMU_XML_FUZZ_VALUE_CPU_FEATURE,
    QEMU_XML_FUZZ_VALUE_CPU_POLICY,

    QEMU_XML_FUZZ_VALUE_LAST
} qemuXMLFuzzValueKind;

static const char *qemuXMLFuzzNumbers[] = {
    "0", "-1", "1", "2", "3", "4", "7", "8", "64", "255", "256",
    "65535", "65536", "2147483647", "2147483648", "4294967295",
    "4294967296", "9223372036854775807", "9223372036854775808",
    "18446744073709551615", "18446744073709551616",
    "99999999999999999999999", "1e3", "0x10", "010", " 7", "7 ", "+7",
    "3.5", "-0", "", "abc", "7abc", NULL
};

static const char *qemuXMLFuzzUnits[] = {
    "b", "bytes", "KB", "k", "K", "KiB", "kib", "KIB", "kiB", "MB", "M",
    "MiB", "mib", "MIB", "GB", "G", "GiB", "gib", "TB", "T", "TiB", "PB",
    "P", "PiB", "EB", "E", "EiB", "ZiB", "iB", "kb", "", " KiB", "x", NULL
};

static const char *qemuXMLFuzzBools[] = {
    "yes", "no", "on", "off", "YES", "Yes", "No", "true", "1", "0", "",
    "absent", "default", NULL
};

static const char *qemuXMLFuzzCaches[] = {
    "l1i", "l1d", "l1", "l2", "l3", "L1", "L3", "L1i", "l1I", "l4", "l0",
    "l1x", "", NULL
};

static const char *qemuXMLFuzzSharing[] = {
    "default", "thread", "core", "cluster", "die", "socket", "book",
    "drawer", "module", "Cluster", "CORE", "", NULL
};

static const char *qemuXMLFuzzCpusets[] = {
    "0", "1", "2", "0-1", "0-3", "0,2", "1-0", "0-7,^3", "^0", "0,0",
    "-1", "", "x", "0-", "95", "96", "0-95", "100000", "4294967295",
    "0-4294967295", "18446744073709551616", NULL
};

static const char *qemuXMLFuzzModels[] = {
    "dimm", "virtio-mem", "nvdimm", "virtio-pmem", "sgx-epc", "DIMM",
    "Virtio-Mem", "", NULL
};

static const char *qemuXMLFuzzMachines[] = {
    "virt", "virt-4.1", "virt-4.2", "virt-6.2", "virt-8.2", "virt-99.0",
    "pc", "q35", "pc-i440fx-8.0", "pc-q35-8.0", "isapc", "", NULL
};

static const char *qemuXMLFuzzGics[] = {
    "2", "3", "4", "host", "0", "", NULL
};

static const char *qemuXMLFuzzAccess[] = {
    "shared", "private", "Shared", "", NULL
};

static const char *qemuXMLFuzzPlacement[] = {
    "static", "auto", "Static", "", NULL
};

static const char *qemuXMLFuzzAddresses[] = {
    "dimm", "pci", "virtio-mem", "none", "", NULL
};

static const char *qemuXMLFuzzCachetuneTypes[] = {
    "both", "code", "data", "priority", "max", "min", "Priority", "prio",
    "", NULL
};

/* MIDR_EL1 and REVIDR_EL1 values, PMU event numbers */
static const char *qemuXMLFuzzHex[] = {
    "0x481fd010", "0x482fd020", "0x483fd030", "0x4810d010", "481fd010",
    "0x0", "0", "0x11", "0xffff", "0x10000", "0xffffffff", "0x100000000",
    "0xffffffffffffffff", "0x10000000000000000", "0x", "-0x1", "0xg",
    "0X11", "", NULL
};

static const char *qemuXMLFuzzCpuModes[] = {
    "custom", "host-model", "host-passthrough", "maximum", "Custom", "",
    NULL
};

static const char *qemuXMLFuzzCpuModels[] = {
    "Kunpeng-920", "Kunpeng-920-V1", "Kunpeng-920-V2", "Kunpeng-950-V1",
    "cortex-a57", "host", "max", "Kunpeng-999", "kunpeng-920", "", NULL
};

static const char *qemuXMLFuzzCpuFeatures[] = {
    "sve", "sha3", "aes", "pmull", "fp", "fphp", "asimd", "paca", "bti",
    "evtstrm", "sve128", "sha512", "ls64", "nosuchfeature", "", NULL
};

static const char *qemuXMLFuzzCpuPolicies[] = {
    "require", "disable", "force", "forbid", "optional", "Disable", "",
    NULL
};

static const char **qemuXMLFuzzValues[QEMU_XML_FUZZ_VALUE_LAST] = {
    [QEMU_XML_FUZZ_VALUE_NUMBER] = qemuXMLFuzzNumbers,
    [QEMU_XML_FUZZ_VALUE_UNIT] = qemuXMLFuzzUnits,
    [QEMU_XML_FUZZ_VALUE_BOOL] = qemuXMLFuzzBools,
    [QEMU_XML_FUZZ_VALUE_CACHE] = qemuXMLFuzzCaches,
    [QEMU_XML_FUZZ_VALUE_SHARING] = qemuXMLFuzzSharing,
    [QEMU_XML_FUZZ_VALUE_CPUSET] = qemuXMLFuzzCpusets,
    [QEMU_XML_FUZZ_VALUE_MODEL] = qemuXMLFuzzModels,
    [QEMU_XML_FUZZ_VALUE_MACHINE] = qemuXMLFuzzMachines,
    [QEMU_XML_FUZZ_VALUE_GIC] = qemuXMLFuzzGics,
    [QEMU_XML_FUZZ_VALUE_ACCESS] = qemuXMLFuzzAccess,
    [QEMU_XML_FUZZ_VALUE_PLACEMENT] = qemuXMLFuzzPlacement,
    [QEMU_XML_FUZZ_VALUE_ADDRESS] = qemuXMLFuzzAddresses,
    [QEMU_XML_FUZZ_VALUE_CACHETUNE_TYPE] = qemuXMLFuzzCachetuneTypes,
    [QEMU_XML_FUZZ_VALUE_HEX] = qemuXMLFuzzHex,
    [QEMU_XML_FUZZ_VALUE_CPU_MODE] = qemuXMLFuzzCpuModes,
    [QEMU_XML_FUZZ_VALUE_CPU_MODEL] = qemuXMLFuzzCpuModels,
    [QEMU_XML_FUZZ_VALUE_CPU_FEATURE] = qemuXMLFuzzCpuFeatures,
    [QEMU_XML_FUZZ_VALUE_CPU_POLICY] = qemuXMLFuzzCpuPolicies,
};


/* What an attribute @name of @elem, or the text of @elem when @name is
 * NULL, holds */
static qemuXMLFuzzValueKind
qemuXMLFuzzKind(xmlNodePtr elem,
                const char *name)
{
    const char *e = (const char *) elem->name;

    if (!name) {
        if (STREQ(e, "nodemask"))
            return QEMU_XML_FUZZ_VALUE_CPUSET;
        if (STREQ(e, "model"))
            return QEMU_XML_FUZZ_VALUE_CPU_MODEL;
        return QEMU_XML_FUZZ_VALUE_NUMBER;
    }

    if (STREQ(name, "midr") || STREQ(name, "revidr") || STREQ(name, "event"))
        return QEMU_XML_FUZZ_VALUE_HEX;
    if (STREQ(e, "cpu") && STREQ(name, "mode"))
        return QEMU_XML_FUZZ_VALUE_CPU_MODE;
    if (STREQ(e, "feature") && STREQ(name, "name"))
        return QEMU_XML_FUZZ_VALUE_CPU_FEATURE;
    if (STREQ(e, "feature") && STREQ(name, "policy"))
        return QEMU_XML_FUZZ_VALUE_CPU_POLICY;

    if (STREQ(name, "unit"))
        return QEMU_XML_FUZZ_VALUE_UNIT;
    if (STREQ(name, "auto_topology") || STREQ(name, "enabled") ||
        STREQ(name, "hotpluggable") || STREQ(name, "discard"))
        return QEMU_XML_FUZZ_VALUE_BOOL;
    if (STREQ(name, "cache"))
        return QEMU_XML_FUZZ_VALUE_CACHE;
    if (STREQ(name, "topology"))
        return QEMU_XML_FUZZ_VALUE_SHARING;
    if (STREQ(name, "cpus") || STREQ(name, "cpuset") || STREQ(name, "vcpus"))
        return QEMU_XML_FUZZ_VALUE_CPUSET;
    if (STREQ(e, "cache") && STREQ(name, "type"))
        return QEMU_XML_FUZZ_VALUE_CACHETUNE_TYPE;
    if (STREQ(name, "model"))
        return QEMU_XML_FUZZ_VALUE_MODEL;
    if (STREQ(name, "machine"))
        return QEMU_XML_FUZZ_VALUE_MACHINE;
    if (STREQ(e, "gic") && STREQ(name, "version"))
        return QEMU_XML_FUZZ_VALUE_GIC;
    if (STREQ(name, "memAccess") || STREQ(name, "access"))
        return QEMU_XML_FUZZ_VALUE_ACCESS;
    if (STREQ(name, "placement"))
        return QEMU_XML_FUZZ_VALUE_PLACEMENT;
    if (STREQ(e, "address") && STREQ(name, "type"))
        return QEMU_XML_FUZZ_VALUE_ADDRESS;

    return QEMU_XML_FUZZ_VALUE_NUMBER;
}


/* The attributes of an element that are mutated, removed or added: those
 * of the features, and the few others their checks depend on */
static const char *const *
qemuXMLFuzzAttrNames(xmlNodePtr elem)
{
    static const char *topology[] = {
        "sockets", "dies", "clusters", "cores", "threads", "auto_topology", NULL
    };
    static const char *cacheinfo[] = {
        "cache", "topology", "size", "sets", "associativity", "line", NULL
    };
    static const char *cell[] = {
        "id", "cpus", "memory", "unit", "discard", "memAccess", NULL
    };
    static const char *vcpu[] = { "current", "placement", "cpuset", NULL };
    static const char *vcpusVcpu[] = {
        "id", "enabled", "hotpluggable", "order", NULL
    };
    static const char *vcpupin[] = { "vcpu", "cpuset", NULL };
    static const char *memory[] = { "model", "access", "discard", NULL };
    static const char *sized[] = { "unit", NULL };
    static const char *maxMemory[] = { "slots", "unit", NULL };
    static const char *address[] = { "type", "slot", "base", NULL };
    static const char *type[] = { "machine", NULL };
    static const char *gic[] = { "version", NULL };
    static const char *resctrl[] = { "vcpus", NULL };
    static const char *resctrlCache[] = {
        "id", "level", "type", "size", "unit", NULL
    };
    static const char *resctrlNode[] = {
        "id", "bandwidth", "min_bandwidth", "hardlimit", "priority", NULL
    };
    static const char *resctrlMonitor[] = { "level", "vcpus", NULL };
    static const char *cpu[] = { "mode", "check", NULL };
    static const char *cpuFeature[] = { "policy", "name", NULL };
    static const char *migrationTarget[] = { "midr", "revidr", NULL };
    static const char *migrationPmu[] = { "counters", NULL };
    static const char *migrationDeny[] = { "event", NULL };
    const char *e = (const char *) elem->name;
    const char *parent = elem->parent && elem->parent->type == XML_ELEMENT_NODE ?
                         (const char *) elem->parent->name : "";

    if (STREQ(e, "topology"))
        return topology;
    if (STREQ(e, "cacheinfo"))
        return cacheinfo;
    if (STREQ(e, "cpu") && STREQ(parent, "domain"))
        return cpu;
    if (STREQ(e, "feature") && STREQ(parent, "cpu"))
        return cpuFeature;
    if (STREQ(e, "target") && STREQ(parent, "migration"))
        return migrationTarget;
    if (STREQ(e, "pmu") && STREQ(parent, "migration"))
        return migrationPmu;
    if (STREQ(e, "deny"))
        return migrationDeny;
    if (STREQ(e, "cell"))
        return cell;
    if (STREQ(e, "vcpu"))
        return STREQ(parent, "vcpus") ? vcpusVcpu : vcpu;
    if (STREQ(e, "vcpupin"))
        return vcpupin;
    if (STREQ(e, "memory") && STRNEQ(parent, "domain"))
        return memory;
    if (STREQ(e, "address"))
        return address;
    if (STREQ(e, "maxMemory"))
        return maxMemory;
    if (STREQ(e, "type") && STREQ(parent, "os"))
        return type;
    if (STREQ(e, "gic"))
        return gic;
    if (STREQ(e, "cachetune") || STREQ(e, "memorytune"))
        return resctrl;
    if (STREQ(e, "cache") && STREQ(parent, "cachetune"))
        return resctrlCache;
    if (STREQ(e, "node") && STREQ(parent, "memorytune"))
        return resctrlNode;
    if (STREQ(e, "monitor") &&
        (STREQ(parent, "cachetune") || STREQ(parent, "memorytune")))
        return resctrlMonitor;
    if (STREQ(e, "memory") || STREQ(e, "currentMemory") ||
        ((STREQ(parent, "target") || STREQ(parent, "source")) &&
         STRNEQ(e, "node") && STRNEQ(e, "nodemask") && STRNEQ(e, "path")))
        return sized;

    return NULL;
}


/* Whether the text of @elem is a value that is mutated */
static bool
qemuXMLFuzzTextMutated(xmlNodePtr elem)
{
    const char *e = (const char *) elem->name;
    const char *parent = elem->parent && elem->parent->type == XML_ELEMENT_NODE ?
                         (const char *) elem->parent->name : "";

    if (STREQ(parent, "domain"))
        return STREQ(e, "vcpu") || STREQ(e, "memory") ||
               STREQ(e, "currentMemory") || STREQ(e, "maxMemory");

    if (STREQ(parent, "cpu"))
        return STREQ(e, "model");

    return (STREQ(parent, "target") || STREQ(parent, "source")) &&
           STRNEQ(e, "path");
}


/* A value for @kind, given the current one (or NULL) */
static char *
qemuXMLFuzzValue(qemuXMLFuzzRand *r,
                 qemuXMLFuzzValueKind kind,
                 const char *current)
{
    const char **pool = qemuXMLFuzzValues[kind];
    unsigned long long n;

    switch (qemuXMLFuzzRandPick(r, 8)) {
    case 0:
        /* around the current number */
        if (current && virStrToLong_ullp(current, NULL, 10, &n) == 0) {
            switch (qemuXMLFuzzRandPick(r, 6)) {
            case 0: return g_strdup_printf("%llu", n + 1);
            case 1: return g_strdup_printf("%llu", n - 1);
            case 2: return g_strdup_printf("%llu", n * 2);
            case 3: return g_strdup_printf("%llu", n / 2);
            case 4: return g_strdup_printf("%llu", n * 1024);
            case 5: return g_strdup_printf("0x%llx", n);
            }
        }
        break;

    case 1:
        /* the current value in mixed case, or with a blank */
        if (current && *current) {
            char *value;
            size_t i;

            if (qemuXMLFuzzRandPick(r, 3) == 0)
                return g_strdup_printf(qemuXMLFuzzRandPick(r, 2) ? " %s" : "%s ",
                                       current);

            value = g_strdup(current);
            for (i = 0; value[i]; i++) {
                if (qemuXMLFuzzRandPick(r, 2))
                    value[i] = g_ascii_toupper(value[i]);
            }
            return value;
        }
        break;

    case 2:
        /* any of the numbers: an enum must refuse them */
        pool = qemuXMLFuzzNumbers;
        break;
    }

    return g_strdup(pool[qemuXMLFuzzRandPick(r, g_strv_length((char **) pool))]);
}


static void
qemuXMLFuzzCollect(xmlXPathContextPtr ctxt,
                   xmlNodePtr node,
                   const char **paths,
                   size_t npaths,
                   GPtrArray *elements)
{
    size_t i;

    if (!node)
        return;

    ctxt->node = node;
    for (i = 0; i < npaths; i++) {
        xmlXPathObjectPtr obj = xmlXPathEval(BAD_CAST paths[i], ctxt);
        size_t j;

        if (obj && obj->type == XPATH_NODESET && obj->nodesetval) {
            for (j = 0; j < obj->nodesetval->nodeNr; j++) {
                xmlNodePtr n = obj->nodesetval->nodeTab[j];

                if (n->type == XML_ELEMENT_NODE)
                    g_ptr_array_add(elements, n);
            }
        }
        xmlXPathFreeObject(obj);
    }
}


/* Whether @elem holds a value as text: it has text and no element children */
static bool
qemuXMLFuzzHasText(xmlNodePtr elem)
{
    xmlNodePtr n;
    bool text = false;

    for (n = elem->children; n; n = n->next) {
        if (n->type == XML_ELEMENT_NODE)
            return false;
        if (n->type == XML_TEXT_NODE && n->content) {
            const char *c;

            for (c = (const char *) n->content; *c; c++) {
                if (!g_ascii_isspace(*c))
                    text = true;
            }
        }
    }

    return text;
}


static xmlNodePtr
qemuXMLFuzzPickChild(qemuXMLFuzzRand *r,
                     xmlNodePtr elem)
{
    xmlNodePtr n;
    size_t count = 0;
    size_t pick;

    for (n = elem->children; n; n = n->next) {
        if (n->type == XML_ELEMENT_NODE)
            count++;
    }
    if (!count)
        return NULL;

    pick = qemuXMLFuzzRandPick(r, count);
    for (n = elem->children; n; n = n->next) {
        if (n->type == XML_ELEMENT_NODE && pick-- == 0)
            return n;
    }

    return NULL;
}


static bool
qemuXMLFuzzAttrMutated(xmlAttrPtr attr)
{
    const char *const *names = qemuXMLFuzzAttrNames(attr->parent);

    return names && g_strv_contains(names, (const char *) attr->name);
}


static xmlAttrPtr
qemuXMLFuzzPickAttr(qemuXMLFuzzRand *r,
                    xmlNodePtr elem)
{
    g_autoptr(GPtrArray) cands = g_ptr_array_new();
    xmlAttrPtr a;

    for (a = elem->properties; a; a = a->next) {
        if (qemuXMLFuzzAttrMutated(a))
            g_ptr_array_add(cands, a);
    }

    if (cands->len == 0)
        return NULL;

    return g_ptr_array_index(cands, qemuXMLFuzzRandPick(r, cands->len));
}


/* Another attribute @attr can trade values with: one of the same element,
 * or the same attribute of an element of the same name next to it */
static xmlAttrPtr
qemuXMLFuzzPickSwap(qemuXMLFuzzRand *r,
                    xmlAttrPtr attr)
{
    g_autoptr(GPtrArray) cands = g_ptr_array_new();
    xmlNodePtr elem = attr->parent;
    xmlNodePtr n;
    xmlAttrPtr a;

    for (a = elem->properties; a; a = a->next) {
        if (a != attr && qemuXMLFuzzAttrMutated(a))
            g_ptr_array_add(cands, a);
    }

    for (n = elem->parent ? elem->parent->children : NULL; n; n = n->next) {
        if (n != elem && n->type == XML_ELEMENT_NODE &&
            xmlStrEqual(n->name, elem->name) &&
            (a = xmlHasProp(n, attr->name)))
            g_ptr_array_add(cands, a);
    }

    if (cands->len == 0)
        return NULL;

    return g_ptr_array_index(cands, qemuXMLFuzzRandPick(r, cands->len));
}


static char *
qemuXMLFuzzPath(xmlNodePtr node)
{
    xmlChar *path = xmlGetNodePath(node);
    char *ret = g_strdup((const char *) path);

    xmlFree(path);
    return ret;
}


typedef enum {
    QEMU_XML_FUZZ_MUTATE_ATTR_VALUE,
    QEMU_XML_FUZZ_MUTATE_ATTR_REMOVE,
    QEMU_XML_FUZZ_MUTATE_ATTR_ADD,
    QEMU_XML_FUZZ_MUTATE_ATTR_SWAP,
    QEMU_XML_FUZZ_MUTATE_TEXT_VALUE,
    QEMU_XML_FUZZ_MUTATE_ELEM_REMOVE,
    QEMU_XML_FUZZ_MUTATE_ELEM_DUPLICATE,
    QEMU_XML_FUZZ_MUTATE_CHILD_DUPLICATE,

    QEMU_XML_FUZZ_MUTATE_LAST
} qemuXMLFuzzMutation;

/* how often each mutation is tried, of 100 */
static const unsigned int qemuXMLFuzzWeights[QEMU_XML_FUZZ_MUTATE_LAST] = {
    [QEMU_XML_FUZZ_MUTATE_ATTR_VALUE] = 36,
    [QEMU_XML_FUZZ_MUTATE_ATTR_REMOVE] = 10,
    [QEMU_XML_FUZZ_MUTATE_ATTR_ADD] = 10,
    [QEMU_XML_FUZZ_MUTATE_ATTR_SWAP] = 8,
    [QEMU_XML_FUZZ_MUTATE_TEXT_VALUE] = 14,
    [QEMU_XML_FUZZ_MUTATE_ELEM_REMOVE] = 8,
    [QEMU_XML_FUZZ_MUTATE_ELEM_DUPLICATE] = 8,
    [QEMU_XML_FUZZ_MUTATE_CHILD_DUPLICATE] = 6,
};


/* Applies one mutation to one of @elements; false if it did not apply */
static bool
qemuXMLFuzzMutateOne(qemuXMLFuzzRand *r,
                     GPtrArray *elements,
                     GPtrArray *structural,
                     GString *description)
{
    unsigned int w = qemuXMLFuzzRandPick(r, 100);
    qemuXMLFuzzMutation m = 0;
    GPtrArray *from = elements;
    xmlNodePtr elem;
    g_autofree char *path = NULL;

    while (m < QEMU_XML_FUZZ_MUTATE_LAST - 1 && w >= qemuXMLFuzzWeights[m])
        w -= qemuXMLFuzzWeights[m++];

    if (m == QEMU_XML_FUZZ_MUTATE_ELEM_REMOVE ||
        m == QEMU_XML_FUZZ_MUTATE_ELEM_DUPLICATE ||
        m == QEMU_XML_FUZZ_MUTATE_CHILD_DUPLICATE)
        from = structural;

    if (from->len == 0)
        return false;
    elem = g_ptr_array_index(from, qemuXMLFuzzRandPick(r, from->len));
    path = qemuXMLFuzzPath(elem);

    switch (m) {
    case QEMU_XML_FUZZ_MUTATE_ATTR_VALUE:
    case QEMU_XML_FUZZ_MUTATE_ATTR_REMOVE:
    case QEMU_XML_FUZZ_MUTATE_ATTR_SWAP: {
        xmlAttrPtr attr = qemuXMLFuzzPickAttr(r, elem);
        g_autofree char *name = NULL;
        g_autofree char *value = NULL;

        if (!attr)
            return false;
        name = g_strdup((const char *) attr->name);
        value = virXMLPropString(elem, name);

        if (m == QEMU_XML_FUZZ_MUTATE_ATTR_VALUE) {
            g_autofree char *new = qemuXMLFuzzValue(r, qemuXMLFuzzKind(elem, name), value);

            xmlSetProp(elem, BAD_CAST name, BAD_CAST new);
            g_string_append_printf(description, "%s/@%s '%s' -> '%s'; ",
                                   path, name, NULLSTR(value), new);
        } else if (m == QEMU_XML_FUZZ_MUTATE_ATTR_REMOVE) {
            xmlRemoveProp(attr);
            g_string_append_printf(description, "%s/@%s removed; ", path, name);
        } else {
            xmlAttrPtr other = qemuXMLFuzzPickSwap(r, attr);
            g_autofree char *otherValue = NULL;
            g_autofree char *otherPath = NULL;

            if (!other)
                return false;
            otherValue = virXMLPropString(other->parent, (const char *) other->name);
            otherPath = qemuXMLFuzzPath(other->parent);
            xmlSetProp(elem, BAD_CAST name, BAD_CAST otherValue);
            xmlSetProp(other->parent, other->name, BAD_CAST value);
            g_string_append_printf(description, "%s/@%s '%s' swapped with %s/@%s '%s'; ",
                                   path, name, NULLSTR(value),
                                   otherPath, other->name, NULLSTR(otherValue));
        }
        return true;
    }

    case QEMU_XML_FUZZ_MUTATE_ATTR_ADD: {
        const char *const *names = qemuXMLFuzzAttrNames(elem);
        const char *name;
        g_autofree char *old = NULL;
        g_autofree char *new = NULL;

        if (!names)
            return false;
        name = names[qemuXMLFuzzRandPick(r, g_strv_length((char **) names))];
        old = virXMLPropString(elem, name);
        new = qemuXMLFuzzValue(r, qemuXMLFuzzKind(elem, name), old);
        xmlSetProp(elem, BAD_CAST name, BAD_CAST new);
        g_string_append_printf(description, "%s/@%s '%s' set to '%s'; ",
                               path, name, NULLSTR(old), new);
        return true;
    }

    case QEMU_XML_FUZZ_MUTATE_TEXT_VALUE: {
        g_autofree char *old = NULL;
        g_autofree char *new = NULL;
        xmlChar *content;

        if (!qemuXMLFuzzTextMutated(elem) || !qemuXMLFuzzHasText(elem))
            return false;
        content = xmlNodeGetContent(elem);
        old = g_strdup((const char *) content);
        xmlFree(content);
        new = qemuXMLFuzzValue(r, qemuXMLFuzzKind(elem, NULL), old);
        /* the values hold no character XML escapes */
        xmlNodeSetContent(elem, BAD_CAST new);
        g_string_append_printf(description, "%s text '%s' -> '%s'; ",
                               path, NULLSTR(old), new);
        return true;
    }

    case QEMU_XML_FUZZ_MUTATE_ELEM_REMOVE:
        xmlUnlinkNode(elem);
        xmlFreeNode(elem);
        g_string_append_printf(description, "%s removed; ", path);
        return true;

    case QEMU_XML_FUZZ_MUTATE_ELEM_DUPLICATE:
        if (!elem->parent || elem->parent->type != XML_ELEMENT_NODE)
            return false;
        xmlAddNextSibling(elem, xmlCopyNode(elem, 1));
        g_string_append_printf(description, "%s duplicated; ", path);
        return true;

    case QEMU_XML_FUZZ_MUTATE_CHILD_DUPLICATE: {
        xmlNodePtr child = qemuXMLFuzzPickChild(r, elem);
        g_autofree char *childPath = NULL;

        if (!child)
            return false;
        childPath = qemuXMLFuzzPath(child);
        xmlAddNextSibling(child, xmlCopyNode(child, 1));
        g_string_append_printf(description, "%s duplicated; ", childPath);
        return true;
    }

    case QEMU_XML_FUZZ_MUTATE_LAST:
        break;
    }

    return false;
}


/**
 * qemuXMLFuzzMutate:
 * @xml: a domain or <attach> document (need not be NUL-terminated)
 * @len: its length
 * @seed: of the mutations: the same seed, the same mutant
 * @nmutations: how many to apply
 * @description: if not NULL, set to what was mutated
 *
 * Applies @nmutations mutations to the elements and attributes of @xml
 * the project added or changed (the CPU topology and cache geometry, NUMA
 * cells, vCPUs and their pinning, memory devices) and those their checks
 * depend on (machine type, firmware, GIC): a value replaced by an out of
 * range, huge, negative, empty, garbage or mixed-case one, an attribute
 * removed, added or swapped with a sibling's, an element removed or
 * duplicated.
 *
 * Returns the mutant, or NULL when @xml is not well-formed or has nothing
 * to mutate.
 */
char *
qemuXMLFuzzMutate(const char *xml,
                  size_t len,
                  unsigned long long seed,
                  unsigned int nmutations,
                  char **description)
{
    qemuXMLFuzzRand r = { seed };
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(xmlXPathContext) ctxt = NULL;
    g_autoptr(GString) what = g_string_new(NULL);
    xmlNodePtr root;
    xmlChar *mem = NULL;
    int size = 0;
    char *ret;
    unsigned int applied = 0;
    unsigned int tries;

    if (len > INT_MAX ||
        !(doc = xmlReadMemory(xml, len, NULL, NULL,
                              XML_PARSE_NONET | XML_PARSE_NOERROR |
                              XML_PARSE_NOWARNING)) ||
        !(root = xmlDocGetRootElement(doc)) ||
        !(ctxt = xmlXPathNewContext(doc)))
        return NULL;

    for (tries = 0; applied < nmutations && tries < nmutations * 32; tries++) {
        g_autoptr(GPtrArray) elements = g_ptr_array_new();
        g_autoptr(GPtrArray) structural = g_ptr_array_new();
        xmlNodePtr domain = root;

        /* collected again each time: a mutation may remove elements;
         * in an <attach>, mostly the memory device, sometimes the domain */
        if (virXMLNodeNameEqual(root, "attach") &&
            qemuXMLFuzzRandPick(&r, 4) != 0) {
            qemuXMLFuzzCollect(ctxt, root, qemuXMLFuzzAttachElements,
                               G_N_ELEMENTS(qemuXMLFuzzAttachElements), elements);
            qemuXMLFuzzCollect(ctxt, root, qemuXMLFuzzAttachElements,
                               G_N_ELEMENTS(qemuXMLFuzzAttachElements), structural);
        } else {
            if (virXMLNodeNameEqual(root, "attach"))
                domain = qemuXMLFuzzChild(root, "domain");
            else if (!virXMLNodeNameEqual(root, "domain"))
                domain = NULL;

            qemuXMLFuzzCollect(ctxt, domain, qemuXMLFuzzDomainElements,
                               G_N_ELEMENTS(qemuXMLFuzzDomainElements), elements);
            qemuXMLFuzzCollect(ctxt, domain, qemuXMLFuzzDomainElements,
                               QEMU_XML_FUZZ_DOMAIN_STRUCTURAL, structural);
        }

        if (qemuXMLFuzzMutateOne(&r, elements, structural, what))
            applied++;
    }

    if (applied == 0)
        return NULL;

    xmlDocDumpMemory(doc, &mem, &size);
    if (!mem)
        return NULL;
    ret = g_strndup((const char *) mem, size);
    xmlFree(mem);

    if (description) {
        g_string_truncate(what, what->len > 2 ? what->len - 2 : 0);
        *description = g_string_free(g_steal_pointer(&what), FALSE);
    }

    return ret;
}


/* What 'virsh attach-memory' builds (cmdAttachMemory) */
static const char qemuXMLFuzzDimm[] =
    "<memory model='dimm'>\n"
    "  <target>\n"
    "    <size unit='KiB'>1048576</size>\n"
    "    <node>1</node>\n"
    "  </target>\n"
    "</memory>\n";

static const char qemuXMLFuzzDimmSlot[] =
    "<memory model='dimm'>\n"
    "  <target>\n"
    "    <size unit='KiB'>262144</size>\n"
    "    <node>1</node>\n"
    "  </target>\n"
    "  <address type='dimm' slot='2'/>\n"
    "</memory>\n";

static const char qemuXMLFuzzVirtioMem[] =
    "<memory model='virtio-mem'>\n"
    "  <target>\n"
    "    <size unit='KiB'>1048576</size>\n"
    "    <node>1</node>\n"
    "    <block unit='KiB'>2048</block>\n"
    "    <requested unit='KiB'>1048576</requested>\n"
    "  </target>\n"
    "</memory>\n";

/* The inputs of the project's tests and examples for its features, with
 * the fixture their tests use */
const qemuXMLFuzzSeed qemuXMLFuzzSeeds[] = {
    /* clusters, cache geometry, auto_topology */
    { "cpu-topology-clusters", "aarch64", "8.2.0_kunpeng", NULL },
    { "cpu-cacheinfo", "aarch64", "8.2.0_kunpeng", NULL },
    { "cpu-cacheinfo-topology-only", "aarch64", "8.2.0_kunpeng", NULL },
    { "cpu-cacheinfo-maximum", "aarch64", "8.2.0_kunpeng", NULL },
    { "cpu-cacheinfo-host-partial", "aarch64", "8.2.0_kunpeng", NULL },
    { "cpu-cacheinfo-x86", "x86_64", "10.0.0_debian", NULL },
    { "cpu-auto-topology", "aarch64", "8.2.0_kunpeng", NULL },
    { "cpu-auto-topology-96", "aarch64", "8.2.0_kunpeng", NULL },
    { "cpu-auto-topology-fallback", "aarch64", "8.2.0_kunpeng", NULL },
    { "cpu-auto-topology-irregular", "aarch64", "8.2.0_kunpeng", NULL },
    { "cpu-auto-topology-cache-shrinks", "aarch64", "8.2.0_kunpeng", NULL },
    { "cpu-auto-topology-hotplug-numa", "aarch64", "8.2.0_kunpeng", NULL },
    { "cpu-auto-topology-unpinned", "aarch64", "8.2.0_kunpeng", NULL },
    { "cpu-auto-topology-no", "aarch64", "8.2.0_kunpeng", NULL },
    { "cpu-auto-topology-x86", "x86_64", "latest", NULL },
    /* NUMA cells without memory, memory hot added into them */
    { "numa-zero-memory-cell", "x86_64", "latest", NULL },
    { "numa-zero-memory-cell-cpuless", "x86_64", "latest", NULL },
    { "numa-zero-memory-cells", "x86_64", "latest", NULL },
    { "numa-zero-memory-cell-modules", "x86_64", "latest", NULL },
    { "aarch64-numa-zero-memory-cell", "aarch64", "8.2.0_kunpeng", NULL },
    { "aarch64-numa-zero-memory-cell-cpuless", "aarch64", "8.2.0_kunpeng", NULL },
    { "aarch64-numa-zero-memory-cells", "aarch64", "8.2.0_kunpeng", NULL },
    { "memory-hotplug-virtio-mem", "x86_64", "latest", NULL },
    { "numa-zero-memory-cell", "x86_64", "latest", qemuXMLFuzzDimm },
    { "numa-zero-memory-cell", "x86_64", "latest", qemuXMLFuzzDimmSlot },
    { "numa-zero-memory-cell", "x86_64", "latest", qemuXMLFuzzVirtioMem },
    { "aarch64-numa-zero-memory-cell", "aarch64", "8.2.0_kunpeng", qemuXMLFuzzDimm },
    /* vCPU hotplug on aarch64 */
    { "vcpu-hotplug-aarch64", "aarch64", "8.2.0_kunpeng", NULL },
    { "vcpu-hotplug-aarch64-clusters", "aarch64", "8.2.0_kunpeng", NULL },
    { "vcpu-hotplug-aarch64-numa-split", "aarch64", "8.2.0_kunpeng", NULL },
    { "vcpu-hotplug-aarch64-gicv2", "aarch64", "latest", NULL },
    /* MPAM partitions */
    { "cputune-mpam", "aarch64", "8.2.0_kunpeng", NULL },
    /* Kunpeng CPU models, the CPU's migration settings */
    { "aarch64-cpu-kunpeng-920", "aarch64", "8.2.0_kunpeng", NULL },
    { "aarch64-cpu-kunpeng-920-v1-disable", "aarch64", "8.2.0_kunpeng", NULL },
    { "aarch64-cpu-kunpeng-migration", "aarch64", "8.2.0_kunpeng", NULL },
    /* the examples */
    { "examples/xml/kunpeng/kunpeng920-auto-topology", "aarch64", "8.2.0_kunpeng", NULL },
    { "examples/xml/kunpeng/kunpeng920-cacheinfo", "aarch64", "8.2.0_kunpeng", NULL },
    { "examples/xml/kunpeng/kunpeng920-clusters", "aarch64", "8.2.0_kunpeng", NULL },
    { "examples/xml/kunpeng/kunpeng920-cpu-model", "aarch64", "8.2.0_kunpeng", NULL },
    { "examples/xml/kunpeng/kunpeng920-mpam", "aarch64", "8.2.0_kunpeng", NULL },
    { "examples/xml/kunpeng/vcpu-hotplug", "aarch64", "8.2.0_kunpeng", NULL },
    { "examples/xml/kunpeng/zero-memory-numa", "aarch64", "8.2.0_kunpeng", NULL },
    { "examples/xml/kunpeng/zero-memory-numa", "aarch64", "8.2.0_kunpeng", qemuXMLFuzzDimm },
};

const size_t qemuXMLFuzzNSeeds = G_N_ELEMENTS(qemuXMLFuzzSeeds);


/* A name for messages and corpus files */
char *
qemuXMLFuzzSeedName(const qemuXMLFuzzSeed *seed)
{
    const char *base = strrchr(seed->file, '/');
    const char *memory = "";

    if (seed->memory == qemuXMLFuzzDimm)
        memory = "+dimm";
    else if (seed->memory == qemuXMLFuzzDimmSlot)
        memory = "+dimm-slot";
    else if (seed->memory == qemuXMLFuzzVirtioMem)
        memory = "+virtio-mem";
    else if (seed->memory)
        memory = "+memory";

    return g_strdup_printf("%s%s.%s-%s", base ? base + 1 : seed->file,
                           memory, seed->arch, seed->version);
}


/**
 * qemuXMLFuzzSeedLoad:
 * @seed: a seed
 *
 * Returns the input document of @seed: its domain XML, or the <attach>
 * document of its domain and memory device, after a comment naming its
 * capabilities fixture.
 */
char *
qemuXMLFuzzSeedLoad(const qemuXMLFuzzSeed *seed)
{
    g_autofree char *path = NULL;
    g_autofree char *xml = NULL;
    const char *body;

    if (strchr(seed->file, '/'))
        path = g_strdup_printf("%s/%s.xml", abs_top_srcdir, seed->file);
    else
        path = g_strdup_printf("%s/qemuxml2argvdata/%s.xml", abs_srcdir, seed->file);

    if (virTestLoadFile(path, &xml) < 0)
        return NULL;

    /* the comment goes after an XML declaration */
    body = xml;
    if (STRPREFIX(body, "<?xml") && (body = strstr(body, "?>")))
        body += 2;
    else
        body = xml;

    if (seed->memory)
        return g_strdup_printf("<!-- %s %s %s -->\n<attach>\n%s%s</attach>\n",
                               QEMU_XML_FUZZ_CAPS_COMMENT, seed->arch,
                               seed->version, body, seed->memory);

    return g_strdup_printf("<!-- %s %s %s -->\n%s",
                           QEMU_XML_FUZZ_CAPS_COMMENT, seed->arch,
                           seed->version, body);
}
