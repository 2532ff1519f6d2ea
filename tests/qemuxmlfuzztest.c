/*
 * qemuxmlfuzztest.c: mutate the domain XML of the CPU topology, cache
 * geometry, memory-less NUMA cell, memory hot add and vCPU hotplug
 * features and check that the QEMU driver refuses each mutant with an
 * error or formats it stably
 *
 * Deterministic: KP_FUZZ_SEED (default 1) seeds the mutations, and each
 * seed document gets KP_FUZZ_CASES mutants (default 150) of one to three
 * mutations each. A failure prints the seed document, the case, the
 * mutations and the mutant: that mutant alone reproduces it (with
 * qemuxmlfuzzer, or as an entry of testFuzzInputs below).
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

#include "testutils.h"

#ifdef WITH_QEMU

# include "internal.h"
# include "virstring.h"
# include "qemuxmlfuzz.h"

# define VIR_FROM_THIS VIR_FROM_NONE

# define TEST_FUZZ_MAX_FAILURES 3

static unsigned long long fuzzSeed = 1;
static unsigned int fuzzCases = 150;
static qemuXMLFuzzStats fuzzStats;

static const char *testFuzzResultNames[] = {
    [QEMU_XML_FUZZ_ACCEPTED] = "accepted",
    [QEMU_XML_FUZZ_ACCEPTED_OLD] = "accepted as an existing domain",
    [QEMU_XML_FUZZ_REFUSED] = "refused",
    [QEMU_XML_FUZZ_SKIPPED] = "skipped",
    [QEMU_XML_FUZZ_FAILED] = "failed",
};


static unsigned long long
testFuzzCaseSeed(size_t seedIndex,
                 unsigned int c)
{
    return fuzzSeed ^ ((seedIndex + 1) * 0x9e3779b97f4a7c15ULL) ^
           (c * 0xc2b2ae3d27d4eb4fULL);
}


static void
testFuzzStatsAdd(qemuXMLFuzzStats *total,
                 const qemuXMLFuzzStats *s)
{
    total->cases += s->cases;
    total->accepted += s->accepted;
    total->acceptedOld += s->acceptedOld;
    total->refused += s->refused;
    total->refusedInternal += s->refusedInternal;
    total->derived += s->derived;
    total->startRefused += s->startRefused;
    total->skipped += s->skipped;
    total->failed += s->failed;
}


/* Inputs the fuzzers found, checked as they are on every run */
struct testFuzzInput {
    const char *name;
    qemuXMLFuzzResult expect;
    const char *xml;
};

