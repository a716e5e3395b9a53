#include "torn_check.h"

#include <stdbool.h>
#include <stdlib.h>

#include "remote.h"
#include "walker.h"

/* How far below the running frame the check looks for the frame a walk
 * began with: the target may have called that deep while it was read. */
#define TORN_LOOKBACK 32
/* Frames one walk may read and still be checked, skipped ones (C-stack
 * shims, non-code) included. */
#define SEEN_MAX (2 * WALK_MAX_DEPTH)

/* A frame a walk read: where, and what it held. */
struct seen_frame {
    uint64_t fp;
    struct frame_view v;
};

/* What a walk read, to be checked: its thread state's frame field, and
 * every frame in order, leaf first. */
struct torn_check {
    const struct py_layout *layout;
    size_t frame_size;
    struct read_cache *lines;
    const pyflame_host *host; /* reads through lines */
    uint64_t anchor;
    size_t n;                /* may exceed SEEN_MAX: then only the first are kept */
    struct seen_frame *seen; /* SEEN_MAX */
    struct span *spans;      /* SEEN_MAX */
};

static bool same_frame(const struct frame_view *a, const struct frame_view *b, bool leaf)
{
    /* The leaf runs on: only its code and caller must stay. */
    return a->code == b->code && a->next == b->next &&
           (leaf || (a->offset == b->offset && a->skip == b->skip &&
                     a->running == b->running && a->slots == b->slots));
}

/* --nonblocking: reads again, in one batched read, every frame the walk
 * read, and at the end of that batch where the thread's stack ends.  The
 * walk's first frame must still be on the stack there, and every frame
 * below it exactly as the walk read it, its live slots too: then the stack
 * read existed as a whole, and is no mix of two moments.  The thread state
 * and the cframe are not read again in the batch (each range costs the
 * kernel as much as pages of copying): the walk's cframe must simply still
 * be the thread's.  Without a version number in the frames this cannot
 * exclude a target that changed and changed back, slots and all, while it
 * was read; the batch keeps that window to a few microseconds. */
int pyflame_torn_check(struct torn_check *t, uint64_t tstate)
{
    const struct py_layout *l = t->layout;
    if (t->n == 0)
        return PYFLAME_OK;
    if (t->n > SEEN_MAX)
        return PYFLAME_ERR_READ; /* too deep to check: hostile or corrupted */
    for (size_t i = 0; i < t->n; i++)
        t->spans[i] = (struct span){t->seen[i].fp, t->seen[i].v.extent};
    /* Where the stack ends once the frames are copied.  With cframes
     * (3.11, 3.12) the walk's cframe must still be the thread's, and the
     * frame it runs is where the stack ends. */
    bool cframes = l->tstate.cframe_frame >= 0;
    uint64_t end_after[2] = {0, 0};
    pyflame_read after[2] = {
        {tstate + (uint64_t)l->tstate.frame, &end_after[0], 8},
        {t->anchor + (uint64_t)l->tstate.cframe_frame, &end_after[1], 8},
    };
    if (pyflame_read_cache_refresh(t->lines, t->spans, t->n, after, cframes ? 2 : 1) != 0 ||
        (cframes && end_after[0] != t->anchor))
        return PYFLAME_ERR_TORN;
    uint64_t fp = end_after[cframes ? 1 : 0];
    /* The walk's first frame must still be on the stack: had it returned,
     * the frames below it could have run on and no longer call it. */
    int i = 0;
    for (; fp && fp != t->seen[0].fp && i < TORN_LOOKBACK; i++) {
        struct frame_view v;
        if (pyflame_frame_read(l, t->frame_size, t->host, fp, &v, false) != PYFLAME_OK)
            return PYFLAME_ERR_TORN;
        fp = v.next;
    }
    if (fp != t->seen[0].fp)
        return PYFLAME_ERR_TORN;
    for (size_t k = 0; k < t->n; k++) {
        struct frame_view v;
        if (pyflame_frame_read(l, t->frame_size, t->host, t->seen[k].fp, &v, k > 0) !=
                PYFLAME_OK ||
            !same_frame(&v, &t->seen[k].v, k == 0))
            return PYFLAME_ERR_TORN;
    }
    return PYFLAME_OK;
}

struct torn_check *pyflame_torn_check_new(const struct py_layout *l, size_t frame_size,
                                          struct read_cache *lines)
{
    struct torn_check *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    *t = (struct torn_check){
        .layout = l,
        .frame_size = frame_size,
        .lines = lines,
        .host = pyflame_read_cache_host(lines),
        .seen = malloc(SEEN_MAX * sizeof *t->seen),
        .spans = malloc(SEEN_MAX * sizeof *t->spans),
    };
    if (t->seen && t->spans)
        return t;
    pyflame_torn_check_free(t);
    return NULL;
}

void pyflame_torn_check_free(struct torn_check *t)
{
    if (!t)
        return;
    free(t->seen);
    free(t->spans);
    free(t);
}

void pyflame_torn_begin(struct torn_check *t, uint64_t anchor)
{
    t->anchor = anchor;
    t->n = 0;
}

void pyflame_torn_note(struct torn_check *t, uint64_t fp, const struct frame_view *v)
{
    if (t->n < SEEN_MAX)
        t->seen[t->n] = (struct seen_frame){fp, *v};
    t->n++;
}

void pyflame_torn_restart(struct torn_check *t)
{
    t->n = 0;
}

size_t pyflame_torn_noted(const struct torn_check *t)
{
    return t->n;
}
