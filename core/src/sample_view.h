/* A sample as the profile shows it, made from what the ABI plugin read:
 * each thread with the host's kernel id, running or idle as the kernel
 * says (unless --gil), and -x, -n and --thread-names applied: idle
 * threads left out, line numbers cleared, a label frame at each stack's
 * root.  For one stack, the thread shown is picked here. */
#ifndef PYFLAME_SAMPLE_VIEW_H
#define PYFLAME_SAMPLE_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pyflame/pyflame.h>

#include "options.h"

struct stop_policy;
struct thread_ids;

struct sample_view {
    const struct options *opt;
    struct stop_policy *look; /* what the tick stopped and saw */
    struct thread_ids *ids;
    /* The output plugin takes an idle thread as its label over "(idle)"
     * (API 4); older ones get no frames for it. */
    bool idle_leaves;
    pyflame_frame *frames; /* frames rewritten: lines cleared, labels added */
    size_t capframes;
    pyflame_thread *threads;
    size_t capthreads;
    /* "thread NAME (TID)", one per thread; plugins cut names at a
     * character boundary well below this. */
    char (*labels)[256];
    size_t caplabels;
    /* The target has no GIL to hold (a free-threaded build): no thread
     * runs "without" it. */
    bool gil_less;
    uint64_t turn;          /* which running thread without the GIL a sample shows */
    uint64_t idle_left_out; /* idle samples (threads, with --threads) -x left out */
};

/* Makes *smp, as the plugin read it, the sample to show: its threads then
 * live in v until the next call.  A failed sample is left as it is.
 * Returns false if nothing is left to show (-x), or no memory to show it
 * with. */
bool sample_view_make(struct sample_view *v, pyflame_sample *smp);

void sample_view_free(struct sample_view *v);

#endif
