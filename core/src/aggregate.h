/* Samples aggregated by stack, for output plugins that want totals.
 *
 * Strings and frames are interned, so a stack is a short array of frame
 * ids and memory grows with the number of distinct stacks, not samples. */
#ifndef PYFLAME_AGGREGATE_H
#define PYFLAME_AGGREGATE_H

#include <stdint.h>

#include <pyflame/output.h>

struct aggregate;

struct aggregate *aggregate_new(void);
void aggregate_free(struct aggregate *a);

/* Counts `count` samples of the stack frames[0..n) (leaf first): one as
 * sampled, more from a profile read back (--input).  The caller keeps the
 * totals below 2^64. */
int aggregate_add(struct aggregate *a, const pyflame_frame *frames, uint32_t n, uint64_t count);
void aggregate_add_idle(struct aggregate *a, uint64_t count);
/* Frame keys seen so far mean nothing any more (a new ABI state). */
void aggregate_forget_keys(struct aggregate *a);
void aggregate_add_failed(struct aggregate *a, uint64_t count);

/* The totals, most frequent stack first.  They point into the aggregate:
 * valid until the next aggregate_add, aggregate_profile or aggregate_free.
 * Returns 0, or -1 out of memory. */
int aggregate_profile(struct aggregate *a, pyflame_profile *out);

#endif
