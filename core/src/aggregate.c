#include "aggregate.h"

#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "index_set.h"

#define KEY_CACHE 4096 /* power of two */

struct stack_entry {
    size_t first; /* in ids[], root first */
    uint32_t n;
    uint64_t count;
    uint32_t order; /* first seen, for a stable sort */
};

struct aggregate {
    /* Interned strings. */
    char **strings;
    size_t nstrings, capstrings;
    struct index_set string_index;
    /* Interned frames, with interned strings. */
    pyflame_frame *frames;
    size_t nframes, capframes;
    struct index_set frame_index;
    /* key -> interned (file, name), to skip hashing strings, and the id of
     * the frame last seen with that key, to skip hashing that frame again
     * when its line and flags are the same (a caller's, sample after
     * sample). */
    struct key_entry {
        uint64_t key;
        const char *file, *name;
        uint32_t line, flags;
        int64_t id; /* -1: none yet (key 0, as zeroed: never matched) */
    } key_cache[KEY_CACHE];
    /* Stacks as runs of frame ids. */
    uint32_t *ids;
    size_t nids, capids;
    struct stack_entry *stacks;
    size_t nstacks, capstacks;
    struct index_set stack_index;
    uint32_t *scratch;
    size_t capscratch;
    uint64_t samples, idle, failed;
    /* Built by aggregate_profile. */
    pyflame_stack_count *out_stacks;
    const pyflame_frame **out_frames;
};

struct aggregate *aggregate_new(void)
{
    return calloc(1, sizeof(struct aggregate));
}

void aggregate_free(struct aggregate *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->nstrings; i++)
        free(a->strings[i]);
    free(a->strings);
    index_set_free(&a->string_index);
    free(a->frames);
    index_set_free(&a->frame_index);
    free(a->ids);
    free(a->stacks);
    index_set_free(&a->stack_index);
    free(a->scratch);
    free(a->out_stacks);
    free(a->out_frames);
    free(a);
}

static bool string_equal(const void *ctx, uint32_t i, const void *key)
{
    return strcmp(((const struct aggregate *)ctx)->strings[i], key) == 0;
}

static const char *intern_string(struct aggregate *a, const char *s)
{
    uint32_t h = index_hash_bytes(s, strlen(s), 0);
    size_t slot;
    uint32_t i = index_set_find(&a->string_index, h, string_equal, a, s, &slot);
    if (i != INDEX_SET_NONE)
        return a->strings[i];
    if (grow_array((void **)&a->strings, &a->capstrings, a->nstrings + 1, sizeof *a->strings))
        return NULL;
    char *copy = strdup(s);
    if (!copy || index_set_put(&a->string_index, slot, h, (uint32_t)a->nstrings) != 0) {
        free(copy);
        return NULL;
    }
    a->strings[a->nstrings++] = copy;
    return copy;
}

static bool frame_equal(const void *ctx, uint32_t i, const void *key)
{
    const pyflame_frame *f = &((const struct aggregate *)ctx)->frames[i];
    const pyflame_frame *k = key;
    return f->file == k->file && f->name == k->name && f->line == k->line &&
           f->flags == k->flags;
}

/* The id of frame f, whose strings are interned; -1 without memory. */
static int64_t intern_frame_id(struct aggregate *a, const pyflame_frame *f)
{
    /* Interned strings compare by address, so hash the addresses. */
    uintptr_t parts[4] = {(uintptr_t)f->file, (uintptr_t)f->name, f->line, f->flags};
    uint32_t h = index_hash_bytes(parts, sizeof parts, 1);
    size_t at;
    uint32_t i = index_set_find(&a->frame_index, h, frame_equal, a, f, &at);
    if (i != INDEX_SET_NONE)
        return i;
    if (grow_array((void **)&a->frames, &a->capframes, a->nframes + 1, sizeof *a->frames) ||
        index_set_put(&a->frame_index, at, h, (uint32_t)a->nframes) != 0)
        return -1;
    a->frames[a->nframes] = *f;
    return (int64_t)a->nframes++;
}

