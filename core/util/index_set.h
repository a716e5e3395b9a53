/* An open-addressing set of indices into an array its user keeps, the hash
 * of each beside it so that growing never hashes again; equality is the
 * user's.  The core's aggregation interns strings, frames and stacks with
 * it, and so do the output plugins of this tree, frames, stacks, strings
 * and threads. */
#ifndef PYFLAME_INDEX_SET_H
#define PYFLAME_INDEX_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* No element: what index_set_find finds for a key not there, and what
 * the users of a set keep for "none" among its indices (no parent, say). */
#define INDEX_SET_NONE UINT32_MAX

struct index_set {
    uint32_t *slots; /* index + 1; 0 is an empty slot */
    uint32_t *hashes;
    size_t cap, count; /* cap: 0 or a power of two */
};

/* Is element `index` (of the user's array, found through ctx) `key`? */
typedef bool (*index_set_eq)(const void *ctx, uint32_t index, const void *key);

/* The index of the element equal to `key`, or INDEX_SET_NONE; *slot is
 * where it is or would go, for index_set_put.  Allocates nothing: finding
 * what is there works without memory. */
uint32_t index_set_find(const struct index_set *set, uint32_t hash, index_set_eq eq,
                        const void *ctx, const void *key, size_t *slot);

/* Puts `index` at `slot`, as index_set_find left it with the set unchanged
 * since: over the element equal to it there, or as a new element, for
 * which the set first grows if it would be over half full.  Returns 0, or
 * -1 out of memory with the set unchanged. */
int index_set_put(struct index_set *set, size_t slot, uint32_t hash, uint32_t index);

/* Makes room for one more element, so that the next index_set_put cannot
 * fail; slots found before may have moved, so find them again.  For an
 * element that goes into two sets or into neither.  Returns 0, or -1 out
 * of memory. */
int index_set_reserve(struct index_set *set);

void index_set_free(struct index_set *set);

/* A hash of bytes, a word at a time, for stacks hashed whole on every
 * sample; different seeds give unrelated hashes. */
uint32_t index_hash_bytes(const void *data, size_t len, uint64_t seed);

/* Hashes for keys: a string's bytes (FNV-1a) from `h`, and a 64-bit word. */
static inline uint32_t index_hash_str(uint64_t h, const char *s)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return (uint32_t)(h ^ (h >> 32));
}

static inline uint32_t index_hash_u64(uint64_t x)
{
    /* splitmix64's finaliser */
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return (uint32_t)x;
}

#endif
