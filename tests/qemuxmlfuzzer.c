/*
 * qemuxmlfuzzer.c: libFuzzer target of the checks of qemuxmlfuzztest: a
 * domain or <attach> document (see qemuxmlfuzz.h) must be refused with
 * an error or formatted stably by the QEMU driver; anything else aborts,
 * and libFuzzer keeps the input.
 *
 * Mutations are qemuxmlfuzztest's on the XML tree (with libFuzzer's own
 * byte mutations now and then). KP_FUZZ_WRITE_SEEDS=DIR writes the seed
 * documents of qemuxmlfuzztest into DIR, as the starting corpus, and
 * exits. Run by scripts/fuzz.sh of libvirt-kunpeng.
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

#include <unistd.h>

#include "testutils.h"
#include "virerror.h"
#include "virfile.h"
#include "virlog.h"
#include "viralloc.h"
#include "qemuxmlfuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size,
                               size_t maxSize, unsigned int seed);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t maxSize);


static qemuXMLFuzzStats stats;


static void
fuzzLogDiscard(virLogSource *src G_GNUC_UNUSED,
               virLogPriority priority G_GNUC_UNUSED,
               const char *filename G_GNUC_UNUSED,
               int linenr G_GNUC_UNUSED,
               const char *funcname G_GNUC_UNUSED,
               const char *timestamp G_GNUC_UNUSED,
               struct _virLogMetadata *metadata G_GNUC_UNUSED,
               const char *rawstr G_GNUC_UNUSED,
               const char *str G_GNUC_UNUSED,
               void *data G_GNUC_UNUSED)
{
}


static void
fuzzExit(void)
{
    qemuXMLFuzzShutdown();
    fprintf(stderr,
            "qemuxmlfuzzer: %zu inputs: %zu accepted, %zu accepted as existing "
            "domains only, %zu refused (%zu with an internal error), "
            "%zu skipped (upstream bugs), %zu topologies derived, "
            "%zu starts refused\n",
            stats.cases, stats.accepted, stats.acceptedOld, stats.refused,
            stats.refusedInternal, stats.skipped, stats.derived,
            stats.startRefused);
}


static int
fuzzWriteSeeds(const char *dir)
{
    size_t i;

    if (g_mkdir_with_parents(dir, 0777) < 0) {
        fprintf(stderr, "cannot create %s: %s\n", dir, g_strerror(errno));
        return -1;
    }

    for (i = 0; i < qemuXMLFuzzNSeeds; i++) {
        g_autofree char *name = qemuXMLFuzzSeedName(&qemuXMLFuzzSeeds[i]);
        g_autofree char *path = g_strdup_printf("%s/%s.xml", dir, name);
        g_autofree char *xml = qemuXMLFuzzSeedLoad(&qemuXMLFuzzSeeds[i]);

        if (!xml || virFileWriteStr(path, xml, 0644) < 0) {
            fprintf(stderr, "cannot write %s\n", path);
            return -1;
        }
    }

    return 0;
}


static int
fuzzInit(char **argv,
         const char *seeds)
{
    const char *preload = getenv("LD_PRELOAD");
    g_autofree char *mocks = g_strjoin(":", VIR_TEST_MOCK("virpci"),
                                       VIR_TEST_MOCK("virrandom"),
                                       VIR_TEST_MOCK("domaincaps"), NULL);
    virLogOutput *output = NULL;

    /* the mocks of qemuxml2xmltest, preloaded as VIR_TEST_MAIN_PRELOAD
     * does: the program runs again with them */
    if (!preload || !strstr(preload, mocks)) {
        g_autofree char *value = preload ? g_strdup_printf("%s:%s", mocks, preload) :
                                           g_strdup(mocks);

        g_setenv("LD_PRELOAD", value, TRUE);
        execv(argv[0], argv);
        fprintf(stderr, "cannot run %s again: %s\n", argv[0], g_strerror(errno));
        return -1;
    }

    /* Programs the fuzzer runs (the sanitizers' symbolizer) must not load
     * the mocks, built for this program only. libFuzzer's -fork and -jobs
     * run this program again, which preloads them again. */
    g_unsetenv("LD_PRELOAD");

    if (seeds)
        return fuzzWriteSeeds(seeds);

    /* as virTestMain */
    g_setenv("HOME", "/bad-test-used-env-home", TRUE);
    g_setenv("XDG_RUNTIME_DIR", "/bad-test-used-env-xdg-runtime-dir", TRUE);
    g_setenv("VIR_TEST_MOCK_PROGNAME", "qemuxmlfuzzer", TRUE);
    virFileActivateDirOverrideForProg(argv[0]);

    if (virErrorInitialize() < 0)
        return -1;

    /* the errors of every refused input would go to stderr */
    if (!getenv("LIBVIRT_DEBUG")) {
        virLogOutput **outputs = NULL;
        size_t noutputs = 0;

        if (!(output = virLogOutputNew(fuzzLogDiscard, NULL, NULL,
                                       VIR_LOG_DEBUG, VIR_LOG_TO_STDERR,
                                       NULL)))
            return -1;
        VIR_APPEND_ELEMENT(outputs, noutputs, output);

        /* takes the list */
        if (virLogDefineOutputs(outputs, noutputs) < 0) {
            virLogOutputListFree(outputs, noutputs);
            return -1;
        }
    }

    if (qemuXMLFuzzInit() < 0) {
        qemuXMLFuzzShutdown();
        return -1;
    }

    return 0;
}


/* libFuzzer ignores what its initializer returns: a failure exits, and
 * so does writing the seeds. */
int
LLVMFuzzerInitialize(int *argc G_GNUC_UNUSED,
                     char ***argv)
{
    const char *seeds = getenv("KP_FUZZ_WRITE_SEEDS");
    int rc = fuzzInit(*argv, seeds);

    if (rc < 0 || seeds)
        exit(rc < 0 ? EXIT_FAILURE : EXIT_SUCCESS); /* exempt from syntax-check */

    atexit(fuzzExit);
    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data,
                       size_t size)
{
    g_autofree char *xml = g_strndup((const char *) data, size);
    g_autofree char *report = NULL;

    if (qemuXMLFuzzCheck(xml, &stats, &report) == QEMU_XML_FUZZ_FAILED) {
        fprintf(stderr, "qemuxmlfuzzer: %s\n--- input:\n%s\n", report, xml);
        abort();
    }

    return 0;
}


size_t
LLVMFuzzerCustomMutator(uint8_t *data,
                        size_t size,
                        size_t maxSize,
                        unsigned int seed)
{
    g_autofree char *mutant = NULL;
    size_t len = 0;

    /* libFuzzer's byte mutations one time in eight, and for inputs that
     * are not well-formed XML */
    if (seed % 8 != 0 &&
        (mutant = qemuXMLFuzzMutate((const char *) data, size, seed,
                                    1 + (seed >> 3) % 3, NULL)) &&
        (len = strlen(mutant)) <= maxSize) {
        memcpy(data, mutant, len);
        return len;
    }

    return LLVMFuzzerMutate(data, size, maxSize);
}
