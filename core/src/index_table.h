/* An open-addressing hash index: maps a hash to the indices of items kept
 * elsewhere (in a caller's array), with equality decided by the caller. */
#ifndef PYFLAME_INDEX_TABLE_H
#define PYFLAME_INDEX_TABLE_H

#include <stddef.h>
#include <stdint.h>

struct index_table {
    uint32_t *slots;   /* item index + 1; 0 is empty */
    uint64_t *hashes;  /* hash of the item in the same slot */
    size_t cap, used;  /* cap is a power of two */
};

/* Does item `index` equal the key being looked up? */
typedef int (*index_equal_fn)(const void *ctx, uint32_t index, const void *key);

void index_table_free(struct index_table *t);

/* Index of the item equal to key, or -1. */
int64_t index_table_find(const struct index_table *t, uint64_t hash,
                         index_equal_fn eq, const void *ctx, const void *key);

/* Records that item `index` has `hash`.  Returns 0, or -1 out of memory. */
int index_table_insert(struct index_table *t, uint64_t hash, uint32_t index);

/* A 64-bit hash of bytes, a word at a time, for strings and id sequences;
 * different seeds give unrelated hashes. */
uint64_t hash_bytes(const void *data, size_t len, uint64_t seed);

#endif
