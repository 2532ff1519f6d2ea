/*
 * kp-resctrlfs.c: an emulator of the Linux resctrl filesystem (Intel RDT,
 * Arm MPAM) in FUSE, for libvirt-kunpeng's end-to-end tests
 *
 * Usage:
 *   kp-resctrlfs --seed DIR [FUSE options] MOUNTPOINT
 *
 * It always runs in the foreground and single-threaded (-f -s are added);
 * SIGTERM or SIGINT unmounts and exits. The mount shows in /proc/mounts as
 * "resctrl MOUNTPOINT fuse.kp-resctrlfs". It must be started as root (FUSE
 * then restricts access to root, which is who libvirt runs as).
 *
 * DIR is shaped like a real host's /sys/fs/resctrl right after mounting
 * (tests/e2e/resctrlfs/hosts/ has some, see their README.md):
 *
 *   schemata          the default group's lines: what this host prints,
 *                     in its order and format (blanks before the names,
 *                     zero padding); required
 *   info/...          copied as it is and served read-only, except
 *                     info/last_cmd_status, which the emulator keeps. What
 *                     it reads there: info/<R>/num_closids (the smallest
 *                     is the number of partition ids; required),
 *                     info/<R>/cbm_mask, min_cbm_bits, sparse_masks for a
 *                     bitmap line R (or its level, L3CODE -> L3),
 *                     info/MB/min_bandwidth and bandwidth_gran, the
 *                     "name@max" lines of openEuler's info/<R>/features
 *                     (caPrio, caMax, caMin, mbPrio, mbHdl, mbMin, mbMax)
 *                     for the ranges of the MPAM extension lines, and
 *                     info/L3_MON (its presence, mon_features) for
 *                     monitoring
 *   cpus_list, cpus   the default group's CPUs (else this machine's online
 *                     CPUs); they are also the CPUs that can be assigned
 *   mode, size        only whether they exist: groups get these files when
 *                     the seed has them (openEuler's resctrl has neither);
 *                     size also gives the bytes per bitmap bit of each
 *                     cache domain
 *   mon_data/mon_*_NN/EVENT
 *                     the default group's monitoring domains and values;
 *                     without it the domains are mon_L3_NN for the ids of
 *                     the L3 line, and the values 0
 *   tasks             ignored (see "tasks" below)
 *
 * Semantics, as the kernel's (fs/resctrl, arch/x86/kernel/cpu/resctrl and
 * openEuler's arm64 MPAM code were the references):
 *  - mkdir in the root makes a control group: schemata with every line at
 *    its default (cache bitmaps: all of cbm_mask, which is what the kernel
 *    gives a new shareable group; other lines: the seed's values, i.e. the
 *    values the kernel resets to at mount), tasks and cpus empty, mode
 *    "shareable", size, and mon_groups/ + mon_data/ when there is
 *    monitoring. ENOSPC "Out of CLOSIDs" once every partition id is used
 *    (the default group holds one). Monitoring groups are not limited:
 *    info/L3_MON/num_rmids means nothing on MPAM (openEuler's driver
 *    reports 1) and the kernel's RMID allocation is per architecture.
 *    mkdir in a mon_groups directory makes a monitoring group (tasks,
 *    cpus, cpus_list, mon_data). Anywhere else: EPERM; a name with a
 *    newline: EINVAL; an existing name: EEXIST.
 *  - rmdir removes a group; its tasks and CPUs go back to the default
 *    group (a monitoring group's to its control group), its monitoring
 *    groups go with it. rmdir of anything else: EPERM.
 *  - A schemata write must end with a newline; each line is "NAME:ID=VAL;
 *    ID=VAL..." and only the lines and domain ids given change. The whole
 *    write is checked before anything changes. EINVAL, with the reason in
 *    info/last_cmd_status, for: a missing ':' or value, an unknown line
 *    name, a malformed or unknown domain id, a domain given twice, and a
 *    value out of range for its line:
 *      L2, L3, L3CODE, ... (bitmaps): hex, within cbm_mask, not empty when
 *        min_cbm_bits > 0, contiguous unless info/<R>/sparse_masks is 1,
 *        with at least min_cbm_bits bits in its first run;
 *      MB, MBMAX: decimal in [min_bandwidth, 100], rounded up to
 *        bandwidth_gran; MBMIN: [0, 100], rounded likewise;
 *        L3MAX [1, 100], L3MIN [0, 100] (upper bound from features);
 *      L3PRI [0, caPrio], MBPRI [0, mbPrio], MBHDL [0, mbHdl] (features,
 *        else 3, 7 and 1);
 *      any other line of the seed (a resource the emulator does not know):
 *        kept as text; a write is accepted when its values are made of the
 *        same characters (decimal, hex) and are no longer than the seed's.
 *    A good write sets last_cmd_status to "ok". Reading prints every line
 *    in the seed's order, with the seed's blanks before the name, bitmaps
 *    in hex and numbers in decimal, zero-padded to the seed's width of the
 *    line when the seed shows zero padding anywhere (openEuler pads every
 *    value to one width), blank-padded when the line's seed values are.
 *    Where the kernel gives EINVAL without a reason (a missing trailing
 *    newline, an unknown domain id, openEuler's range errors) the emulator
 *    still writes one: the tests want to know why. Stricter than
 *    openEuler's kernel, which raises an MB value below the minimum to it
 *    and does not check that masks are contiguous: the emulator does what
 *    upstream does.
 *  - Each write(2) is one command, as for kernfs files (mind that bash's
 *    printf and echo builtins write line by line). Writes to schemata,
 *    tasks, cpus, cpus_list and mode, and mkdir, first clear
 *    last_cmd_status, as the kernel does.
 *  - tasks: writing thread ids (comma-separated, "0" = the writer) moves
 *    each from the group it is in to this one; ESRCH "No task N" for a
 *    thread that does not exist; a monitoring group takes only threads of
 *    its control group. The default group lists every thread of the
 *    system (as /proc shows them to the emulator) that is in no other
 *    group, as the kernel does; a thread that exits leaves its group.
 *  - cpus / cpus_list: a hex mask / a list; CPUs given to a group leave
 *    the others, CPUs taken from a group go back to the default group
 *    (which cannot give any away); only the seed's CPUs can be assigned.
 *  - mode: "shareable" only (exclusive and pseudo-locking are not
 *    emulated: EINVAL).
 *  - mon_data/mon_*_NN/EVENT: the default group's values come from the
 *    seed, a new group's are 0. Not kernel behaviour: writing a decimal
 *    number into one of these files sets the value it reports, so that a
 *    test can make counters move.
 *  - Any other change (create, unlink, rename, chmod) is refused.
 */

#define _GNU_SOURCE
#define FUSE_USE_VERSION 31

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <fuse.h>

#define KP_ATTR_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define KP_UNUSED __attribute__((unused))
#define KP_MIN(a, b) ((a) < (b) ? (a) : (b))

/* The kernel keeps the last command's status in a buffer of this size */
#define KP_STATUS_MAX 512




/* ------------------------------------------------------------------ */
/* Small helpers                                                        */

