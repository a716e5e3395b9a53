#include "read_cache.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remote.h"

#define LINE_SIZE 1024u /* divides the page size: a line is readable or not */
#define NLINES 1024u    /* power of two; 1 MB in all */
/* Slots a line may take, from the one its address hashes to.  Frames and
 * thread states often lie a multiple of 256 KB apart: with one slot per
 * line they would keep evicting one another. */
#define PROBES 8u
/* Lines fetched per sample, at most (4 MB).  A real sample needs a few
 * dozen; past this (thousands of threads, frames scattered over the heap)
 * a line would cost more of the core's per-sample byte budget than the
 * bytes it serves, so reads go direct. */
#define MAX_FETCHES 4096u
/* Lines a sample used that the next one reads ahead, all in one batch: a
 * target that keeps running the same code keeps reading the same lines. */
#define PREFETCH_MAX NLINES
/* The echo: the lines and reads of a sample's first refresh (the torn
 * check of --nonblocking), read again by the next sample's first batch,
 * after its lines.  If that sample read nothing else before its own first
 * refresh, and that refresh wants no more than the echo holds, the echo
 * serves it: the check needs no system call of its own.  The echo's lines
 * were copied after every byte the walk used, as a refresh's would be
 * (process_vm_readv copies its ranges in order). */
#define ECHO_LINES 64u
#define ECHO_AFTER_LEN 8u /* bytes of each read after the lines */

struct line {
    uint64_t base;
    uint64_t epoch; /* valid while equal to the cache's */
    uint64_t used;  /* the sample it was last recorded as used in */
    uint8_t data[LINE_SIZE];
};

struct echo {
    unsigned nlines, nafter; /* both 0: none */
    bool fresh;              /* read by this sample's first batch */
    uint64_t bases[ECHO_LINES]; /* in address order */
    pyflame_read after[READ_AFTER_MAX]; /* where to, into after_data */
    uint8_t after_data[READ_AFTER_MAX][ECHO_AFTER_LEN];
    uint8_t data[ECHO_LINES][LINE_SIZE];
};

struct read_cache {
    pyflame_host host; /* what the readers use: ctx is this cache */
    const pyflame_host *real;
    uint64_t epoch;   /* bumped by each sample and each refresh */
    uint64_t sample;  /* bumped by each sample only */
    unsigned fetched; /* lines read in this sample */
    unsigned refreshes; /* in this sample */
    bool late;        /* read the target after this sample's first batch */
    unsigned nused;
    uint64_t used[PREFETCH_MAX]; /* bases of lines this sample used */
    struct echo echo;
    struct line lines[NLINES];
};

/* The line holding addr. */
static uint64_t line_base(uint64_t addr)
{
    return addr & ~(uint64_t)(LINE_SIZE - 1);
}

/* Where line `base` is, or where it may go: the first of its PROBES slots
 * that holds it or holds nothing of this epoch.  NULL when all are taken
 * by other lines. */
static struct line *slot_of(struct read_cache *c, uint64_t base)
{
    size_t home = (size_t)(((base / LINE_SIZE) * 0x9E3779B97F4A7C15ull) >> 40);
    for (size_t i = 0; i < PROBES; i++) {
        struct line *l = &c->lines[(home + i) & (NLINES - 1)];
        if (l->epoch != c->epoch || l->base == base)
            return l;
    }
    return NULL;
}

static int direct(struct read_cache *c, uint64_t addr, void *buf, size_t len)
{
    c->late = true;
    return c->real->read_memory(c->real->ctx, addr, buf, len);
}

/* Notes that this sample used line l, for the next one to read ahead. */
static const uint8_t *use(struct read_cache *c, struct line *l)
{
    if (l->used != c->sample && c->nused < PREFETCH_MAX) {
        l->used = c->sample;
        c->used[c->nused++] = l->base;
    }
    return l->data;
}

/* Line `base` of this epoch, read now if needed; NULL if it cannot be
 * had (unreadable, no slot free, over MAX_FETCHES). */
static const uint8_t *line_at(struct read_cache *c, uint64_t base)
{
    struct line *l = slot_of(c, base);
    if (!l)
        return NULL;
    if (l->epoch == c->epoch)
        return use(c, l);
    if (c->fetched >= MAX_FETCHES)
        return NULL;
    c->fetched++;
    if (direct(c, base, l->data, LINE_SIZE) != 0)
        return NULL;
    l->base = base;
    l->epoch = c->epoch;
    return use(c, l);
}