/* The id of a frame; its strings are interned first. */
static int64_t intern_frame(struct aggregate *a, const pyflame_frame *in)
{
    pyflame_frame f = {.line = in->line, .flags = in->flags};
    size_t slot = (size_t)(in->key * 0x9E3779B97F4A7C15ull >> 52) & (KEY_CACHE - 1);
    struct key_entry *e = in->key ? &a->key_cache[slot] : NULL;
    if (e && e->key == in->key) {
        if (e->id >= 0 && e->line == in->line && e->flags == in->flags)
            return e->id;
        f.file = e->file;
        f.name = e->name;
    } else {
        f.file = intern_string(a, in->file);
        f.name = intern_string(a, in->name);
        if (!f.file || !f.name)
            return -1;
        if (e)
            *e = (struct key_entry){in->key, f.file, f.name, 0, 0, -1};
    }
    int64_t id = intern_frame_id(a, &f);
    if (e && id >= 0) {
        e->line = f.line;
        e->flags = f.flags;
        e->id = id;
    }
    return id;
}

struct stack_key {
    const uint32_t *ids;
    uint32_t n;
};

static bool stack_equal(const void *ctx, uint32_t i, const void *key)
{
    const struct aggregate *a = ctx;
    const struct stack_key *k = key;
    const struct stack_entry *e = &a->stacks[i];
    return e->n == k->n && memcmp(a->ids + e->first, k->ids, k->n * sizeof *k->ids) == 0;
}

int aggregate_add(struct aggregate *a, const pyflame_frame *frames, uint32_t n, uint64_t count)
{
    if (grow_array((void **)&a->scratch, &a->capscratch, n + 1, sizeof *a->scratch))
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        int64_t id = intern_frame(a, &frames[n - 1 - i]); /* root first */
        if (id < 0)
            return -1;
        a->scratch[i] = (uint32_t)id;
    }
    struct stack_key key = {a->scratch, n};
    uint32_t h = index_hash_bytes(a->scratch, n * sizeof *a->scratch, 2);
    size_t slot;
    uint32_t i = index_set_find(&a->stack_index, h, stack_equal, a, &key, &slot);
    if (i != INDEX_SET_NONE) {
        a->stacks[i].count += count;
        a->samples += count;
        return 0;
    }
    if (grow_array((void **)&a->ids, &a->capids, a->nids + n, sizeof *a->ids) ||
        grow_array((void **)&a->stacks, &a->capstacks, a->nstacks + 1, sizeof *a->stacks) ||
        index_set_put(&a->stack_index, slot, h, (uint32_t)a->nstacks) != 0)
        return -1;
    if (n)
        memcpy(a->ids + a->nids, a->scratch, n * sizeof *a->ids);
    a->stacks[a->nstacks] = (struct stack_entry){a->nids, n, count, (uint32_t)a->nstacks};
    a->nids += n;
    a->nstacks++;
    a->samples += count;
    return 0;
}

void aggregate_forget_keys(struct aggregate *a)
{
    memset(a->key_cache, 0, sizeof a->key_cache);
}

void aggregate_add_idle(struct aggregate *a, uint64_t count)
{
    a->samples += count;
    a->idle += count;
}

void aggregate_add_failed(struct aggregate *a, uint64_t count)
{
    a->samples += count;
    a->failed += count;
}

static int by_count(const void *x, const void *y)
{
    const struct stack_entry *a = x, *b = y;
    if (a->count != b->count)
        return a->count < b->count ? 1 : -1;
    return a->order < b->order ? -1 : a->order > b->order;
}

int aggregate_profile(struct aggregate *a, pyflame_profile *out)
{
    free(a->out_stacks);
    free(a->out_frames);
    a->out_stacks = calloc(a->nstacks ? a->nstacks : 1, sizeof *a->out_stacks);
    a->out_frames = calloc(a->nids ? a->nids : 1, sizeof *a->out_frames);
    if (!a->out_stacks || !a->out_frames)
        return -1;
    /* Sorting a copy keeps the stack index valid for later additions. */
    struct stack_entry *sorted = malloc((a->nstacks ? a->nstacks : 1) * sizeof *sorted);
    if (!sorted)
        return -1;
    if (a->nstacks)
        memcpy(sorted, a->stacks, a->nstacks * sizeof *sorted);
    qsort(sorted, a->nstacks, sizeof *sorted, by_count);
    size_t o = 0;
    for (size_t i = 0; i < a->nstacks; i++) {
        const struct stack_entry *e = &sorted[i];
        for (uint32_t k = 0; k < e->n; k++)
            a->out_frames[o + k] = &a->frames[a->ids[e->first + k]];
        a->out_stacks[i] = (pyflame_stack_count){
            .count = e->count, .nframes = e->n, .frames = a->out_frames + o};
        o += e->n;
    }
    free(sorted);
    *out = (pyflame_profile){
        .samples = a->samples,
        .idle = a->idle,
        .failed = a->failed,
        .nstacks = a->nstacks,
        .stacks = a->out_stacks,
    };
    return 0;
}