static void KP_ATTR_PRINTF(1, 2) __attribute__((noreturn))
kpDie(const char *fmt, ...)
{
    va_list ap;

    fputs("kp-resctrlfs: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(EXIT_FAILURE);
}


static void *
kpAlloc(size_t n)
{
    void *p = calloc(1, n ? n : 1);

    if (!p)
        kpDie("out of memory");
    return p;
}


/* Make room for one more element at the end of *ARRAY (of *N). */
static void *
kpGrow(void *array, size_t n, size_t size)
{
    void *p = realloc(array, (n + 1) * size);

    if (!p)
        kpDie("out of memory");
    return p;
}


static char *
kpStrdup(const char *s)
{
    char *p = strdup(s);

    if (!p)
        kpDie("out of memory");
    return p;
}


typedef struct {
    char *s;
    size_t len;
    size_t cap;
} kpBuf;


static void KP_ATTR_PRINTF(2, 3)
kpBufAdd(kpBuf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    for (;;) {
        size_t room = b->cap - b->len;

        va_start(ap, fmt);
        n = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
        va_end(ap);
        if (n < 0)
            kpDie("vsnprintf failed");
        if ((size_t)n < room)
            break;
        b->cap = (b->cap + n + 1) * 2;
        if (!(b->s = realloc(b->s, b->cap)))
            kpDie("out of memory");
    }
    b->len += n;
}


static void
kpBufReset(kpBuf *b)
{
    b->len = 0;
    if (b->s)
        b->s[0] = '\0';
}


/* A whole file, NUL-terminated; NULL if it cannot be read. */
static char *
kpReadFile(const char *path)
{
    FILE *fp = fopen(path, "r");
    kpBuf b = { 0 };
    char chunk[4096];
    size_t n;

    if (!fp)
        return NULL;
    kpBufAdd(&b, "%s", "");
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
        kpBufAdd(&b, "%.*s", (int)n, chunk);
    fclose(fp);
    return b.s;
}


/* Like the kernel's strim(): blanks off both ends, in place. */
static char *
kpStrim(char *s)
{
    char *end;

    while (isspace((unsigned char)*s))
        s++;
    end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}


/* Like the kernel's kstrtoul(): the whole string, an optional '+', for
 * base 16 an optional "0x", at least one digit, no overflow. */
static bool
kpParseULong(const char *s, int base, unsigned long *val)
{
    char *end;

    if (*s == '+')
        s++;
    if (base == 16 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        s += 2;
    if (base == 16 ? !isxdigit((unsigned char)*s) : !isdigit((unsigned char)*s))
        return false;
    errno = 0;
    *val = strtoul(s, &end, base);
    return errno == 0 && *end == '\0';
}


/* Like the kernel's kstrtoint(s, 0, ...) for the tasks file. */
static bool
kpParseInt(const char *s, int *val)
{
    char *end;
    long v;

    if (!*s)
        return false;
    errno = 0;
    v = strtol(s, &end, 0);
    if (errno || *end || v < INT_MIN || v > INT_MAX)
        return false;
    *val = v;
    return true;
}


static bool
kpAllChars(const char *s, const char *set)
{
    return *s && s[strspn(s, set)] == '\0';
}


static unsigned int
kpPopcount(unsigned long v)
{
    return __builtin_popcountl(v);
}


static int
kpCompareTid(const void *a, const void *b)
{
    pid_t x = *(const pid_t *)a;
    pid_t y = *(const pid_t *)b;

    return (x > y) - (x < y);
}


static int
kpCompareStr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}


/* ------------------------------------------------------------------ */
/* The seed's info/ tree                                                */

typedef struct kpInfo kpInfo;
struct kpInfo {
    char *name;
    bool dir;
    char *data;        /* files */
    kpInfo *children;  /* directories */
    kpInfo *next;
};

static kpInfo *kpInfoRoot;


static kpInfo *
kpInfoLoad(const char *path, const char *name)
{
    kpInfo *node = kpAlloc(sizeof(*node));
    struct stat st;

    node->name = kpStrdup(name);
    if (stat(path, &st) < 0)
        kpDie("cannot stat %s: %s", path, strerror(errno));

    if (S_ISDIR(st.st_mode)) {
        DIR *dir = opendir(path);
        struct dirent *ent;
        kpInfo **tail = &node->children;

        if (!dir)
            kpDie("cannot open %s: %s", path, strerror(errno));
        node->dir = true;
        while ((ent = readdir(dir))) {
            char *sub;

            if (!strcmp(ent->d_name, ".") || !strcmp(ent->d_name, ".."))
                continue;
            if (asprintf(&sub, "%s/%s", path, ent->d_name) < 0)
                kpDie("out of memory");
            *tail = kpInfoLoad(sub, ent->d_name);
            tail = &(*tail)->next;
            free(sub);
        }
        closedir(dir);
    } else if (!(node->data = kpReadFile(path))) {
        kpDie("cannot read %s: %s", path, strerror(errno));
    }
    return node;
}


static kpInfo *
kpInfoChild(kpInfo *dir, const char *name)
{
    kpInfo *c;

    if (!dir || !dir->dir)
        return NULL;
    for (c = dir->children; c; c = c->next) {
        if (!strcmp(c->name, name))
            return c;
    }
    return NULL;
}


/* The content of info/DIR/FILE, or NULL. */
static const char *
kpInfoFile(const char *dir, const char *file)
{
    kpInfo *f = kpInfoChild(kpInfoChild(kpInfoRoot, dir), file);

    return f && !f->dir ? f->data : NULL;
}


/* info/DIR/FILE as a number; false if there is no such file. */
static bool
kpInfoULong(const char *dir, const char *file, int base, unsigned long *val)
{
    const char *data = kpInfoFile(dir, file);
    char *copy;
    bool ok;

    if (!data)
        return false;
    copy = kpStrdup(data);
    ok = kpParseULong(kpStrim(copy), base, val);
    free(copy);
    if (!ok)
        kpDie("info/%s/%s: cannot parse '%s'", dir, file, data);
    return true;
}


/* The upper bound openEuler's info/DIR/features gives for a control
 * ("caPrio@3" lines), or DEF. */
static unsigned long
kpFeatureMax(const char *dir, const char *feature, unsigned long def)
{
    const char *data = kpInfoFile(dir, "features");
    size_t flen = strlen(feature);
    const char *line = data;

    while (line && *line) {
        unsigned long v;
        char num[32];
        size_t n = strcspn(line, "\n");

        if (n > flen + 1 && n - flen - 1 < sizeof(num) &&
            !strncmp(line, feature, flen) && line[flen] == '@') {
            memcpy(num, line + flen + 1, n - flen - 1);
            num[n - flen - 1] = '\0';
            if (kpParseULong(num, 10, &v))
                return v;
        }
        line += n;
        if (*line)
            line++;
    }
    return def;
}


/* ------------------------------------------------------------------ */
/* Schemata lines                                                       */

typedef enum {
    KP_KIND_BITMAP,    /* cache portion bitmaps: L2, L3, L3CODE, ... */
    KP_KIND_PERCENT,   /* MB, MBMIN, L3MAX, L3MIN */
    KP_KIND_LEVEL,     /* small integers: L3PRI, MBPRI, MBHDL */
    KP_KIND_OPAQUE,    /* a resource the emulator does not know */
} kpKind;

typedef struct {
    char *name;
    int indent;              /* blanks before the name in the seed */
    kpKind kind;
    size_t ndoms;
    unsigned long *domids;   /* in the seed's order */
    size_t off;              /* index of the first domain's value */
    int width;               /* widest value of the line in the seed */
    char pad;                /* '0', ' ' or '\0': how values reach width */
    unsigned long cbm_mask;  /* bitmaps */
    unsigned int cbm_len;
    unsigned long min_cbm_bits;
    bool sparse;
    unsigned long min;       /* percentages and levels */
    unsigned long max;
    unsigned long gran;
    const char *chars;       /* opaque: what its values are made of, if
                              * all are digits or hex digits */
    unsigned long long *bytes_per_bit;  /* bitmaps, from the seed's size */
    bool in_size;            /* the size file shows this line */
} kpSchema;

static kpSchema *kpSchemas;
static size_t kpNSchemas;
static size_t kpNVals;          /* domains of all lines */
static unsigned long *kpDefVals; /* a new group's values */
static char **kpDefStrs;


static kpSchema *
kpSchemaFind(const char *name)
{
    size_t i;

    for (i = 0; i < kpNSchemas; i++) {
        if (!strcmp(kpSchemas[i].name, name))
            return &kpSchemas[i];
    }
    return NULL;
}


static ssize_t
kpSchemaDomain(const kpSchema *s, unsigned long id)
{
    size_t i;

    for (i = 0; i < s->ndoms; i++) {
        if (s->domids[i] == id)
            return i;
    }
    return -1;
}


/* Decide what a line is from its name, and take its limits from info/. */
static void
kpSchemaClassify(kpSchema *s)
{
    const char *name = s->name;
    const char *rest;
    char res[32];      /* its resource: L3, L3CODE, MB */
    char level[32];    /* L3 for L3CODE */
    const char *dir;
    bool cache;

    if (!strncmp(name, "MB", 2)) {
        cache = false;
        rest = name + 2;
        snprintf(res, sizeof(res), "MB");
        snprintf(level, sizeof(level), "MB");
    } else if (name[0] == 'L' && isdigit((unsigned char)name[1])) {
        size_t n = 1 + strspn(name + 1, "0123456789");

        cache = true;
        snprintf(level, sizeof(level), "%.*s", (int)n, name);
        rest = name + n;
        if (!strncmp(rest, "CODE", 4) || !strncmp(rest, "DATA", 4))
            rest += 4;
        snprintf(res, sizeof(res), "%.*s", (int)(rest - name), name);
    } else {
        s->kind = KP_KIND_OPAQUE;
        return;
    }
    /* A CDP host has info/L3CODE and info/L3DATA, else there is info/L3 */
    dir = kpInfoChild(kpInfoRoot, res) ? res : level;

    if (cache && !*rest) {
        unsigned long sparse = 0;

        s->kind = KP_KIND_BITMAP;
        if (!kpInfoULong(dir, "cbm_mask", 16, &s->cbm_mask) || !s->cbm_mask)
            kpDie("the %s line needs a non-zero info/%s/cbm_mask", name, dir);
        s->cbm_len = sizeof(long) * CHAR_BIT - __builtin_clzl(s->cbm_mask);
        if (!kpInfoULong(dir, "min_cbm_bits", 10, &s->min_cbm_bits))
            s->min_cbm_bits = 1;
        kpInfoULong(dir, "sparse_masks", 10, &sparse);
        s->sparse = sparse == 1;
    } else if (!cache && (!*rest || !strcmp(rest, "MAX"))) {
        /* MB, and openEuler's MBMAX (mount option mbMax) */
        s->kind = KP_KIND_PERCENT;
        if (!kpInfoULong(dir, "min_bandwidth", 10, &s->min))
            s->min = 0;
        if (!kpInfoULong(dir, "bandwidth_gran", 10, &s->gran) || !s->gran)
            s->gran = 1;
        s->max = *rest ? kpFeatureMax(dir, "mbMax", 100) : 100;
    } else if (!strcmp(rest, "MIN")) {
        s->kind = KP_KIND_PERCENT;
        s->min = 0;
        s->max = kpFeatureMax(dir, cache ? "caMin" : "mbMin", 100);
        /* openEuler rounds MBMIN up to the bandwidth granule too */
        if (cache || !kpInfoULong(dir, "bandwidth_gran", 10, &s->gran) || !s->gran)
            s->gran = 1;
    } else if (cache && !strcmp(rest, "MAX")) {
        s->kind = KP_KIND_PERCENT;
        s->min = 1;
        s->max = kpFeatureMax(dir, "caMax", 100);
        s->gran = 1;
    } else if (!strcmp(rest, "PRI")) {
        s->kind = KP_KIND_LEVEL;
        s->max = cache ? kpFeatureMax(dir, "caPrio", 3) : kpFeatureMax(dir, "mbPrio", 7);
    } else if (!cache && !strcmp(rest, "HDL")) {
        s->kind = KP_KIND_LEVEL;
        s->max = kpFeatureMax(dir, "mbHdl", 1);
    } else {
        s->kind = KP_KIND_OPAQUE;
    }
}


/* One line of a seed's schemata or size file. */
typedef struct {
    char *name;
    int indent;
    size_t n;
    char **ids;
    char **vals;     /* raw, blanks included */
} kpSeedLine;


static void
kpSeedLinesFree(kpSeedLine *lines, size_t nlines)
{
    size_t i;

    for (i = 0; i < nlines; i++) {
        free(lines[i].ids);
        free(lines[i].vals);
    }
    free(lines);
}


static kpSeedLine *
kpSeedParse(const char *what, char *data, size_t *nlines)
{
    kpSeedLine *lines = NULL;
    char *p = data;
    char *line;

    *nlines = 0;
    while ((line = strsep(&p, "\n"))) {
        kpSeedLine *l;
        char *colon;
        char *doms;
        char *dom;
        int indent = 0;

        if (!*line)
            continue;
        while (line[indent] == ' ')
            indent++;
        if (!(colon = strchr(line, ':')))
            kpDie("%s: no ':' in line '%s'", what, line);
        *colon = '\0';

        lines = kpGrow(lines, *nlines, sizeof(*lines));
        l = &lines[(*nlines)++];
        memset(l, 0, sizeof(*l));
        l->name = kpStrim(line);
        l->indent = indent;
        doms = colon + 1;
        while ((dom = strsep(&doms, ";"))) {
            char *eq = strchr(dom, '=');

            if (!*dom && !doms)
                break;
            if (!eq)
                kpDie("%s: no '=' in '%s' of line %s", what, dom, l->name);
            *eq = '\0';
            l->ids = kpGrow(l->ids, l->n, sizeof(*l->ids));
            l->vals = kpGrow(l->vals, l->n, sizeof(*l->vals));
            l->ids[l->n] = kpStrim(dom);
            l->vals[l->n++] = eq + 1;
        }
        if (!l->n)
            kpDie("%s: line %s has no domain", what, l->name);
    }
    return lines;
}


/* Parse a value of line S as the kernel would; false if it is bad. */
static bool
kpSchemaParseSeedValue(const kpSchema *s, const char *raw, unsigned long *v)
{
    char *copy = kpStrdup(raw);
    bool ok = kpParseULong(kpStrim(copy), s->kind == KP_KIND_BITMAP ? 16 : 10, v);

    free(copy);
    return ok;
}


/* ------------------------------------------------------------------ */
/* Groups, tasks, CPUs                                                  */

typedef struct kpGroup kpGroup;
struct kpGroup {
    char *name;
    bool mon;                     /* a monitoring group, in parent's mon_groups */
    kpGroup *parent;              /* monitoring groups: their control group */
    unsigned long *vals;          /* control groups: kpNVals values */
    char **strs;                  /* control groups: opaque lines' values */
    bool *cpus;                   /* kpNCpus */
    unsigned long long *mon_vals; /* kpNMonDoms * kpNMonEvts */
    kpGroup *next;
};

static kpGroup kpRoot = { .name = (char *)"" };
static kpGroup *kpGroups;       /* every other group, newest first */

static size_t kpNCpus;
static bool *kpOnlineCpus;      /* the CPUs that can be assigned */

static unsigned long kpNumClosids;
static bool kpHaveMode;
static bool kpHaveSize;

static bool kpMonitoring;
static char **kpMonDoms;                /* "mon_L3_00", ... */
static size_t kpNMonDoms;
static char **kpMonEvts;                /* "llc_occupancy", ... */
static size_t kpNMonEvts;

typedef struct {
    pid_t tid;
    kpGroup *grp;                 /* never the default group */
} kpTask;

static kpTask *kpTasks;          /* the threads not in the default group */
static size_t kpNTasks;

static char kpStatus[KP_STATUS_MAX];
static size_t kpStatusLen;
static time_t kpMountTime;


static void
kpStatusClear(void)
{
    kpStatusLen = 0;
    kpStatus[0] = '\0';
}


/* Like the kernel's rdt_last_cmd_printf(): appended, cut at the end of
 * its buffer. */
static void KP_ATTR_PRINTF(1, 2)
kpStatusAdd(const char *fmt, ...)
{
    va_list ap;
    int n;

    if (kpStatusLen >= sizeof(kpStatus) - 1)
        return;
    va_start(ap, fmt);
    n = vsnprintf(kpStatus + kpStatusLen, sizeof(kpStatus) - kpStatusLen, fmt, ap);
    va_end(ap);
    if (n > 0)
        kpStatusLen = KP_MIN(kpStatusLen + n, sizeof(kpStatus) - 1);
}


static kpGroup *
kpGroupNew(const char *name, kpGroup *parent, bool mon)
{
    kpGroup *g = kpAlloc(sizeof(*g));
    size_t i;

    g->name = kpStrdup(name);
    g->mon = mon;
    g->parent = parent;
    if (!mon) {
        g->vals = kpAlloc(kpNVals * sizeof(*g->vals));
        g->strs = kpAlloc(kpNVals * sizeof(*g->strs));
        for (i = 0; i < kpNVals; i++) {
            g->vals[i] = kpDefVals[i];
            g->strs[i] = kpDefStrs[i] ? kpStrdup(kpDefStrs[i]) : NULL;
        }
    }
    g->cpus = kpAlloc(kpNCpus * sizeof(*g->cpus));
    g->mon_vals = kpAlloc(kpNMonDoms * kpNMonEvts * sizeof(*g->mon_vals));
    return g;
}


static void
kpGroupFree(kpGroup *g)
{
    size_t i;

    if (g->strs) {
        for (i = 0; i < kpNVals; i++)
            free(g->strs[i]);
    }
    free(g->strs);
    free(g->vals);
    free(g->cpus);
    free(g->mon_vals);
    free(g->name);
    free(g);
}


/* A control group of the root (PARENT NULL), or a monitoring group in
 * PARENT's mon_groups. */
static kpGroup *
kpGroupFind(kpGroup *parent, const char *name)
{
    kpGroup *g;

    for (g = kpGroups; g; g = g->next) {
        if (g->mon == !!parent && (!parent || g->parent == parent) &&
            !strcmp(g->name, name))
            return g;
    }
    return NULL;
}


/* The control groups besides the default one */
static size_t
kpCtrlGroupCount(void)
{
    kpGroup *g;
    size_t n = 0;

    for (g = kpGroups; g; g = g->next) {
        if (!g->mon)
            n++;
    }
    return n;
}


static kpGroup *
kpGroupCtrl(kpGroup *g)
{
    return g->mon ? g->parent : g;
}


static bool
kpTidExists(pid_t tid)
{
    char path[64];

    /* /proc/TID works for every thread, not only for process leaders */
    snprintf(path, sizeof(path), "/proc/%d", (int)tid);
    return access(path, F_OK) == 0;
}


/* Forget the threads that exited: the kernel frees them with their group
 * membership. */
static void
kpTasksPrune(void)
{
    size_t i = 0;

    while (i < kpNTasks) {
        if (!kpTidExists(kpTasks[i].tid))
            kpTasks[i] = kpTasks[--kpNTasks];
        else
            i++;
    }
}


static kpGroup *
kpTaskGroup(pid_t tid)
{
    size_t i;

    for (i = 0; i < kpNTasks; i++) {
        if (kpTasks[i].tid == tid)
            return kpTasks[i].grp;
    }
    return &kpRoot;
}


static void
kpTaskSet(pid_t tid, kpGroup *grp)
{
    size_t i;

    for (i = 0; i < kpNTasks; i++) {
        if (kpTasks[i].tid == tid)
            break;
    }
    if (grp == &kpRoot) {
        if (i < kpNTasks)
            kpTasks[i] = kpTasks[--kpNTasks];
        return;
    }
    if (i == kpNTasks) {
        kpTasks = kpGrow(kpTasks, kpNTasks, sizeof(*kpTasks));
        kpNTasks++;
    }
    kpTasks[i].tid = tid;
    kpTasks[i].grp = grp;
}


/* Every thread of the system, as /proc shows them. */
static pid_t *
kpSystemTids(size_t *n)
{
    DIR *proc = opendir("/proc");
    struct dirent *ent;
    pid_t *tids = NULL;

    *n = 0;
    if (!proc)
        return NULL;
    while ((ent = readdir(proc))) {
        char path[PATH_MAX];
        struct dirent *tent;
        DIR *task;

        if (!kpAllChars(ent->d_name, "0123456789"))
            continue;
        snprintf(path, sizeof(path), "/proc/%s/task", ent->d_name);
        if (!(task = opendir(path)))
            continue;
        while ((tent = readdir(task))) {
            if (!kpAllChars(tent->d_name, "0123456789"))
                continue;
            tids = kpGrow(tids, *n, sizeof(*tids));
            tids[(*n)++] = atoi(tent->d_name);
        }
        closedir(task);
    }
    closedir(proc);
    return tids;
}


/* Remove G; its tasks and CPUs go to the default group (a monitoring
 * group's to its control group), its monitoring groups go first. */
static void
kpGroupRemove(kpGroup *g)
{
    kpGroup *to = g->mon ? g->parent : &kpRoot;
    kpGroup **pp;
    size_t i;

    if (!g->mon) {
        kpGroup *m;

        for (;;) {
            for (m = kpGroups; m && !(m->mon && m->parent == g); m = m->next)
                ;
            if (!m)
                break;
            kpGroupRemove(m);
        }
    }

    i = 0;
    while (i < kpNTasks) {
        if (kpTasks[i].grp == g) {
            kpTaskSet(kpTasks[i].tid, to);
            /* kpTaskSet() may have moved the last entry here */
            continue;
        }
        i++;
    }
    for (i = 0; i < kpNCpus; i++) {
        if (g->cpus[i])
            to->cpus[i] = true;
    }

    for (pp = &kpGroups; *pp != g; pp = &(*pp)->next)
        ;
    *pp = g->next;
    kpGroupFree(g);
}


/* CPUs as the kernel's cpulist_parse() or cpumask_parse() read them,
 * into OUT (kpNCpus entries); false if malformed or beyond kpNCpus. */
static bool
kpCpusParse(const char *str, bool list, bool *out)
{
    char *copy = kpStrdup(str);
    char *s = kpStrim(copy);
    bool ok = false;

    memset(out, 0, kpNCpus * sizeof(*out));
    if (list) {
        char *tok;
        char *p = s;

        while (*s && (tok = strsep(&p, ","))) {
            unsigned long a;
            unsigned long b;
            char *dash = strchr(tok, '-');

            if (dash)
                *dash = '\0';
            if (!kpParseULong(tok, 10, &a))
                goto cleanup;
            b = a;
            if (dash && !kpParseULong(dash + 1, 10, &b))
                goto cleanup;
            if (b < a || b >= kpNCpus)
                goto cleanup;
            for (; a <= b; a++)
                out[a] = true;
        }
    } else {
        size_t bit = 0;
        size_t i = strlen(s);

        while (i-- > 0) {
            int d;
            int k;

            if (s[i] == ',')
                continue;
            if (!isxdigit((unsigned char)s[i]))
                goto cleanup;
            d = isdigit((unsigned char)s[i]) ? s[i] - '0' :
                tolower((unsigned char)s[i]) - 'a' + 10;
            for (k = 0; k < 4; k++, bit++) {
                if (!(d & (1 << k)))
                    continue;
                if (bit >= kpNCpus)
                    goto cleanup;
                out[bit] = true;
            }
        }
    }
    ok = true;

 cleanup:
    free(copy);
    return ok;
}


/* As the kernel's "%*pb": hex, 32 bits per comma-separated group. */
static void
kpCpusFormatMask(const bool *cpus, kpBuf *b)
{
    size_t digits = (kpNCpus + 3) / 4;
    size_t d;

    if (!digits)
        digits = 1;
    for (d = digits; d-- > 0;) {
        int v = 0;
        int k;

        for (k = 0; k < 4; k++) {
            size_t bit = d * 4 + k;

            if (bit < kpNCpus && cpus[bit])
                v |= 1 << k;
        }
        kpBufAdd(b, "%x", v);
        if (d && d % 8 == 0)
            kpBufAdd(b, ",");
    }
    kpBufAdd(b, "\n");
}


/* As the kernel's "%*pbl": "0-3,6". */
static void
kpCpusFormatList(const bool *cpus, kpBuf *b)
{
    bool first = true;
    size_t i = 0;

    while (i < kpNCpus) {
        size_t j;

        if (!cpus[i]) {
            i++;
            continue;
        }
        for (j = i; j + 1 < kpNCpus && cpus[j + 1]; j++)
            ;
        if (j > i)
            kpBufAdd(b, "%s%zu-%zu", first ? "" : ",", i, j);
        else
            kpBufAdd(b, "%s%zu", first ? "" : ",", i);
        first = false;
        i = j + 1;
    }
    kpBufAdd(b, "\n");
}


/* ------------------------------------------------------------------ */
/* What the files say and what writing them does                        */

static void
kpFormatValue(const kpSchema *s, unsigned long v, const char *str, kpBuf *b)
{
    char num[64];
    int len;

    if (s->kind == KP_KIND_OPAQUE) {
        /* As the host printed it, or as it was written */
        kpBufAdd(b, "%s", str);
        return;
    }
    len = snprintf(num, sizeof(num), s->kind == KP_KIND_BITMAP ? "%lx" : "%lu", v);
    if (s->pad) {
        int i;

        for (i = len; i < s->width; i++)
            kpBufAdd(b, "%c", s->pad);
    }
    kpBufAdd(b, "%s", num);
}


static void
kpFormatSchemata(const kpGroup *g, kpBuf *b)
{
    size_t i;
    size_t j;

    for (i = 0; i < kpNSchemas; i++) {
        const kpSchema *s = &kpSchemas[i];

        kpBufAdd(b, "%*s%s:", s->indent, "", s->name);
        for (j = 0; j < s->ndoms; j++) {
            kpBufAdd(b, "%s%lu=", j ? ";" : "", s->domids[j]);
            kpFormatValue(s, g->vals[s->off + j], g->strs[s->off + j], b);
        }
        kpBufAdd(b, "\n");
    }
}


/* The kernel's size file: bytes for cache bitmaps, the value for MB. */
static void
kpFormatSize(const kpGroup *g, kpBuf *b)
{
    size_t i;
    size_t j;

    for (i = 0; i < kpNSchemas; i++) {
        const kpSchema *s = &kpSchemas[i];

        if (!s->in_size)
            continue;
        kpBufAdd(b, "%*s%s:", s->indent, "", s->name);
        for (j = 0; j < s->ndoms; j++) {
            unsigned long v = g->vals[s->off + j];

            if (s->kind == KP_KIND_BITMAP)
                kpBufAdd(b, "%s%lu=%llu", j ? ";" : "", s->domids[j],
                         kpPopcount(v) * s->bytes_per_bit[j]);
            else
                kpBufAdd(b, "%s%lu=%lu", j ? ";" : "", s->domids[j], v);
        }
        kpBufAdd(b, "\n");
    }
}


static void
kpFormatTasks(kpGroup *g, kpBuf *b)
{
    pid_t *tids = NULL;
    size_t n = 0;
    size_t i;

    kpTasksPrune();
    if (g == &kpRoot) {
        pid_t *all = kpSystemTids(&n);
        size_t k = 0;

        /* every thread that is in no other control group */
        for (i = 0; i < n; i++) {
            if (kpGroupCtrl(kpTaskGroup(all[i])) == &kpRoot)
                all[k++] = all[i];
        }
        tids = all;
        n = k;
    } else {
        /* a control group lists its monitoring groups' threads too */
        for (i = 0; i < kpNTasks; i++) {
            if (kpTasks[i].grp == g || (!g->mon && kpGroupCtrl(kpTasks[i].grp) == g)) {
                tids = kpGrow(tids, n, sizeof(*tids));
                tids[n++] = kpTasks[i].tid;
            }
        }
    }
    qsort(tids, n, sizeof(*tids), kpCompareTid);
    for (i = 0; i < n; i++)
        kpBufAdd(b, "%d\n", (int)tids[i]);
    free(tids);
}


/* Check one "ID=VALUE" value of line S as the kernel does, into *V or
 * *STR; on error a reason in last_cmd_status and false. */
static bool
kpSchemaCheck(const kpSchema *s, const char *val, unsigned long *v, char **str)
{
    size_t seedlen = s->width;

    switch (s->kind) {
    case KP_KIND_BITMAP: {
        unsigned long first;
        unsigned long zero;
        unsigned long bit;

        if (!kpParseULong(val, 16, v)) {
            kpStatusAdd("Non-hex character in the mask %s\n", val);
            return false;
        }
        if ((s->min_cbm_bits > 0 && *v == 0) || *v > s->cbm_mask) {
            kpStatusAdd("Mask out of range\n");
            return false;
        }
        for (first = 0; first < s->cbm_len && !(*v & (1UL << first)); first++)
            ;
        for (zero = first; zero < s->cbm_len && (*v & (1UL << zero)); zero++)
            ;
        for (bit = zero; bit < s->cbm_len && !(*v & (1UL << bit)); bit++)
            ;
        if (!s->sparse && bit < s->cbm_len) {
            kpStatusAdd("The mask %lx has non-consecutive 1-bits\n", *v);
            return false;
        }
        if (zero - first < s->min_cbm_bits) {
            kpStatusAdd("Need at least %lu bits in the mask\n", s->min_cbm_bits);
            return false;
        }
        return true;
    }

    case KP_KIND_PERCENT:
    case KP_KIND_LEVEL:
        if (!kpParseULong(val, 10, v) || *v > UINT_MAX) {
            kpStatusAdd("Invalid %s value %s\n", s->name, val);
            return false;
        }
        if (*v < s->min || *v > s->max) {
            kpStatusAdd("%s value %lu out of range [%lu,%lu]\n",
                        s->name, *v, s->min, s->max);
            return false;
        }
        if (s->kind == KP_KIND_PERCENT && s->gran > 1)
            *v = (*v + s->gran - 1) / s->gran * s->gran;
        return true;

    case KP_KIND_OPAQUE:
        if (!*val || (s->chars ? !kpAllChars(val, s->chars) : !!strpbrk(val, "=; \t")) ||
            strlen(val) > seedlen) {
            kpStatusAdd("Value %s of %s is not shaped as this host's\n", val, s->name);
            return false;
        }
        *str = kpStrdup(val);
        return true;
    }
    return false;
}


/* A schemata write: every line and domain is checked before any changes,
 * as the kernel stages them. */
static int
kpSchemataWrite(kpGroup *g, const char *data, size_t len)
{
    bool *staged = kpAlloc(kpNVals * sizeof(*staged));
    unsigned long *vals = kpAlloc(kpNVals * sizeof(*vals));
    char **strs = kpAlloc(kpNVals * sizeof(*strs));
    char *buf = NULL;
    char *p;
    char *tok;
    int ret = -EINVAL;
    size_t i;

    kpStatusClear();
    if (len == 0 || data[len - 1] != '\n') {
        kpStatusAdd("Missing trailing newline\n");
        goto cleanup;
    }
    buf = kpAlloc(len);
    memcpy(buf, data, len - 1);
    p = buf;

    while ((tok = strsep(&p, "\n"))) {
        char *colon = strchr(tok, ':');
        char *resname;
        kpSchema *s;
        char *dom;

        if (!colon) {
            kpStatusAdd("Missing ':'\n");
            goto cleanup;
        }
        *colon = '\0';
        resname = kpStrim(tok);
        tok = colon + 1;
        if (!*tok) {
            kpStatusAdd("Missing '%s' value\n", resname);
            goto cleanup;
        }
        if (!(s = kpSchemaFind(resname))) {
            kpStatusAdd("Unknown or unsupported resource name '%s'\n", resname);
            goto cleanup;
        }
        while (tok && *tok) {
            char *id;
            unsigned long domid;
            ssize_t d;
            size_t idx;

            dom = strsep(&tok, ";");
            id = strsep(&dom, "=");
            if (!dom || !kpParseULong(id, 10, &domid)) {
                kpStatusAdd("Missing '=' or non-numeric domain\n");
                goto cleanup;
            }
            if ((d = kpSchemaDomain(s, domid)) < 0) {
                kpStatusAdd("Unknown domain %lu of %s\n", domid, s->name);
                goto cleanup;
            }
            idx = s->off + d;
            if (staged[idx]) {
                kpStatusAdd("Duplicate domain %lu\n", domid);
                goto cleanup;
            }
            if (!kpSchemaCheck(s, kpStrim(dom), &vals[idx], &strs[idx]))
                goto cleanup;
            staged[idx] = true;
        }
    }

    for (i = 0; i < kpNVals; i++) {
        if (!staged[i])
            continue;
        g->vals[i] = vals[i];
        if (strs[i]) {
            free(g->strs[i]);
            g->strs[i] = strs[i];
            strs[i] = NULL;
        }
    }
    ret = 0;

 cleanup:
    for (i = 0; i < kpNVals; i++)
        free(strs[i]);
    free(strs);
    free(vals);
    free(staged);
    free(buf);
    return ret;
}


static int
kpTasksWrite(kpGroup *g, const char *data, size_t len, pid_t caller)
{
    char *buf = kpAlloc(len + 1);
    char *p = buf;
    int ret = 0;

    kpStatusClear();
    memcpy(buf, data, len);
    while (p && *p && *p != '\n') {
        char *tok = kpStrim(strsep(&p, ","));
        kpGroup *from;
        int pid;

        if (!kpParseInt(tok, &pid)) {
            kpStatusAdd("Task list parsing error pid %s\n", tok);
            ret = -EINVAL;
            break;
        }
        if (pid < 0) {
            kpStatusAdd("Invalid pid %d\n", pid);
            ret = -EINVAL;
            break;
        }
        if (pid == 0)
            pid = caller;
        if (!kpTidExists(pid)) {
            kpStatusAdd("No task %d\n", pid);
            ret = -ESRCH;
            break;
        }
        from = kpTaskGroup(pid);
        if (g->mon && kpGroupCtrl(from) != g->parent) {
            kpStatusAdd("Can't move task to different control group\n");
            ret = -EINVAL;
            break;
        }
        kpTaskSet(pid, g);
    }
    free(buf);
    return ret;
}


static int
kpCpusWrite(kpGroup *g, const char *data, size_t len, bool list)
{
    bool *want = kpAlloc(kpNCpus * sizeof(*want));
    char *buf = kpAlloc(len + 1);
    kpGroup *h;
    int ret = -EINVAL;
    size_t i;

    kpStatusClear();
    memcpy(buf, data, len);
    if (!kpCpusParse(buf, list, want)) {
        kpStatusAdd("Bad CPU list/mask\n");
        goto cleanup;
    }
    for (i = 0; i < kpNCpus; i++) {
        if (want[i] && !kpOnlineCpus[i]) {
            kpStatusAdd("Can only assign online CPUs\n");
            goto cleanup;
        }
    }

    if (g->mon) {
        for (i = 0; i < kpNCpus; i++) {
            if (want[i] && !g->parent->cpus[i]) {
                kpStatusAdd("Can only add CPUs to mongroup that belong to parent\n");
                goto cleanup;
            }
        }
        /* what siblings had moves here; what this one drops stays in
         * the parent, which has all its monitoring groups' CPUs */
        for (h = kpGroups; h; h = h->next) {
            if (h != g && h->mon && h->parent == g->parent) {
                for (i = 0; i < kpNCpus; i++)
                    h->cpus[i] = h->cpus[i] && !want[i];
            }
        }
    } else {
        for (i = 0; i < kpNCpus; i++) {
            if (g == &kpRoot && g->cpus[i] && !want[i]) {
                kpStatusAdd("Can't drop CPUs from default group\n");
                goto cleanup;
            }
        }
        for (i = 0; i < kpNCpus; i++) {
            if (g->cpus[i] && !want[i])
                kpRoot.cpus[i] = true;
        }
        /* CPUs given to this group leave every other one */
        for (h = kpGroups; ; h = h->next) {
            kpGroup *other = h ? h : &kpRoot;

            if (other != g && kpGroupCtrl(other) != g) {
                for (i = 0; i < kpNCpus; i++)
                    other->cpus[i] = other->cpus[i] && !(want[i] && !g->cpus[i]);
            }
            if (!h)
                break;
        }
        /* and, as the kernel does, its monitoring groups start afresh */
        for (h = kpGroups; h; h = h->next) {
            if (h->mon && h->parent == g)
                memset(h->cpus, 0, kpNCpus * sizeof(*h->cpus));
        }
    }
    memcpy(g->cpus, want, kpNCpus * sizeof(*want));
    ret = 0;

 cleanup:
    free(buf);
    free(want);
    return ret;
}


static int
kpModeWrite(const char *data, size_t len)
{
    char *buf = kpAlloc(len + 1);
    char *mode;
    int ret = 0;

    kpStatusClear();
    memcpy(buf, data, len);
    mode = kpStrim(buf);
    if (!strcmp(mode, "exclusive") || !strcmp(mode, "pseudo-locksetup")) {
        kpStatusAdd("Mode %s is not emulated\n", mode);
        ret = -EINVAL;
    } else if (strcmp(mode, "shareable")) {
        kpStatusAdd("Unknown or unsupported mode\n");
        ret = -EINVAL;
    }
    free(buf);
    return ret;
}


/* Not kernel behaviour: lets a test set a monitoring counter. */
static int
kpMonWrite(unsigned long long *val, const char *data, size_t len)
{
    char *buf = kpAlloc(len + 1);
    char *end;
    char *s;
    int ret = -EINVAL;

    memcpy(buf, data, len);
    s = kpStrim(buf);
    errno = 0;
    if (isdigit((unsigned char)*s)) {
        unsigned long long v = strtoull(s, &end, 10);

        if (!errno && !*end) {
            *val = v;
            ret = 0;
        }
    }
    free(buf);
    return ret;
}


/* ------------------------------------------------------------------ */
/* Paths                                                                */

typedef enum {
    KP_NODE_GROUP,        /* a group's directory, the root's too */
    KP_NODE_GROUP_FILE,   /* schemata, tasks, ... of a group */
    KP_NODE_MON_GROUPS,   /* a control group's mon_groups */
    KP_NODE_MON_DATA,     /* a group's mon_data */
    KP_NODE_MON_DOMAIN,   /* mon_data/mon_L3_NN */
    KP_NODE_MON_FILE,     /* mon_data/mon_L3_NN/EVENT */
    KP_NODE_INFO,         /* a directory or file under info/ */
    KP_NODE_LAST_CMD,     /* info/last_cmd_status */
} kpNodeType;

typedef enum {
    KP_FILE_SCHEMATA,
    KP_FILE_TASKS,
    KP_FILE_CPUS,
    KP_FILE_CPUS_LIST,
    KP_FILE_MODE,
    KP_FILE_SIZE,
    KP_FILE_LAST
} kpFile;

static const char *const kpFileNames[KP_FILE_LAST] = {
    "schemata", "tasks", "cpus", "cpus_list", "mode", "size",
};

typedef struct {
    kpNodeType type;
    kpGroup *grp;
    kpFile file;
    kpInfo *info;
    size_t dom;
    size_t evt;
} kpLoc;


static bool
kpGroupHasFile(const kpGroup *g, kpFile f)
{
    switch (f) {
    case KP_FILE_SCHEMATA:
        return !g->mon;
    case KP_FILE_TASKS:
    case KP_FILE_CPUS:
    case KP_FILE_CPUS_LIST:
        return true;
    case KP_FILE_MODE:
        return !g->mon && kpHaveMode;
    case KP_FILE_SIZE:
        return !g->mon && kpHaveSize;
    case KP_FILE_LAST:
        break;
    }
    return false;
}


static int
kpStep(kpLoc *loc, const char *name)
{
    size_t i;

    switch (loc->type) {
    case KP_NODE_GROUP: {
        kpGroup *g = loc->grp;

        for (i = 0; i < KP_FILE_LAST; i++) {
            if (kpGroupHasFile(g, i) && !strcmp(name, kpFileNames[i])) {
                loc->type = KP_NODE_GROUP_FILE;
                loc->file = i;
                return 0;
            }
        }
        if (g == &kpRoot && !strcmp(name, "info")) {
            loc->type = KP_NODE_INFO;
            loc->info = kpInfoRoot;
            return 0;
        }
        if (kpMonitoring && !g->mon && !strcmp(name, "mon_groups")) {
            loc->type = KP_NODE_MON_GROUPS;
            return 0;
        }
        if (kpMonitoring && !strcmp(name, "mon_data")) {
            loc->type = KP_NODE_MON_DATA;
            return 0;
        }
        if (g == &kpRoot && (loc->grp = kpGroupFind(NULL, name)))
            return 0;
        return -ENOENT;
    }

    case KP_NODE_MON_GROUPS:
        if (!(loc->grp = kpGroupFind(loc->grp, name)))
            return -ENOENT;
        loc->type = KP_NODE_GROUP;
        return 0;

    case KP_NODE_MON_DATA:
        for (i = 0; i < kpNMonDoms; i++) {
            if (!strcmp(name, kpMonDoms[i])) {
                loc->type = KP_NODE_MON_DOMAIN;
                loc->dom = i;
                return 0;
            }
        }
        return -ENOENT;

    case KP_NODE_MON_DOMAIN:
        for (i = 0; i < kpNMonEvts; i++) {
            if (!strcmp(name, kpMonEvts[i])) {
                loc->type = KP_NODE_MON_FILE;
                loc->evt = i;
                return 0;
            }
        }
        return -ENOENT;

    case KP_NODE_INFO:
        if (!loc->info->dir)
            return -ENOTDIR;
        if (loc->info == kpInfoRoot && !strcmp(name, "last_cmd_status")) {
            loc->type = KP_NODE_LAST_CMD;
            return 0;
        }
        if (!(loc->info = kpInfoChild(loc->info, name)))
            return -ENOENT;
        return 0;

    case KP_NODE_GROUP_FILE:
    case KP_NODE_MON_FILE:
    case KP_NODE_LAST_CMD:
        return -ENOTDIR;
    }
    return -ENOENT;
}


static int
kpResolve(const char *path, kpLoc *loc)
{
    char *copy = kpStrdup(path);
    char *p = copy;
    char *comp;
    int ret = 0;

    memset(loc, 0, sizeof(*loc));
    loc->type = KP_NODE_GROUP;
    loc->grp = &kpRoot;
    while ((comp = strsep(&p, "/"))) {
        if (!*comp)
            continue;
        if ((ret = kpStep(loc, comp)) < 0)
            break;
    }
    free(copy);
    return ret;
}


static bool
kpLocIsDir(const kpLoc *loc)
{
    switch (loc->type) {
    case KP_NODE_GROUP:
    case KP_NODE_MON_GROUPS:
    case KP_NODE_MON_DATA:
    case KP_NODE_MON_DOMAIN:
        return true;
    case KP_NODE_INFO:
        return loc->info->dir;
    case KP_NODE_GROUP_FILE:
    case KP_NODE_MON_FILE:
    case KP_NODE_LAST_CMD:
        break;
    }
    return false;
}


static bool
kpLocIsWritable(const kpLoc *loc)
{
    return (loc->type == KP_NODE_GROUP_FILE && loc->file != KP_FILE_SIZE) ||
        loc->type == KP_NODE_MON_FILE;
}


static void
kpGenerate(const kpLoc *loc, kpBuf *b)
{
    kpBufReset(b);
    kpBufAdd(b, "%s", "");

    switch (loc->type) {
    case KP_NODE_GROUP_FILE:
        switch (loc->file) {
        case KP_FILE_SCHEMATA:
            kpFormatSchemata(loc->grp, b);
            break;
        case KP_FILE_TASKS:
            kpFormatTasks(loc->grp, b);
            break;
        case KP_FILE_CPUS:
            kpCpusFormatMask(loc->grp->cpus, b);
            break;
        case KP_FILE_CPUS_LIST:
            kpCpusFormatList(loc->grp->cpus, b);
            break;
        case KP_FILE_MODE:
            kpBufAdd(b, "shareable\n");
            break;
        case KP_FILE_SIZE:
            kpFormatSize(loc->grp, b);
            break;
        case KP_FILE_LAST:
            break;
        }
        break;
    case KP_NODE_MON_FILE:
        kpBufAdd(b, "%llu\n", loc->grp->mon_vals[loc->dom * kpNMonEvts + loc->evt]);
        break;
    case KP_NODE_INFO:
        if (!loc->info->dir)
            kpBufAdd(b, "%s", loc->info->data);
        break;
    case KP_NODE_LAST_CMD:
        kpBufAdd(b, "%s", kpStatusLen ? kpStatus : "ok\n");
        break;
    case KP_NODE_GROUP:
    case KP_NODE_MON_GROUPS:
    case KP_NODE_MON_DATA:
    case KP_NODE_MON_DOMAIN:
        break;
    }
}


/* ------------------------------------------------------------------ */
/* FUSE operations                                                      */

typedef struct {
    kpBuf content;
    bool have;
} kpOpenFile;


static void *
kpOpInit(struct fuse_conn_info *conn KP_UNUSED, struct fuse_config *cfg)
{
    /* Files change behind the kernel's back (tasks, last_cmd_status) and
     * report a size of 0, as kernfs files do: no caching of anything. */
    cfg->entry_timeout = 0;
    cfg->attr_timeout = 0;
    cfg->negative_timeout = 0;
    cfg->direct_io = 1;
    return NULL;
}


static int
kpOpGetattr(const char *path, struct stat *st, struct fuse_file_info *fi KP_UNUSED)
{
    kpLoc loc;
    int ret;

    if ((ret = kpResolve(path, &loc)) < 0)
        return ret;
    memset(st, 0, sizeof(*st));
    st->st_atime = st->st_mtime = st->st_ctime = kpMountTime;
    if (kpLocIsDir(&loc)) {
        st->st_mode = S_IFDIR | 0755;
        st->st_nlink = 2;
    } else {
        /* the monitoring files are writable only as a test hook */
        bool rw = kpLocIsWritable(&loc) && loc.type != KP_NODE_MON_FILE;

        st->st_mode = S_IFREG | (rw ? 0644 : 0444);
        st->st_nlink = 1;
    }
    return 0;
}


static int
kpOpReaddir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off KP_UNUSED,
            struct fuse_file_info *fi KP_UNUSED, enum fuse_readdir_flags flags KP_UNUSED)
{
    kpLoc loc;
    kpGroup *g;
    kpInfo *c;
    size_t i;
    int ret;

