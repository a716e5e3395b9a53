/* The tick's parts (sampler, thread ids, stop policy, sample view) wired
 * together over a made-up target (fake_target.h) read by a made-up ABI
 * plugin (fake_abi.h), with a clock that moves only when the target is
 * stopped or a test moves it. */
#ifndef PYFLAME_TEST_FAKE_WORLD_H
#define PYFLAME_TEST_FAKE_WORLD_H

#include <stdbool.h>
#include <stdint.h>

#include "fake_abi.h"
#include "fake_target.h"
#include "options.h"
#include "sample_view.h"
#include "sampler.h"
#include "stop_policy.h"
#include "thread_ids.h"

/* Probing the GIL's holder, and telling a free GIL from several. */
#define FAKE_PROBES (PYFLAME_ABI_PROBES_GIL_HOLDER | PYFLAME_ABI_PROBE_TELLS_FREE_GIL)

struct fake_world {
    struct fake_target target;
    struct fake_abi abi;
    struct sampler sampler;
    struct thread_ids ids;
    struct options opt;
    uint64_t clock; /* starts at 1 ms; each stop adds 1 us */
    struct stop_policy policy;
    struct sample_view view;
};

/* A target of threads in `states` (fake_tid(0), fake_tid(1), ...),
 * CPython 3.12 read by the fake plugin with `features`, opened. */
struct fake_world *fake_world_new(const char *states, uint32_t features);
void fake_world_free(struct fake_world *w);

/* What the tick's stop policy holds, the GIL's holder alone if it may. */
static inline enum hold fake_world_hold(struct fake_world *w)
{
    return stop_policy_hold(&w->policy, true);
}

/* A look at the target in stop mode, nobody holding the GIL: the state
 * of every thread the policy may stop (with --tid, every listed one) is
 * read. */
void fake_world_look(struct fake_world *w);

/* Reads a sample (the fake plugin's next answer, `answer`) as the tick
 * would, and makes it the one shown.  Returns what sample_view_make
 * does. */
bool fake_world_show(struct fake_world *w, struct fake_answer answer, pyflame_sample *smp);

#endif
