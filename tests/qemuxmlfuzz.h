/*
 * qemuxmlfuzz.h: mutate domain XML and check that the QEMU driver's parser
 * refuses a mutant with an error or round-trips it stably; shared by
 * qemuxmlfuzztest (deterministic, in the unit tests) and qemuxmlfuzzer
 * (libFuzzer)
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

/*
 * An input is a domain XML document, or an <attach> document holding a
 * <domain> and the <memory> device to attach to its persistent definition
 * (what 'virsh attach-memory --config' does). A comment
 *
 *   <!-- qemuxmlfuzz: ARCH VERSION -->
 *
 * before the root element names the QEMU capabilities fixture to check it
 * with (tests/qemucapabilitiesdata/caps_VERSION.ARCH.xml, VERSION 'latest'
 * for the newest upstream one); without it, os/type/@arch chooses: the
 * Kunpeng QEMU 8.2 fixture for aarch64, 'latest' otherwise.
 */
#define QEMU_XML_FUZZ_CAPS_COMMENT "qemuxmlfuzz:"

typedef enum {
    QEMU_XML_FUZZ_ACCEPTED,     /* defined and formatted stably */
    QEMU_XML_FUZZ_ACCEPTED_OLD, /* as an existing domain only: refused, with
                                   an error, by the checks of new
                                   definitions, and formatted stably */
    QEMU_XML_FUZZ_REFUSED,      /* refused, with an error */
    QEMU_XML_FUZZ_SKIPPED,      /* not checked: it hits a known bug of
                                   upstream libvirt */
    QEMU_XML_FUZZ_FAILED,       /* a bug: the report says what */
} qemuXMLFuzzResult;

typedef struct _qemuXMLFuzzStats qemuXMLFuzzStats;
struct _qemuXMLFuzzStats {
    size_t cases;
    size_t accepted;
    size_t acceptedOld;
    size_t refused;
    size_t refusedInternal;     /* of the refused: VIR_ERR_INTERNAL_ERROR */
    size_t derived;             /* topologies auto_topology derived */
    size_t startRefused;        /* of the accepted: starts refused, with
                                   an error */
    size_t skipped;
    size_t failed;
};

int qemuXMLFuzzInit(void);
void qemuXMLFuzzShutdown(void);

qemuXMLFuzzResult qemuXMLFuzzCheck(const char *xml,
                                   qemuXMLFuzzStats *stats,
                                   char **report);

char *qemuXMLFuzzMutate(const char *xml,
                        size_t len,
                        unsigned long long seed,
                        unsigned int nmutations,
                        char **description);

typedef struct _qemuXMLFuzzSeed qemuXMLFuzzSeed;
struct _qemuXMLFuzzSeed {
    const char *file;       /* in tests/qemuxml2argvdata/, without '.xml';
                               a path from the top source dir if it has a '/' */
    const char *arch;       /* the capabilities fixture to check it with */
    const char *version;
    const char *memory;     /* a <memory> device to attach, or NULL */
};

extern const qemuXMLFuzzSeed qemuXMLFuzzSeeds[];
extern const size_t qemuXMLFuzzNSeeds;

char *qemuXMLFuzzSeedName(const qemuXMLFuzzSeed *seed);
char *qemuXMLFuzzSeedLoad(const qemuXMLFuzzSeed *seed);
