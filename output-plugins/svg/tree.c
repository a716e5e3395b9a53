/* Merging the aggregated stacks into a tree of frames.
 *
 * Stacks are sorted frame by frame (function, file, line), so stacks that
 * share a prefix become neighbours; walking them in that order with the
 * path of "open" frames of the previous stack, a frame stays open while
 * the next stacks go through it, and is finished (its samples known) when
 * they stop doing so.  Each frame covers a contiguous range of samples,
 * its children side by side within it, in the sorted order.
 *
 * Licensed under the Apache License, Version 2.0. */
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "svg.h"

/* A frame of the current path, still collecting samples. */
struct open_frame {
    const pyflame_frame *frame;
    uint64_t start, count;
};

struct builder {
    struct svg_tree *t;
    double min_count;
    struct open_frame *path;
    size_t depth, cap;
};

static int frame_cmp(const pyflame_frame *a, const pyflame_frame *b)
{
    if (a == b)
        return 0;
    int c = strcmp(a->name, b->name);
    if (!c)
        c = strcmp(a->file, b->file);
    if (!c && a->line != b->line)
        c = a->line < b->line ? -1 : 1;
    return c;
}

static int stack_cmp(const void *pa, const void *pb)
{
    const pyflame_stack_count *a = *(const pyflame_stack_count *const *)pa;
    const pyflame_stack_count *b = *(const pyflame_stack_count *const *)pb;
    uint32_t n = a->nframes < b->nframes ? a->nframes : b->nframes;
    for (uint32_t i = 0; i < n; i++) {
        int c = frame_cmp(a->frames[i], b->frames[i]);
        if (c)
            return c;
    }
    return a->nframes < b->nframes ? -1 : a->nframes > b->nframes;
}

static int add_node(struct svg_tree *t, const struct svg_node *n)
{
    if (grow_array((void **)&t->nodes, &t->capnodes, t->nnodes + 1, sizeof *t->nodes) != 0)
        return -1;
    t->nodes[t->nnodes++] = *n;
    if (n->depth > t->max_depth)
        t->max_depth = n->depth;
    return 0;
}

/* A finished frame: kept if wide enough, counted in its parent. */
static int finish(struct builder *b, const struct svg_node *n)
{
    if ((double)n->count >= b->min_count)
        return add_node(b->t, n);
    b->t->omitted++;
    return 0;
}

/* Finishes the open frames deeper than `depth`. */
static int close_to(struct builder *b, size_t depth)
{
    while (b->depth > depth) {
        struct open_frame *o = &b->path[--b->depth];
        if (b->depth)
            b->path[b->depth - 1].count += o->count;
        /* A thread's idle time under its label (--thread-names) is
         * drawn as the (idle) tower is. */
        int idle = (o->frame->flags & PYFLAME_FRAME_IDLE) != 0;
        struct svg_node n = {
            .frame = idle ? NULL : o->frame, .start = o->start, .count = o->count,
            .depth = (uint32_t)b->depth + 1, .kind = idle ? SVG_NODE_IDLE : SVG_NODE_PYTHON,
        };
        if (finish(b, &n))
            return -1;
    }
    return 0;
}

static int open_frame(struct builder *b, const pyflame_frame *f, uint64_t start)
{
    if (grow_array((void **)&b->path, &b->cap, b->depth + 1, sizeof *b->path) != 0)
        return -1;
    b->path[b->depth++] = (struct open_frame){f, start, 0};
    return 0;
}

static int merge(struct builder *b, const pyflame_stack_count **sorted, size_t n)
{
    uint64_t offset = 0;
    const pyflame_stack_count *prev = NULL;
    for (size_t i = 0; i < n; i++) {
        const pyflame_stack_count *s = sorted[i];
        size_t common = 0;
        if (prev) {
            size_t lim = prev->nframes < s->nframes ? prev->nframes : s->nframes;
            while (common < lim && !frame_cmp(prev->frames[common], s->frames[common]))
                common++;
        }
        if (close_to(b, common))
            return -1;
        for (size_t d = common; d < s->nframes; d++)
            if (open_frame(b, s->frames[d], offset))
                return -1;
        if (s->nframes) /* the samples of the leaf, the "self" time */
            b->path[b->depth - 1].count += s->count;
        if (s->nframes && (s->frames[s->nframes - 1]->flags & PYFLAME_FRAME_IDLE))
            b->t->idle += s->count;
        offset += s->count;
        prev = s;
    }
    b->t->python = offset - b->t->idle;
    return close_to(b, 0);
}

int svg_tree_build(struct svg_tree *t, const pyflame_profile *p, double min_count)
{
    memset(t, 0, sizeof *t);
    struct builder b = {.t = t, .min_count = min_count};
    const pyflame_stack_count **sorted = NULL;
    int rc = -1;
    /* The root first: the writer and the script expect it there. */
    struct svg_node root = {.kind = SVG_NODE_ROOT};
    if (add_node(t, &root))
        goto out;
    if (p->nstacks) {
        sorted = malloc(p->nstacks * sizeof *sorted);
        if (!sorted)
            goto out;
        for (size_t i = 0; i < p->nstacks; i++)
            sorted[i] = &p->stacks[i];
        qsort(sorted, p->nstacks, sizeof *sorted, stack_cmp);
    }
    if (merge(&b, sorted, p->nstacks))
        goto out;
    /* Samples without a stack: towers of one frame, right of the rest. */
    uint64_t stacked = t->python + t->idle; /* idle under threads' labels */
    t->idle += p->idle;
    t->failed = p->failed;
    struct svg_node idle = {.start = stacked, .count = p->idle, .depth = 1,
                            .kind = SVG_NODE_IDLE};
    struct svg_node failed = {.start = stacked + p->idle, .count = p->failed, .depth = 1,
                              .kind = SVG_NODE_FAILED};
    if ((p->idle && finish(&b, &idle)) || (p->failed && finish(&b, &failed)))
        goto out;
    t->total = stacked + p->idle + p->failed;
    t->nodes[0].count = t->total;
    rc = 0;
out:
    free(sorted);
    free(b.path);
    if (rc)
        svg_tree_free(t);
    return rc;
}

void svg_tree_free(struct svg_tree *t)
{
    free(t->nodes);
    memset(t, 0, sizeof *t);
}
