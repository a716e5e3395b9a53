/* When each sample was taken, kept on disk, and the stretch of time that
 * each stands for once the run is over.
 *
 * A sample stands for the time from when it was taken to when the next
 * sample (of any thread) was: the sampler saw nothing else in between.  All
 * the threads in one sample get the same weight, so with --threads the
 * weights of every thread's profile add up to the time from its first
 * sample to the end of the run.  Two exceptions:
 *  - the last sample, and any whose next one is not later (the wall clock
 *    was set back), stand for the run's typical spacing: the median of the
 *    gaps, at least the configured interval (a busy sampler, e.g. on deep
 *    stacks, keeps a longer spacing than asked for);
 *  - with -x (PYFLAME_OUT_EXCLUDE_IDLE), the samples in which no Python
 *    code ran never reach the plugin, and the sample before them must not
 *    stand for the idle time that followed it: a gap may hide left-out
 *    samples, and counts for at most twice the typical spacing plus 10 ms.
 *    The 10 ms are for the sampler's own hiccups (the target slow to stop
 *    on a loaded machine, gaps of a few ms are common), which are real
 *    time to count; they are also the most idle time that one sample
 *    before a left-out stretch can take on.  Without -x every sample
 *    arrives, and every gap is time the target ran as last seen.
 *
 * Memory stays the same however long the run: the times go to a spool (8
 * bytes a sample), and the stretches to another (16 bytes a sample). */
#ifndef PYFLAME_SPEEDSCOPE_TIMELINE_H
#define PYFLAME_SPEEDSCOPE_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/spool.h"

/* What one sample stands for, in ns. */
struct span {
    uint64_t offset; /* from the first sample of the run */
    uint64_t weight;
};

struct timeline {
    uint64_t interval_ns; /* the configured spacing */
    bool exclude_idle;
    struct spool *times; /* uint64_t CLOCK_REALTIME ns of each sample */
    struct spool *spans; /* struct span of each, after timeline_finish */
    size_t count;        /* samples */
    uint64_t ngaps;      /* samples taken later than the one before */
    uint64_t last;       /* time of the latest sample */
    struct span window[256]; /* spans[wfirst .. wfirst + wn - 1] */
    size_t wfirst, wn;
};

/* Makes the spool of times; -1 with errno set if it cannot. */
int timeline_open(struct timeline *t, uint64_t interval_ns, bool exclude_idle);
void timeline_free(struct timeline *t);

/* Appends a sample's time.  Returns 0, or -1 with errno set. */
int timeline_add(struct timeline *t, uint64_t time_ns);
size_t timeline_count(const struct timeline *t);

/* Works out every sample's span once all are in.  Returns 0, or -1 with
 * errno set. */
int timeline_finish(struct timeline *t);

/* The span of sample `tick` (after timeline_finish): quickest when asked
 * in the order of the samples.  Returns 0, or -1 on a read error. */
int timeline_span(struct timeline *t, size_t tick, struct span *out);

#endif