    if ((ret = kpResolve(path, &loc)) < 0)
        return ret;
    if (!kpLocIsDir(&loc))
        return -ENOTDIR;
    fill(buf, ".", NULL, 0, 0);
    fill(buf, "..", NULL, 0, 0);

    switch (loc.type) {
    case KP_NODE_GROUP:
        if (loc.grp == &kpRoot)
            fill(buf, "info", NULL, 0, 0);
        for (i = 0; i < KP_FILE_LAST; i++) {
            if (kpGroupHasFile(loc.grp, i))
                fill(buf, kpFileNames[i], NULL, 0, 0);
        }
        if (kpMonitoring && !loc.grp->mon)
            fill(buf, "mon_groups", NULL, 0, 0);
        if (kpMonitoring)
            fill(buf, "mon_data", NULL, 0, 0);
        if (loc.grp == &kpRoot) {
            for (g = kpGroups; g; g = g->next) {
                if (!g->mon)
                    fill(buf, g->name, NULL, 0, 0);
            }
        }
        break;
    case KP_NODE_MON_GROUPS:
        for (g = kpGroups; g; g = g->next) {
            if (g->mon && g->parent == loc.grp)
                fill(buf, g->name, NULL, 0, 0);
        }
        break;
    case KP_NODE_MON_DATA:
        for (i = 0; i < kpNMonDoms; i++)
            fill(buf, kpMonDoms[i], NULL, 0, 0);
        break;
    case KP_NODE_MON_DOMAIN:
        for (i = 0; i < kpNMonEvts; i++)
            fill(buf, kpMonEvts[i], NULL, 0, 0);
        break;
    case KP_NODE_INFO:
        if (loc.info == kpInfoRoot)
            fill(buf, "last_cmd_status", NULL, 0, 0);
        for (c = loc.info->children; c; c = c->next) {
            if (loc.info != kpInfoRoot || strcmp(c->name, "last_cmd_status"))
                fill(buf, c->name, NULL, 0, 0);
        }
        break;
    case KP_NODE_GROUP_FILE:
    case KP_NODE_MON_FILE:
    case KP_NODE_LAST_CMD:
        break;
    }
    return 0;
}


