/* The samples read back from disk once the run is over: each profile's in
 * the order taken, the threadless ones merged into the only thread's, and
 * what each profile's samples add up to. */
#include <stdlib.h>

#include "speedscope.h"

void stream_start(struct stream *st, const struct speedscope *s, const struct profile *p)
{
    entry_reader_start(&st->r[0], &p->log, s->entries);
    entry_reader_start(&st->r[1], &p->merged, s->entries);
    for (int i = 0; i < 2; i++)
        st->more[i] = entry_reader_next(&st->r[i], &st->head[i]);
}

bool stream_next(struct stream *st, struct entry *e)
{
    int i = st->more[0] && (!st->more[1] || st->head[0].tick <= st->head[1].tick) ? 0 : 1;
    if (!st->more[i])
        return false;
    *e = st->head[i];
    st->more[i] = entry_reader_next(&st->r[i], &st->head[i]);
    return true;
}

bool stream_failed(const struct stream *st)
{
    return st->r[0].failed || st->r[1].failed;
}

/* With exactly one thread seen, samples without a thread go to its profile
 * (unless both have the same sample, which threads without ids could). */
static int merge_threadless(struct speedscope *s)
{
    if (s->nprofiles != 2)
        return 0;
    struct profile *a = &s->profiles[0], *b = &s->profiles[1];
    struct profile *none = !a->os_tid && !a->ident ? a : !b->os_tid && !b->ident ? b : NULL;
    if (!none)
        return 0;
    struct profile *thread = none == a ? b : a;
    struct profile keep = *thread;
    keep.merged = none->log;
    struct stream st;
    struct entry e;
    uint64_t last = UINT64_MAX;
    stream_start(&st, s, &keep);
    while (stream_next(&st, &e)) {
        if (e.tick == last)
            return 0; /* the same sample in both: keep them apart */
        last = e.tick;
    }
    if (stream_failed(&st))
        return -1;
    free(none->name);
    s->profiles[0] = keep;
    s->nprofiles = 1;
    return 0;
}

/* What profile p's samples add up to. */
static int measure(struct speedscope *s, const struct profile *p, struct extent *x)
{
    struct stream st;
    struct entry e;
    struct span sp;
    *x = (struct extent){0};
    stream_start(&st, s, p);
    for (bool first = true; stream_next(&st, &e); first = false) {
        if (timeline_span(&s->timeline, e.tick, &sp) != 0)
            return -1;
        if (first)
            x->start = sp.offset;
        x->total += sp.weight;
        if (e.node != s->idle_node && e.node != s->failed_node)
            x->busy += sp.weight;
    }
    return stream_failed(&st) ? -1 : 0;
}

int gather(struct speedscope *s, struct extent **extents)
{
    for (size_t i = 0; i < s->nprofiles; i++)
        if (entry_log_flush(&s->profiles[i].log, s->entries) != 0)
            return -1;
    if (timeline_finish(&s->timeline) != 0 || merge_threadless(s) != 0)
        return -1;
    if (!(*extents = calloc(s->nprofiles ? s->nprofiles : 1, sizeof **extents)))
        return -1;
    for (size_t i = 0; i < s->nprofiles; i++)
        if (measure(s, &s->profiles[i], &(*extents)[i]) != 0)
            return -1;
    return 0;
}