static int cached_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
    struct read_cache *c = ctx;
    if (len == 0)
        return 0;
    if (len > LINE_SIZE || addr + len < addr)
        return direct(c, addr, buf, len);
    /* At most two lines, which never share a slot. */
    uint64_t first = line_base(addr), last = line_base(addr + len - 1);
    uint8_t *out = buf;
    for (uint64_t base = first;; base += LINE_SIZE) {
        const uint8_t *d = line_at(c, base);
        /* No line (over MAX_FETCHES, no slot), or one that failed where
         * the exact bytes would not (a mapping not page-aligned, in
         * tests): ask for the bytes themselves. */
        if (!d)
            return direct(c, addr, buf, len);
        uint64_t from = addr > base ? addr : base;
        uint64_t to = addr + len < base + LINE_SIZE ? addr + len : base + LINE_SIZE;
        memcpy(out + (from - addr), d + (from - base), (size_t)(to - from));
        if (base == last)
            return 0;
    }
}

static size_t forward_read_many(void *ctx, const pyflame_read *reads, size_t n)
{
    struct read_cache *c = ctx;
    c->late = true;
    return c->real->read_many(c->real->ctx, reads, n);
}

static uint64_t forward_symbol(void *ctx, const char *name)
{
    const struct read_cache *c = ctx;
    return c->real->find_symbol(c->real->ctx, name);
}

__attribute__((format(printf, 2, 3)))
static void forward_warn(void *ctx, const char *fmt, ...)
{
    const struct read_cache *c = ctx;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->real->warn(c->real->ctx, "%s", msg);
}

struct read_cache *pyflame_read_cache_new(const pyflame_host *real)
{
    struct read_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->real = real;
    c->epoch = 1;
    c->host = (pyflame_host){
        .api_version = real->api_version,
        .ctx = c,
        .read_memory = cached_read,
        .find_symbol = real->find_symbol ? forward_symbol : NULL,
        .warn = real->warn ? forward_warn : NULL,
        .read_many = real->api_version >= 2 && real->read_many ? forward_read_many : NULL,
    };
    return c;
}

void pyflame_read_cache_free(struct read_cache *c)
{
    free(c);
}

const pyflame_host *pyflame_read_cache_host(struct read_cache *c)
{
    return &c->host;
}

static int by_addr(const void *a, const void *b)
{
    uint64_t x = ((const pyflame_read *)a)->addr, y = ((const pyflame_read *)b)->addr;
    return (x > y) - (x < y);
}

/* Into address order: by insertion for the dozen reads of a usual sample,
 * where qsort's calls cost more than the sorting. */
static void sort_by_addr(pyflame_read *r, size_t n)
{
    if (n > 32) {
        qsort(r, n, sizeof *r, by_addr);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        pyflame_read x = r[i];
        size_t j = i;
        for (; j > 0 && r[j - 1].addr > x.addr; j--)
            r[j] = r[j - 1];
        r[j] = x;
    }
}

/* Reads the lines at bases[0..n) in one batch where the host allows, each
 * into its slot, in address order so that neighbours make one range;
 * skips a line already there or without a free slot.  Then, in the same
 * batch, the reads after[0..nafter).  Returns 0 if those were all done. */
#define AFTER_MAX (ECHO_LINES + READ_AFTER_MAX)

static int fetch_batch(struct read_cache *c, const uint64_t *bases, size_t n,
                       const pyflame_read *after, size_t nafter)
{
    pyflame_read batch[NLINES + AFTER_MAX];
    size_t nlines = 0;
    for (size_t i = 0; i < n && nlines < NLINES && c->fetched < MAX_FETCHES; i++) {
        struct line *l = slot_of(c, bases[i]);
        if (!l || l->epoch == c->epoch)
            continue;
        c->fetched++;
        /* Claimed now, so that later lines probe past it; undone below if
         * the read fails. */
        l->base = bases[i];
        l->epoch = c->epoch;
        batch[nlines++] = (pyflame_read){bases[i], l->data, LINE_SIZE};
    }
    sort_by_addr(batch, nlines);
    size_t nbatch = nlines;
    for (size_t i = 0; i < nafter && i < AFTER_MAX; i++)
        batch[nbatch++] = after[i];
    int rc = nafter <= AFTER_MAX ? 0 : -1;
    /* A read that fails (unmapped since) ends a batch: go on after it. */
    for (size_t done = 0; done < nbatch; done++) {
        done += remote_read_many(c->real, batch + done, nbatch - done);
        if (done >= nlines && done < nbatch) {
            rc = -1;
        } else if (done < nlines) {
            struct line *l = (struct line *)((uint8_t *)batch[done].buf -
                                             offsetof(struct line, data));
            l->epoch = 0;
        }
    }
    return rc;
}