static int
kpOpOpen(const char *path, struct fuse_file_info *fi)
{
    kpLoc loc;
    int ret;

    if ((ret = kpResolve(path, &loc)) < 0)
        return ret;
    if (kpLocIsDir(&loc))
        return -EISDIR;
    /* kernfs refuses to open a file without a write method for writing */
    if ((fi->flags & O_ACCMODE) != O_RDONLY && !kpLocIsWritable(&loc))
        return -EACCES;
    fi->direct_io = 1;
    fi->fh = (uintptr_t)kpAlloc(sizeof(kpOpenFile));
    return 0;
}


static int
kpOpRead(const char *path, char *buf, size_t size, off_t off,
         struct fuse_file_info *fi)
{
    kpOpenFile *of = (kpOpenFile *)(uintptr_t)fi->fh;

    /* As a seq_file: the content is made when reading starts */
    if (off == 0 || !of->have) {
        kpLoc loc;
        int ret;

        if ((ret = kpResolve(path, &loc)) < 0)
            return ret;
        kpGenerate(&loc, &of->content);
        of->have = true;
    }
    if ((size_t)off >= of->content.len)
        return 0;
    if (size > of->content.len - off)
        size = of->content.len - off;
    memcpy(buf, of->content.s + off, size);
    return size;
}


