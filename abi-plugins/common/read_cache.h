/* A per-sample cache of the target's memory, in aligned 1 KB lines.
 *
 * A read of the target costs one system call of about the same price for
 * 8 bytes as for 4 KB, and a sample's reads cluster: 3.11+ frames sit side
 * by side in a thread's data stack, code objects of one module lie close
 * together.  Reading whole lines turns a sample's fifty small reads into a
 * few.  Lines are valid for one sample only: between samples the target
 * runs and changes them. */
#ifndef PYFLAME_ABI_READ_CACHE_H
#define PYFLAME_ABI_READ_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include <pyflame/pyflame.h>

struct read_cache;

/* A cache in front of `real`'s read_memory; NULL without memory. */
struct read_cache *pyflame_read_cache_new(const pyflame_host *real);
void pyflame_read_cache_free(struct read_cache *c);

/* The host to read through: `real` with read_memory going via the cache. */
const pyflame_host *pyflame_read_cache_host(struct read_cache *c);

/* Forgets every line: the target may have run since.  Reads ahead, in one
 * batch, the lines the last sample used and then the echo of its first
 * refresh (below). */
void pyflame_read_cache_begin_sample(struct read_cache *c);

/* A range of the target's memory. */
struct span {
    uint64_t addr;
    size_t len;
};

/* Reads after a refresh's lines, at most. */
#define READ_AFTER_MAX 4

/* Forgets every line, then reads afresh those holding a byte of the n
 * spans, in one batched read where the host allows: what they hold comes
 * from nearly one moment of a running target.  The reads `after` (at most
 * READ_AFTER_MAX) go straight to their buffers, in the same batch after
 * every line: they see the target just after the lines.  Lines the batch
 * could not get are read on demand as usual.  Counts towards the sample's
 * fetches.  Returns 0 if every read of `after` was done.
 *
 * A sample's first refresh costs no read when the sample has read nothing
 * since its first batch and the echo (that batch's copy, after its lines,
 * of the last sample's first refresh) holds every line and read it asks
 * for: what the echo holds was copied after every byte the sample used,
 * as the refresh's own batch would have been. */
int pyflame_read_cache_refresh(struct read_cache *c, const struct span *spans, size_t n,
                               const pyflame_read *after, size_t nafter);

#endif