/* The echo's reads, lines then reads after, into r[]; how many. */
static size_t echo_reads(struct echo *e, pyflame_read *r)
{
    size_t n = 0;
    for (unsigned i = 0; i < e->nlines; i++)
        r[n++] = (pyflame_read){e->bases[i], e->data[i], LINE_SIZE};
    for (unsigned i = 0; i < e->nafter; i++)
        r[n++] = (pyflame_read){e->after[i].addr, e->after_data[i], e->after[i].len};
    return n;
}

void pyflame_read_cache_begin_sample(struct read_cache *c)
{
    /* fetch_batch only fills lines: the list it reads stays as it is. */
    size_t n = c->nused;
    c->nused = 0;
    c->epoch++;
    c->sample++;
    c->fetched = 0;
    /* An echo of the last sample's check, if that sample made one. */
    if (c->refreshes == 0)
        c->echo.nlines = c->echo.nafter = 0;
    c->refreshes = 0;
    pyflame_read echo[AFTER_MAX];
    size_t ne = echo_reads(&c->echo, echo);
    c->fetched += c->echo.nlines;
    c->echo.fresh = fetch_batch(c, c->used, n, echo, ne) == 0 && ne > 0;
    c->late = false;
}

/* Does the echo hold every line of bases[0..n) (in address order) and the
 * very reads after[0..nafter)? */
static bool echo_serves(const struct echo *e, const uint64_t *bases, size_t n,
                        const pyflame_read *after, size_t nafter)
{
    if (!e->fresh || nafter != e->nafter)
        return false;
    for (size_t i = 0; i < nafter; i++)
        if (after[i].addr != e->after[i].addr || after[i].len != e->after[i].len)
            return false;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        while (k < e->nlines && e->bases[k] < bases[i])
            k++;
        if (k == e->nlines || e->bases[k] != bases[i])
            return false;
    }
    return true;
}

/* The echo's lines as this epoch's, and its reads after into after[]'s
 * buffers; false if some line finds no slot. */
static bool install_echo(struct read_cache *c, const pyflame_read *after, size_t nafter)
{
    const struct echo *e = &c->echo;
    for (unsigned i = 0; i < e->nlines; i++) {
        struct line *l = slot_of(c, e->bases[i]);
        if (!l)
            return false;
        l->base = e->bases[i];
        l->epoch = c->epoch;
        memcpy(l->data, e->data[i], LINE_SIZE);
    }
    for (size_t i = 0; i < nafter; i++)
        memcpy(after[i].buf, e->after_data[i], after[i].len);
    return true;
}

/* Makes this refresh the echo the next sample reads. */
static void record_echo(struct echo *e, const uint64_t *bases, size_t n,
                        const pyflame_read *after, size_t nafter)
{
    e->nlines = e->nafter = 0;
    if (n > ECHO_LINES || nafter > READ_AFTER_MAX)
        return;
    for (size_t i = 0; i < nafter; i++)
        if (after[i].len > ECHO_AFTER_LEN)
            return;
    for (size_t i = 0; i < nafter; i++)
        e->after[i] = (pyflame_read){after[i].addr, NULL, after[i].len};
    memcpy(e->bases, bases, n * sizeof *bases);
    e->nafter = (unsigned)nafter;
    e->nlines = (unsigned)n;
}

static int by_value(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

int pyflame_read_cache_refresh(struct read_cache *c, const struct span *spans, size_t n,
                               const pyflame_read *after, size_t nafter)
{
    uint64_t bases[NLINES];
    size_t nbases = 0;
    c->epoch++;
    if (nafter > READ_AFTER_MAX)
        return -1;
    for (size_t i = 0; i < n && nbases < NLINES; i++) {
        if (spans[i].len == 0 || spans[i].addr + spans[i].len < spans[i].addr)
            continue;
        uint64_t first = line_base(spans[i].addr);
        uint64_t last = line_base(spans[i].addr + spans[i].len - 1);
        for (uint64_t base = first; nbases < NLINES; base += LINE_SIZE) {
            if (nbases == 0 || bases[nbases - 1] != base)
                bases[nbases++] = base;
            if (base == last)
                break;
        }
    }
    if (c->refreshes++ == 0) {
        qsort(bases, nbases, sizeof *bases, by_value);
        size_t unique = 0;
        for (size_t i = 0; i < nbases; i++)
            if (unique == 0 || bases[unique - 1] != bases[i])
                bases[unique++] = bases[i];
        nbases = unique;
        bool served = !c->late && echo_serves(&c->echo, bases, nbases, after, nafter) &&
                      install_echo(c, after, nafter);
        record_echo(&c->echo, bases, nbases, after, nafter);
        if (served)
            return 0;
        c->epoch++; /* forget what the echo put in */
    }
    return fetch_batch(c, bases, nbases, after, nafter);
}
