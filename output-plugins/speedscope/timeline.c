#include "timeline.h"

#include <errno.h>
#include <string.h>

#define HICCUP_NS 10000000ull /* see timeline.h */
#define BLOCK 512             /* times read from the spool at once */

int timeline_open(struct timeline *t, uint64_t interval_ns, bool exclude_idle)
{
    memset(t, 0, sizeof *t);
    t->interval_ns = interval_ns;
    t->exclude_idle = exclude_idle;
    return (t->times = spool_new(sizeof(uint64_t))) ? 0 : -1;
}

void timeline_free(struct timeline *t)
{
    spool_free(t->times);
    spool_free(t->spans);
    t->times = t->spans = NULL;
}

int timeline_add(struct timeline *t, uint64_t time_ns)
{
    if (spool_put(t->times, &time_ns) != 0)
        return -1;
    if (t->count++ && time_ns > t->last)
        t->ngaps++;
    t->last = time_ns;
    return 0;
}

size_t timeline_count(const struct timeline *t)
{
    return t->count;
}

/* Hands every sample's time, in order, to visit(time, arg), reading the
 * spool in blocks.  Returns 0, or -1 on a read error or if visit fails. */
static int each_time(struct timeline *t, int (*visit)(uint64_t time, void *arg), void *arg)
{
    uint64_t buf[BLOCK];
    size_t n = t->count;
    for (size_t first = 0; first < n; first += BLOCK) {
        size_t k = n - first < BLOCK ? n - first : BLOCK;
        if (spool_read(t->times, first, k, buf) != 0)
            return -1;
        for (size_t i = 0; i < k; i++)
            if (visit(buf[i], arg) != 0)
                return -1;
    }
    return 0;
}

/* The median gap by radix selection, 8 bits a pass: exact, in constant
 * memory, and cheap next to writing the file. */
struct radix {
    bool started;
    uint64_t prev;
    uint64_t prefix, mask;
    unsigned shift;
    uint64_t counts[256];
};

static int count_digit(uint64_t time, void *arg)
{
    struct radix *r = arg;
    if (r->started && time > r->prev) {
        uint64_t gap = time - r->prev;
        if ((gap & r->mask) == r->prefix)
            r->counts[(gap >> r->shift) & 0xff]++;
    }
    r->started = true;
    r->prev = time;
    return 0;
}

static int median_gap(struct timeline *t, uint64_t *median)
{
    struct radix r = {0};
    uint64_t rank = t->ngaps / 2; /* of the gaps in ascending order, from 0 */
    for (int shift = 56; shift >= 0; shift -= 8) {
        r.started = false;
        r.shift = (unsigned)shift;
        memset(r.counts, 0, sizeof r.counts);
        if (each_time(t, count_digit, &r) != 0)
            return -1;
        unsigned d = 0;
        while (d < 255 && rank >= r.counts[d])
            rank -= r.counts[d++];
        r.prefix |= (uint64_t)d << shift;
        r.mask |= 0xffull << shift;
    }
    *median = r.prefix;
    return 0;
}

struct span_writer {
    struct spool *spans;
    bool started;
    uint64_t prev, typical, cap, at;
};

static int put_span(struct span_writer *w, uint64_t weight)
{
    struct span sp = {w->at, weight < w->cap ? weight : w->cap};
    w->at += sp.weight;
    return spool_put(w->spans, &sp);
}

/* The span of the sample before this one is now known. */
static int put_previous_span(uint64_t time, void *arg)
{
    struct span_writer *w = arg;
    if (w->started && put_span(w, time > w->prev ? time - w->prev : w->typical) != 0)
        return -1;
    w->started = true;
    w->prev = time;
    return 0;
}

int timeline_finish(struct timeline *t)
{
    uint64_t typical = t->interval_ns, median;
    if (t->ngaps) {
        if (median_gap(t, &median) != 0)
            return -1;
        if (median > typical)
            typical = median;
    }
    struct span_writer w = {.typical = typical};
    w.cap = t->exclude_idle ? typical * 2 + HICCUP_NS : UINT64_MAX;
    if (!(w.spans = t->spans = spool_new(sizeof(struct span))))
        return -1;
    if (each_time(t, put_previous_span, &w) != 0)
        return -1;
    if (t->count && put_span(&w, typical) != 0) /* the last one */
        return -1;
    spool_free(t->times); /* no longer needed */
    t->times = NULL;
    t->wn = 0;
    return 0;
}

int timeline_span(struct timeline *t, size_t tick, struct span *out)
{
    const size_t window = sizeof t->window / sizeof t->window[0];
    if (tick < t->wfirst || tick - t->wfirst >= t->wn) {
        size_t n = t->count;
        if (!t->spans || tick >= n)
            return -1;
        size_t k = n - tick < window ? n - tick : window;
        if (spool_read(t->spans, tick, k, t->window) != 0)
            return -1;
        t->wfirst = tick;
        t->wn = k;
    }
    *out = t->window[tick - t->wfirst];
    return 0;
}