static int
kpOpWrite(const char *path, const char *buf, size_t size, off_t off KP_UNUSED,
          struct fuse_file_info *fi KP_UNUSED)
{
    kpLoc loc;
    int ret;

    /* A group removed while the file was open: ENOENT, as the kernel's */
    if ((ret = kpResolve(path, &loc)) < 0)
        return ret;

    /* Each write(2) is one command, as for kernfs */
    if (loc.type == KP_NODE_MON_FILE) {
        ret = kpMonWrite(&loc.grp->mon_vals[loc.dom * kpNMonEvts + loc.evt], buf, size);
    } else if (loc.type == KP_NODE_GROUP_FILE) {
        switch (loc.file) {
        case KP_FILE_SCHEMATA:
            ret = kpSchemataWrite(loc.grp, buf, size);
            break;
        case KP_FILE_TASKS:
            ret = kpTasksWrite(loc.grp, buf, size, fuse_get_context()->pid);
            break;
        case KP_FILE_CPUS:
        case KP_FILE_CPUS_LIST:
            ret = kpCpusWrite(loc.grp, buf, size, loc.file == KP_FILE_CPUS_LIST);
            break;
        case KP_FILE_MODE:
            ret = kpModeWrite(buf, size);
            break;
        case KP_FILE_SIZE:
        case KP_FILE_LAST:
            ret = -EACCES;
            break;
        }
    } else {
        ret = -EACCES;
    }
    return ret < 0 ? ret : (int)size;
}