static const struct testFuzzInput testFuzzInputs[] = {
    /* glib aborted on the allocation of 2^32 - 1 vCPUs (upstream 9.0);
     * the parser refuses the count now */
    { "vcpu-count-negative", QEMU_XML_FUZZ_REFUSED,
      "<!-- qemuxmlfuzz: x86_64 latest -->\n"
      "<domain type='qemu'>\n"
      "  <name>fuzz</name>\n"
      "  <memory>1048576</memory>\n"
      "  <vcpu>-1</vcpu>\n"
      "  <os><type arch='x86_64' machine='pc'>hvm</type></os>\n"
      "  <devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices>\n"
      "</domain>\n" },
    /* order='2147483648' was formatted as order='-2147483648' (upstream
     * 9.0), which the parser refuses */
    { "vcpu-order-int-max", QEMU_XML_FUZZ_ACCEPTED,
      "<!-- qemuxmlfuzz: x86_64 latest -->\n"
      "<domain type='qemu'>\n"
      "  <name>fuzz</name>\n"
      "  <memory>1048576</memory>\n"
      "  <vcpu current='2'>4</vcpu>\n"
      "  <vcpus>\n"
      "    <vcpu id='0' enabled='yes' hotpluggable='no' order='1'/>\n"
      "    <vcpu id='1' enabled='yes' hotpluggable='no' order='2147483648'/>\n"
      "    <vcpu id='2' enabled='no' hotpluggable='yes'/>\n"
      "    <vcpu id='3' enabled='no' hotpluggable='yes'/>\n"
      "  </vcpus>\n"
      "  <os><type arch='x86_64' machine='pc'>hvm</type></os>\n"
      "  <devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices>\n"
      "</domain>\n" },
    /* upstream: vCPU 1 becomes hotpluggable='yes' after the order check,
     * ahead of the non-hotpluggable vCPU 2 */
    { "vcpu-hotpluggable-default", QEMU_XML_FUZZ_SKIPPED,
      "<!-- qemuxmlfuzz: x86_64 latest -->\n"
      "<domain type='qemu'>\n"
      "  <name>fuzz</name>\n"
      "  <memory>1048576</memory>\n"
      "  <vcpu current='2'>4</vcpu>\n"
      "  <vcpus>\n"
      "    <vcpu id='0' enabled='yes' hotpluggable='no' order='1'/>\n"
      "    <vcpu id='1' enabled='no'/>\n"
      "    <vcpu id='2' enabled='yes' hotpluggable='no' order='2'/>\n"
      "    <vcpu id='3' enabled='no' hotpluggable='yes'/>\n"
      "  </vcpus>\n"
      "  <os><type arch='x86_64' machine='pc'>hvm</type></os>\n"
      "  <devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices>\n"
      "</domain>\n" },
    /* upstream: an empty <cpu/> of a KVM domain on Arm stays in the
     * definition but not in its XML (qemuxmlfuzzer) */
    { "cpu-empty-arm-kvm", QEMU_XML_FUZZ_ACCEPTED,
      "<!-- qemuxmlfuzz: aarch64 8.2.0_kunpeng -->\n"
      "<domain type='kvm'>\n"
      "  <name>fuzz</name>\n"
      "  <memory>1048576</memory>\n"
      "  <vcpu>2</vcpu>\n"
      "  <os><type arch='aarch64' machine='virt'>hvm</type></os>\n"
      "  <cpu/>\n"
      "  <devices><emulator>/usr/bin/qemu-system-aarch64</emulator></devices>\n"
      "</domain>\n" },
};


static int
testFuzzInput(const void *opaque)
{
    const struct testFuzzInput *input = opaque;
    qemuXMLFuzzStats stats = { 0 };
    g_autofree char *report = NULL;
    qemuXMLFuzzResult result = qemuXMLFuzzCheck(input->xml, &stats, &report);

    testFuzzStatsAdd(&fuzzStats, &stats);

    if (result != input->expect) {
        fprintf(stderr, "%s: %s instead of %s: %s\n", input->name,
                testFuzzResultNames[result], testFuzzResultNames[input->expect],
                NULLSTR(report));
        return -1;
    }

    return 0;
}


static int
testFuzzSeed(const void *opaque)
{
    const qemuXMLFuzzSeed *seed = opaque;
    size_t index = seed - qemuXMLFuzzSeeds;
    g_autofree char *name = qemuXMLFuzzSeedName(seed);
    g_autofree char *xml = qemuXMLFuzzSeedLoad(seed);
    qemuXMLFuzzStats stats = { 0 };
    unsigned int failures = 0;
    unsigned int c;
    int ret = 0;

    if (!xml)
        return -1;

    for (c = 0; c <= fuzzCases && failures < TEST_FUZZ_MAX_FAILURES; c++) {
        unsigned long long caseSeed = testFuzzCaseSeed(index, c);
        g_autofree char *mutant = NULL;
        g_autofree char *description = NULL;
        g_autofree char *report = NULL;
        size_t internal = stats.refusedInternal;
        qemuXMLFuzzResult result;

        /* case 0 is the seed itself */
        if (c == 0) {
            mutant = g_strdup(xml);
            description = g_strdup("none");
        } else if (!(mutant = qemuXMLFuzzMutate(xml, strlen(xml), caseSeed,
                                                1 + caseSeed % 3,
                                                &description))) {
            fprintf(stderr, "%s: case %u: nothing to mutate\n", name, c);
            return -1;
        }

        result = qemuXMLFuzzCheck(mutant, &stats, &report);

        if (result == QEMU_XML_FUZZ_FAILED ||
            (c == 0 && (result == QEMU_XML_FUZZ_REFUSED ||
                        result == QEMU_XML_FUZZ_SKIPPED))) {
            fprintf(stderr,
                    "%s: case %u (KP_FUZZ_SEED=%llu): %s%s\n"
                    "mutations: %s\n"
                    "--- input:\n%s\n",
                    name, c, fuzzSeed,
                    c == 0 ? "the seed itself is not accepted: " : "",
                    NULLSTR(report), description, mutant);
            failures++;
            ret = -1;
        } else if (virTestGetDebug() > 1 || stats.refusedInternal > internal) {
            /* VIR_TEST_DEBUG=2: every case */
            VIR_TEST_DEBUG("%s: case %u: %s: %s\nmutations: %s", name, c,
                           testFuzzResultNames[result], NULLSTR(report),
                           description);
        }
    }

    VIR_TEST_DEBUG("%s: %zu cases: %zu accepted, %zu accepted as existing only, %zu refused, %zu derived",
                   name, stats.cases, stats.accepted, stats.acceptedOld,
                   stats.refused, stats.derived);
    testFuzzStatsAdd(&fuzzStats, &stats);
    return ret;
}


