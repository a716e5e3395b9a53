#include "index_table.h"

#include <stdlib.h>
#include <string.h>

void index_table_free(struct index_table *t)
{
    free(t->slots);
    free(t->hashes);
    *t = (struct index_table){0};
}

int64_t index_table_find(const struct index_table *t, uint64_t hash,
                         index_equal_fn eq, const void *ctx, const void *key)
{
    if (!t->cap)
        return -1;
    for (size_t i = hash & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
        uint32_t s = t->slots[i];
        if (!s)
            return -1;
        if (t->hashes[i] == hash && eq(ctx, s - 1, key))
            return s - 1;
    }
}

static void place(uint32_t *slots, uint64_t *hashes, size_t cap, uint64_t hash,
                  uint32_t value)
{
    size_t i = hash & (cap - 1);
    while (slots[i])
        i = (i + 1) & (cap - 1);
    slots[i] = value;
    hashes[i] = hash;
}

static int grow(struct index_table *t)
{
    size_t cap = t->cap ? t->cap * 2 : 256;
    uint32_t *slots = calloc(cap, sizeof *slots);
    uint64_t *hashes = calloc(cap, sizeof *hashes);
    if (!slots || !hashes) {
        free(slots);
        free(hashes);
        return -1;
    }
    for (size_t i = 0; i < t->cap; i++)
        if (t->slots[i])
            place(slots, hashes, cap, t->hashes[i], t->slots[i]);
    free(t->slots);
    free(t->hashes);
    t->slots = slots;
    t->hashes = hashes;
    t->cap = cap;
    return 0;
}

int index_table_insert(struct index_table *t, uint64_t hash, uint32_t index)
{
    if ((t->used + 1) * 10 > t->cap * 7 && grow(t) != 0)
        return -1;
    place(t->slots, t->hashes, t->cap, hash, index + 1);
    t->used++;
    return 0;
}

uint64_t hash_bytes(const void *data, size_t len, uint64_t seed)
{
    /* A word at a time: stacks are hashed whole on every sample. */
    const unsigned char *p = data;
    uint64_t h = (seed + 1) * 0x9E3779B97F4A7C15ull ^ len;
    for (; len > 0; p += 8, len = len > 8 ? len - 8 : 0) {
        uint64_t w = 0;
        memcpy(&w, p, len < 8 ? len : 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
        h ^= h >> 31;
    }
    /* Mixed down so that every bit of the input reaches the low bits. */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}