static int
kpOpRelease(const char *path KP_UNUSED, struct fuse_file_info *fi)
{
    kpOpenFile *of = (kpOpenFile *)(uintptr_t)fi->fh;

    free(of->content.s);
    free(of);
    return 0;
}


/* O_TRUNC, as "echo ... > schemata" opens: nothing to cut. */
static int
kpOpTruncate(const char *path, off_t size KP_UNUSED, struct fuse_file_info *fi KP_UNUSED)
{
    kpLoc loc;
    int ret;

    if ((ret = kpResolve(path, &loc)) < 0)
        return ret;
    if (kpLocIsDir(&loc))
        return -EISDIR;
    return kpLocIsWritable(&loc) ? 0 : -EACCES;
}


static int
kpOpMkdir(const char *path, mode_t mode KP_UNUSED)
{
    char *parent = kpStrdup(path);
    char *slash = strrchr(parent, '/');
    const char *name = path + (slash - parent) + 1;
    kpLoc loc;
    int ret;

    *slash = '\0';
    if (kpResolve(path, &loc) == 0) {
        ret = -EEXIST;
        goto cleanup;
    }
    if ((ret = kpResolve(parent, &loc)) < 0)
        goto cleanup;
    /* as the kernel: no name that would break the one-per-line files */
    if (strchr(name, '\n')) {
        ret = -EINVAL;
        goto cleanup;
    }
    if (!(loc.type == KP_NODE_GROUP && loc.grp == &kpRoot) &&
        loc.type != KP_NODE_MON_GROUPS) {
        ret = -EPERM;
        goto cleanup;
    }

    kpStatusClear();
    if (loc.type == KP_NODE_GROUP && kpCtrlGroupCount() + 1 >= kpNumClosids) {
        /* the default group holds partition id 0 */
        kpStatusAdd("Out of CLOSIDs\n");
        ret = -ENOSPC;
        goto cleanup;
    }

    {
        kpGroup *g = kpGroupNew(name, loc.type == KP_NODE_MON_GROUPS ? loc.grp : NULL,
                                loc.type == KP_NODE_MON_GROUPS);

        g->next = kpGroups;
        kpGroups = g;
    }
    ret = 0;

 cleanup:
    free(parent);
    return ret;
}