static int
testFuzzEnv(const char *name,
            unsigned long long *value)
{
    const char *str = getenv(name);

    if (str && virStrToLong_ullp(str, NULL, 10, value) < 0) {
        fprintf(stderr, "%s must be a number, not '%s'\n", name, str);
        return -1;
    }

    return 0;
}


static int
mymain(void)
{
    unsigned long long cases = fuzzCases;
    gint64 start = g_get_monotonic_time();
    int ret = 0;
    size_t i;

    if (testFuzzEnv("KP_FUZZ_SEED", &fuzzSeed) < 0 ||
        testFuzzEnv("KP_FUZZ_CASES", &cases) < 0)
        return EXIT_FAILURE;
    if (cases > UINT_MAX) {
        fprintf(stderr, "KP_FUZZ_CASES is too large\n");
        return EXIT_FAILURE;
    }
    fuzzCases = cases;

    if (qemuXMLFuzzInit() < 0) {
        qemuXMLFuzzShutdown();
        return EXIT_FAILURE;
    }

    for (i = 0; i < G_N_ELEMENTS(testFuzzInputs); i++) {
        g_autofree char *title = g_strdup_printf("fuzz input %s",
                                                 testFuzzInputs[i].name);

        virTestRunLog(&ret, title, testFuzzInput, &testFuzzInputs[i]);
    }

    for (i = 0; i < qemuXMLFuzzNSeeds; i++) {
        g_autofree char *name = qemuXMLFuzzSeedName(&qemuXMLFuzzSeeds[i]);
        g_autofree char *title = g_strdup_printf("fuzz %s", name);

        virTestRunLog(&ret, title, testFuzzSeed, &qemuXMLFuzzSeeds[i]);
    }

    qemuXMLFuzzShutdown();

    fprintf(stderr,
            "qemuxmlfuzztest: KP_FUZZ_SEED=%llu, %zu inputs: %zu accepted, "
            "%zu accepted as existing domains only, %zu refused "
            "(%zu with an internal error), %zu skipped (upstream bugs), "
            "%zu topologies derived, %zu starts refused, %zu failed, in %.1fs\n",
            fuzzSeed, fuzzStats.cases, fuzzStats.accepted,
            fuzzStats.acceptedOld, fuzzStats.refused,
            fuzzStats.refusedInternal, fuzzStats.skipped, fuzzStats.derived,
            fuzzStats.startRefused, fuzzStats.failed,
            (g_get_monotonic_time() - start) / (double) G_USEC_PER_SEC);

    return ret == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

VIR_TEST_MAIN_PRELOAD(mymain,
                      VIR_TEST_MOCK("virpci"),
                      VIR_TEST_MOCK("virrandom"),
                      VIR_TEST_MOCK("domaincaps"))

#else

int
main(void)
{
    return EXIT_AM_SKIP;
}

#endif /* WITH_QEMU */
