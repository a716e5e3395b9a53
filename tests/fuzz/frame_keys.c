/* Frame keys seen so far, each with a hash of its file and name: keeping
 * hashes, not copies, bounds the oracle's memory whatever the strings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sample_check.h"

struct slot {
    uint64_t key; /* 0: empty (the walker never gives 0 a meaning) */
    uint64_t hash;
};

struct frame_keys {
    struct slot *slots;
    size_t cap, n; /* cap: power of two */
};

static uint64_t fnv(uint64_t h, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        h = (h ^ *p) * 0x100000001b3ull;
    return (h ^ 0xff) * 0x100000001b3ull; /* ends the string: "a"+"bc" != "ab"+"c" */
}

static size_t slot_of(uint64_t key, size_t cap)
{
    return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 32) & (cap - 1);
}

struct frame_keys *frame_keys_new(void)
{
    struct frame_keys *k = calloc(1, sizeof *k);
    if (!k)
        abort();
    k->cap = 256;
    k->slots = calloc(k->cap, sizeof *k->slots);
    if (!k->slots)
        abort();
    return k;
}

void frame_keys_free(struct frame_keys *k)
{
    if (!k)
        return;
    free(k->slots);
    free(k);
}

static struct slot *lookup(struct slot *slots, size_t cap, uint64_t key)
{
    size_t i = slot_of(key, cap);
    while (slots[i].key && slots[i].key != key)
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

static void grow(struct frame_keys *k)
{
    size_t cap = k->cap * 2;
    struct slot *slots = calloc(cap, sizeof *slots);
    if (!slots)
        abort();
    for (size_t i = 0; i < k->cap; i++)
        if (k->slots[i].key)
            *lookup(slots, cap, k->slots[i].key) = k->slots[i];
    free(k->slots);
    k->slots = slots;
    k->cap = cap;
}

void frame_keys_check(struct frame_keys *k, const pyflame_frame *f)
{
    if (f->key == 0)
        return; /* no promise */
    uint64_t hash = fnv(fnv(0xcbf29ce484222325ull, f->file), f->name);
    struct slot *s = lookup(k->slots, k->cap, f->key);
    if (s->key) {
        if (s->hash != hash) {
            fprintf(stderr, "frame key %llu names two frames, now %s:%s\n",
                    (unsigned long long)f->key, f->file, f->name);
            abort();
        }
        return;
    }
    *s = (struct slot){f->key, hash};
    if (++k->n * 2 > k->cap)
        grow(k);
}