static int
kpOpRmdir(const char *path)
{
    kpLoc loc;
    int ret;

    if ((ret = kpResolve(path, &loc)) < 0)
        return ret;
    if (!kpLocIsDir(&loc))
        return -ENOTDIR;
    if (loc.type != KP_NODE_GROUP || loc.grp == &kpRoot)
        return -EPERM;
    kpGroupRemove(loc.grp);
    return 0;
}


static int
kpOpCreate(const char *path KP_UNUSED, mode_t mode KP_UNUSED,
           struct fuse_file_info *fi KP_UNUSED)
{
    return -EACCES;
}


static int
kpOpMknod(const char *path KP_UNUSED, mode_t mode KP_UNUSED, dev_t dev KP_UNUSED)
{
    return -EACCES;
}


static int
kpOpUnlink(const char *path KP_UNUSED)
{
    return -EPERM;
}


static int
kpOpRename(const char *from KP_UNUSED, const char *to KP_UNUSED,
           unsigned int flags KP_UNUSED)
{
    return -EPERM;
}


static int
kpOpLink(const char *from KP_UNUSED, const char *to KP_UNUSED)
{
    return -EPERM;
}


static int
kpOpChmod(const char *path KP_UNUSED, mode_t mode KP_UNUSED,
          struct fuse_file_info *fi KP_UNUSED)
{
    return -EPERM;
}


static int
kpOpChown(const char *path KP_UNUSED, uid_t uid KP_UNUSED, gid_t gid KP_UNUSED,
          struct fuse_file_info *fi KP_UNUSED)
{
    return -EPERM;
}


static int
kpOpUtimens(const char *path, const struct timespec tv[2] KP_UNUSED,
            struct fuse_file_info *fi KP_UNUSED)
{
    kpLoc loc;

    return kpResolve(path, &loc);
}


static int
kpOpStatfs(const char *path KP_UNUSED, struct statvfs *st)
{
    memset(st, 0, sizeof(*st));
    st->f_bsize = 4096;
    st->f_namemax = 255;
    return 0;
}


static const struct fuse_operations kpOps = {
    .init = kpOpInit,
    .getattr = kpOpGetattr,
    .readdir = kpOpReaddir,
    .open = kpOpOpen,
    .read = kpOpRead,
    .write = kpOpWrite,
    .release = kpOpRelease,
    .truncate = kpOpTruncate,
    .mkdir = kpOpMkdir,
    .rmdir = kpOpRmdir,
    .create = kpOpCreate,
    .mknod = kpOpMknod,
    .unlink = kpOpUnlink,
    .rename = kpOpRename,
    .link = kpOpLink,
    .symlink = kpOpLink,
    .chmod = kpOpChmod,
    .chown = kpOpChown,
    .utimens = kpOpUtimens,
    .statfs = kpOpStatfs,
};


/* ------------------------------------------------------------------ */
/* Loading the seed                                                     */

/* The default group's CPUs: the seed's, else this machine's online ones;
 * they are also all the CPUs there are. */
static void
kpSeedCpus(const char *seed)
{
    char *path;
    char *data = NULL;
    bool list = true;
    char *s;

    if (asprintf(&path, "%s/cpus_list", seed) < 0)
        kpDie("out of memory");
    if (!(data = kpReadFile(path))) {
        free(path);
        if (asprintf(&path, "%s/cpus", seed) < 0)
            kpDie("out of memory");
        list = false;
        if (!(data = kpReadFile(path))) {
            list = true;
            data = kpReadFile("/sys/devices/system/cpu/online");
        }
    }
    if (!data)
        kpDie("no cpus_list or cpus in %s, and no /sys/devices/system/cpu/online", seed);
    s = kpStrim(data);

    /* How many CPUs: the highest number in the list, or the mask's bits */
    if (list) {
        const char *p = s;

        kpNCpus = 0;
        while (*p) {
            if (isdigit((unsigned char)*p)) {
                char *end;
                unsigned long v = strtoul(p, &end, 10);

                if (v + 1 > kpNCpus)
                    kpNCpus = KP_MIN(v + 1, 65536);
                p = end;
            } else {
                p++;
            }
        }
    } else {
        const char *p;

        kpNCpus = 0;
        for (p = s; *p; p++) {
            if (*p != ',')
                kpNCpus += 4;
        }
    }
    kpOnlineCpus = kpAlloc(kpNCpus * sizeof(*kpOnlineCpus));
    if (!kpCpusParse(s, list, kpOnlineCpus))
        kpDie("%s: cannot parse '%s'", path, s);
    kpRoot.cpus = kpAlloc(kpNCpus * sizeof(*kpRoot.cpus));
    memcpy(kpRoot.cpus, kpOnlineCpus, kpNCpus * sizeof(*kpRoot.cpus));
    free(data);
    free(path);
}


