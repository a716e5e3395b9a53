#include "index_set.h"

#include <stdlib.h>
#include <string.h>

/* The first empty slot on hash's probe path: where a new element goes. */
static size_t empty_slot(const uint32_t *slots, size_t cap, uint32_t hash)
{
    size_t j = hash & (cap - 1);
    while (slots[j])
        j = (j + 1) & (cap - 1);
    return j;
}

/* Doubles the slots (64 at first).  Returns 0, or -1 out of memory. */
static int grow(struct index_set *set)
{
    size_t cap = set->cap ? set->cap * 2 : 64;
    uint32_t *slots = calloc(cap, sizeof *slots);
    uint32_t *hashes = calloc(cap, sizeof *hashes);
    if (!slots || !hashes) {
        free(slots);
        free(hashes);
        return -1;
    }
    for (size_t i = 0; i < set->cap; i++) {
        if (!set->slots[i])
            continue;
        size_t j = empty_slot(slots, cap, set->hashes[i]);
        slots[j] = set->slots[i];
        hashes[j] = set->hashes[i];
    }
    free(set->slots);
    free(set->hashes);
    set->slots = slots;
    set->hashes = hashes;
    set->cap = cap;
    return 0;
}

uint32_t index_set_find(const struct index_set *set, uint32_t hash, index_set_eq eq,
                        const void *ctx, const void *key, size_t *slot)
{
    if (set->cap == 0) {
        *slot = 0;
        return INDEX_SET_NONE;
    }
    size_t j = hash & (set->cap - 1);
    for (; set->slots[j]; j = (j + 1) & (set->cap - 1))
        if (set->hashes[j] == hash && eq(ctx, set->slots[j] - 1, key))
            break;
    *slot = j;
    return set->slots[j] ? set->slots[j] - 1 : INDEX_SET_NONE;
}

int index_set_reserve(struct index_set *set)
{
    return (set->count + 1) * 2 > set->cap ? grow(set) : 0;
}

int index_set_put(struct index_set *set, size_t slot, uint32_t hash, uint32_t index)
{
    bool added = slot >= set->cap || !set->slots[slot];
    if (added) {
        size_t cap = set->cap;
        if (index_set_reserve(set) != 0)
            return -1;
        if (set->cap != cap) /* grown: the slot found before has moved */
            slot = empty_slot(set->slots, set->cap, hash);
    }
    set->count += added;
    set->slots[slot] = index + 1;
    set->hashes[slot] = hash;
    return 0;
}

void index_set_free(struct index_set *set)
{
    free(set->slots);
    free(set->hashes);
    *set = (struct index_set){0};
}

uint32_t index_hash_bytes(const void *data, size_t len, uint64_t seed)
{
    const unsigned char *p = data;
    uint64_t h = (seed + 1) * 0x9E3779B97F4A7C15ull ^ len;
    for (; len > 0; p += 8, len = len > 8 ? len - 8 : 0) {
        uint64_t w = 0;
        memcpy(&w, p, len < 8 ? len : 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
        h ^= h >> 31;
    }
    /* Mixed down so that every bit of the input reaches the low bits. */
    return index_hash_u64(h);
}
