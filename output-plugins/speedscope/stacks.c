/* The frames and stacks of every sample, each kept once: a frame by its
 * file, function and line, a stack as a node of a tree (the frame on top
 * of the stack `parent`), so that a sample's stack is one index. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "speedscope.h"

struct frame_key {
    const char *file, *name;
    uint32_t line;
};

static bool frame_eq(const void *ctx, uint32_t i, const void *key)
{
    const struct speedscope *s = ctx;
    const struct frame_key *k = key;
    const struct frame *f = &s->frames[i];
    if (!k->file || !f->file)
        return k->file == f->file && strcmp(k->name, f->name) == 0;
    return f->line == k->line && strcmp(f->name, k->name) == 0 &&
           strcmp(f->file, k->file) == 0;
}

/* The index of a frame; file NULL for one that is only a name. */
static uint32_t intern_frame(struct speedscope *s, const char *file, const char *name,
                             uint32_t line)
{
    struct frame_key key = {file, name, line};
    uint32_t h = index_hash_str(index_hash_str(0xcbf29ce484222325ull ^ line, name),
                            file ? file : "");
    size_t slot;
    uint32_t i = index_set_find(&s->frame_set, h, frame_eq, s, &key, &slot);
    if (i != INDEX_SET_NONE)
        return i;
    if (s->nframes >= INDEX_SET_NONE - 1) {
        errno = EOVERFLOW;
        return INDEX_SET_NONE;
    }
    if (grow_array((void **)&s->frames, &s->capframes, s->nframes + 1, sizeof *s->frames) != 0)
        return INDEX_SET_NONE;
    size_t nlen = strlen(name) + 1, flen = file ? strlen(file) + 1 : 0;
    char *text = malloc(nlen + flen);
    if (!text || index_set_put(&s->frame_set, slot, h, (uint32_t)s->nframes) != 0) {
        free(text);
        return INDEX_SET_NONE;
    }
    memcpy(text, name, nlen);
    if (file)
        memcpy(text + nlen, file, flen);
    s->frames[s->nframes] = (struct frame){file ? text + nlen : NULL, text, line};
    return (uint32_t)s->nframes++;
}

struct node_key {
    uint32_t parent, frame;
};

static bool node_eq(const void *ctx, uint32_t i, const void *key)
{
    const struct speedscope *s = ctx;
    const struct node_key *k = key;
    return s->nodes[i].parent == k->parent && s->nodes[i].frame == k->frame;
}

/* The stack `parent` with `frame` called on top of it. */
static uint32_t intern_node(struct speedscope *s, uint32_t parent, uint32_t frame)
{
    struct node_key key = {parent, frame};
    uint32_t h = index_hash_u64((uint64_t)parent << 32 | frame);
    size_t slot;
    uint32_t i = index_set_find(&s->node_set, h, node_eq, s, &key, &slot);
    if (i != INDEX_SET_NONE)
        return i;
    if (s->nnodes >= INDEX_SET_NONE - 1) {
        errno = EOVERFLOW;
        return INDEX_SET_NONE;
    }
    if (grow_array((void **)&s->nodes, &s->capnodes, s->nnodes + 1, sizeof *s->nodes) != 0 ||
        index_set_put(&s->node_set, slot, h, (uint32_t)s->nnodes) != 0)
        return INDEX_SET_NONE;
    uint32_t depth = parent == INDEX_SET_NONE ? 1 : s->nodes[parent].depth + 1;
    s->nodes[s->nnodes] = (struct node){parent, frame, depth};
    return (uint32_t)s->nnodes++;
}

uint32_t special_node(struct speedscope *s, uint32_t *cache, const char *name)
{
    if (*cache == INDEX_SET_NONE) {
        uint32_t f = intern_frame(s, NULL, name, 0);
        if (f != INDEX_SET_NONE)
            *cache = intern_node(s, INDEX_SET_NONE, f);
    }
    return *cache;
}

uint32_t stack_node(struct speedscope *s, const pyflame_thread *t)
{
    uint32_t node = INDEX_SET_NONE;
    for (uint32_t i = t->nframes; i-- > 0;) {
        const pyflame_frame *fr = &t->frames[i];
        /* A label the core adds (--thread-names): its name alone. */
        bool label = fr->flags & PYFLAME_FRAME_LABEL;
        uint32_t f = intern_frame(s, label ? NULL : fr->file ? fr->file : "",
                                  fr->name ? fr->name : "", label ? 0 : fr->line);
        if (f == INDEX_SET_NONE || (node = intern_node(s, node, f)) == INDEX_SET_NONE)
            return INDEX_SET_NONE;
    }
    return node;
}