static void
kpSeedSchemata(const char *seed)
{
    char *path;
    char *data;
    kpSeedLine *lines;
    size_t nlines;
    bool zeropad = false;
    size_t i;
    size_t j;

    if (asprintf(&path, "%s/schemata", seed) < 0)
        kpDie("out of memory");
    if (!(data = kpReadFile(path)))
        kpDie("cannot read %s: %s", path, strerror(errno));
    lines = kpSeedParse(path, data, &nlines);
    if (!nlines)
        kpDie("%s has no line", path);

    kpSchemas = kpAlloc(nlines * sizeof(*kpSchemas));
    for (i = 0; i < nlines; i++) {
        kpSchema *s = &kpSchemas[i];

        if (kpSchemaFind(lines[i].name))
            kpDie("%s: line %s given twice", path, lines[i].name);
        s->name = kpStrdup(lines[i].name);
        s->indent = lines[i].indent;
        s->ndoms = lines[i].n;
        s->domids = kpAlloc(s->ndoms * sizeof(*s->domids));
        s->off = kpNVals;
        kpNVals += s->ndoms;
        kpNSchemas++;
        for (j = 0; j < s->ndoms; j++) {
            const char *raw = lines[i].vals[j];

            if (!kpParseULong(lines[i].ids[j], 10, &s->domids[j]) ||
                kpSchemaDomain(s, s->domids[j]) < (ssize_t)j)
                kpDie("%s: bad or repeated domain '%s' in line %s",
                      path, lines[i].ids[j], s->name);
            if ((int)strlen(raw) > s->width)
                s->width = KP_MIN((int)strlen(raw), 64);
            if (raw[0] == ' ')
                s->pad = ' ';
            if (raw[0] == '0' && raw[1])
                zeropad = true;
        }
        kpSchemaClassify(s);
    }

    kpDefVals = kpAlloc(kpNVals * sizeof(*kpDefVals));
    kpDefStrs = kpAlloc(kpNVals * sizeof(*kpDefStrs));
    kpRoot.vals = kpAlloc(kpNVals * sizeof(*kpRoot.vals));
    kpRoot.strs = kpAlloc(kpNVals * sizeof(*kpRoot.strs));
    for (i = 0; i < kpNSchemas; i++) {
        kpSchema *s = &kpSchemas[i];

        /* openEuler pads every value to one width with zeros: where the
         * seed shows that anywhere, every number gets it */
        if (zeropad && s->kind != KP_KIND_OPAQUE)
            s->pad = '0';
        if (s->kind == KP_KIND_OPAQUE) {
            const char *kinds[] = { "0123456789", "0123456789abcdefABCDEF" };
            size_t k;

            s->pad = '\0';
            s->chars = NULL;
            for (k = 0; k < 2 && !s->chars; k++) {
                for (j = 0; j < s->ndoms; j++) {
                    char *v = kpStrim(kpStrdup(lines[i].vals[j]));
                    bool ok = kpAllChars(v, kinds[k]);

                    free(v);
                    if (!ok)
                        break;
                }
                if (j == s->ndoms)
                    s->chars = kinds[k];
            }
        }
        for (j = 0; j < s->ndoms; j++) {
            size_t idx = s->off + j;
            unsigned long v = 0;

            if (s->kind == KP_KIND_OPAQUE) {
                char *copy = kpStrdup(lines[i].vals[j]);

                kpRoot.strs[idx] = kpStrdup(kpStrim(copy));
                kpDefStrs[idx] = kpStrdup(kpRoot.strs[idx]);
                free(copy);
                continue;
            }
            if (!kpSchemaParseSeedValue(s, lines[i].vals[j], &v))
                kpDie("%s: cannot parse '%s' of line %s", path, lines[i].vals[j], s->name);
            kpRoot.vals[idx] = v;
            /* A new shareable group gets every bit no exclusive group
             * holds, i.e. all of them; the rest is as reset at mount. */
            kpDefVals[idx] = s->kind == KP_KIND_BITMAP ? s->cbm_mask : v;
        }
    }

    kpSeedLinesFree(lines, nlines);
    free(data);
    free(path);
}


/* The seed's size file gives the bytes of one bitmap bit per domain. */
static void
kpSeedSize(const char *seed)
{
    char *path;
    char *data;
    kpSeedLine *lines;
    size_t nlines;
    size_t i;
    size_t j;

    if (asprintf(&path, "%s/size", seed) < 0)
        kpDie("out of memory");
    if (!(data = kpReadFile(path))) {
        free(path);
        return;
    }
    kpHaveSize = true;
    lines = kpSeedParse(path, data, &nlines);
    for (i = 0; i < kpNSchemas; i++) {
        kpSchemas[i].bytes_per_bit = kpAlloc(kpSchemas[i].ndoms * sizeof(unsigned long long));
    }
    for (i = 0; i < nlines; i++) {
        kpSchema *s = kpSchemaFind(lines[i].name);

        if (!s || (s->kind != KP_KIND_BITMAP && s->kind != KP_KIND_PERCENT))
            continue;
        s->in_size = true;
        for (j = 0; j < lines[i].n && s->kind == KP_KIND_BITMAP; j++) {
            unsigned long id;
            unsigned long bytes;
            ssize_t d;
            unsigned int bits;

            if (!kpParseULong(lines[i].ids[j], 10, &id) ||
                (d = kpSchemaDomain(s, id)) < 0)
                continue;
            if (!kpParseULong(kpStrim(lines[i].vals[j]), 10, &bytes))
                kpDie("%s: cannot parse '%s' of line %s", path, lines[i].vals[j], s->name);
            bits = kpPopcount(kpRoot.vals[s->off + d]);
            s->bytes_per_bit[d] = bits ? bytes / bits : 0;
        }
    }
    kpSeedLinesFree(lines, nlines);
    free(data);
    free(path);
}


static void
kpSeedMonitoring(const char *seed)
{
    const char *features;
    char *path;
    DIR *dir;
    size_t i;
    size_t j;

    if (!kpInfoChild(kpInfoRoot, "L3_MON"))
        return;
    kpMonitoring = true;

    if ((features = kpInfoFile("L3_MON", "mon_features"))) {
        char *copy = kpStrdup(features);
        char *p = copy;
        char *line;

        while ((line = strsep(&p, "\n"))) {
            line = kpStrim(line);
            if (!*line)
                continue;
            kpMonEvts = kpGrow(kpMonEvts, kpNMonEvts, sizeof(*kpMonEvts));
            kpMonEvts[kpNMonEvts++] = kpStrdup(line);
        }
        free(copy);
    }

    if (asprintf(&path, "%s/mon_data", seed) < 0)
        kpDie("out of memory");
    if ((dir = opendir(path))) {
        struct dirent *ent;

        while ((ent = readdir(dir))) {
            if (strncmp(ent->d_name, "mon_", 4))
                continue;
            kpMonDoms = kpGrow(kpMonDoms, kpNMonDoms, sizeof(*kpMonDoms));
            kpMonDoms[kpNMonDoms++] = kpStrdup(ent->d_name);
        }
        closedir(dir);
        qsort(kpMonDoms, kpNMonDoms, sizeof(*kpMonDoms), kpCompareStr);
    } else {
        /* The kernel names them after the L3 domains */
        kpSchema *l3 = kpSchemaFind("L3");

        if (!l3)
            l3 = kpSchemaFind("L3CODE");
        for (i = 0; l3 && i < l3->ndoms; i++) {
            kpMonDoms = kpGrow(kpMonDoms, kpNMonDoms, sizeof(*kpMonDoms));
            if (asprintf(&kpMonDoms[kpNMonDoms++], "mon_L3_%02lu", l3->domids[i]) < 0)
                kpDie("out of memory");
        }
    }

    kpRoot.mon_vals = kpAlloc(kpNMonDoms * kpNMonEvts * sizeof(*kpRoot.mon_vals));
    for (i = 0; i < kpNMonDoms; i++) {
        for (j = 0; j < kpNMonEvts; j++) {
            char *file;
            char *data;

            if (asprintf(&file, "%s/%s/%s", path, kpMonDoms[i], kpMonEvts[j]) < 0)
                kpDie("out of memory");
            if ((data = kpReadFile(file))) {
                char *s = kpStrim(data);

                kpRoot.mon_vals[i * kpNMonEvts + j] = strtoull(s, NULL, 10);
                free(data);
            }
            free(file);
        }
    }
    free(path);
}


static void
kpSeedLoad(const char *seed)
{
    char *path;
    kpInfo *c;
    struct stat st;

    if (asprintf(&path, "%s/info", seed) < 0)
        kpDie("out of memory");
    if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
        kpDie("%s is not a directory", path);
    kpInfoRoot = kpInfoLoad(path, "info");
    free(path);

    kpSeedSchemata(seed);
    kpSeedCpus(seed);
    kpSeedSize(seed);
    kpSeedMonitoring(seed);
    if (!kpRoot.mon_vals)
        kpRoot.mon_vals = kpAlloc(1);

    if (asprintf(&path, "%s/mode", seed) < 0)
        kpDie("out of memory");
    kpHaveMode = access(path, F_OK) == 0;
    free(path);

    /* The kernel uses the smallest number of CLOSIDs of all resources */
    for (c = kpInfoRoot->children; c; c = c->next) {
        unsigned long n;
        size_t len = strlen(c->name);

        if (!c->dir || (len > 4 && !strcmp(c->name + len - 4, "_MON")))
            continue;
        if (kpInfoULong(c->name, "num_closids", 10, &n) &&
            (!kpNumClosids || n < kpNumClosids))
            kpNumClosids = n;
    }
    if (!kpNumClosids)
        kpDie("the seed has no info/*/num_closids");
}


/* ------------------------------------------------------------------ */

typedef struct {
    const char *seed;
    int help;
} kpOptions;

#define KP_OPT(t, p) { t, offsetof(kpOptions, p), 1 }

static const struct fuse_opt kpOptSpec[] = {
    KP_OPT("--seed=%s", seed),
    KP_OPT("--seed %s", seed),
    KP_OPT("-h", help),
    KP_OPT("--help", help),
    FUSE_OPT_END
};


int
main(int argc, char **argv)
{
    struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
    kpOptions opts = { 0 };
    int ret;

    if (fuse_opt_parse(&args, &opts, kpOptSpec, NULL) < 0)
        return EXIT_FAILURE;
    if (opts.help || !opts.seed) {
        fprintf(opts.help ? stdout : stderr,
                "usage: %s --seed DIR [FUSE options] MOUNTPOINT\n"
                "Emulates the resctrl filesystem of the host DIR describes "
                "(see the source's header).\n", argv[0]);
        return opts.help ? EXIT_SUCCESS : EXIT_FAILURE;
    }

    kpSeedLoad(opts.seed);
    kpMountTime = time(NULL);

    /* One thread: the state is small and nothing here waits. In the
     * foreground, so that whoever starts it has its pid. */
    if (fuse_opt_add_arg(&args, "-s") < 0 ||
        fuse_opt_add_arg(&args, "-f") < 0 ||
        fuse_opt_add_arg(&args, "-ofsname=resctrl,subtype=kp-resctrlfs") < 0)
        kpDie("out of memory");
    ret = fuse_main(args.argc, args.argv, &kpOps, NULL);
    fuse_opt_free_args(&args);
    return ret;
}
