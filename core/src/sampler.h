/* Samples of the target through its ABI plugin: the host the plugin is
 * lent (reads of the target within one sample's budget, the runtime's
 * symbols), torn samples read again (--nonblocking), and what a sample
 * that failed ran into, counted for the run's report. */
#ifndef PYFLAME_SAMPLER_H
#define PYFLAME_SAMPLER_H

#include <stdbool.h>
#include <stdint.h>

#include <pyflame/abi.h>

#include "memory.h"

struct python_runtime;

/* --nonblocking: a torn sample is read again at once, at most this many
 * times, then counted as failed.  Retrying rather than dropping keeps code
 * whose stack changes fast from being under-represented. */
#define TORN_RETRIES 2

struct sampler {
    const pyflame_abi_plugin *abi; /* the plugin open on the target */
    uint32_t features;             /* its PYFLAME_ABI_* */
    void *state;                   /* its state; NULL: not open */
    pyflame_host host;             /* lent to it; ctx is this sampler */
    struct target_memory *mem;
    const struct python_runtime *rt;
    struct read_budget budget; /* of the sample (or open) under way */
    bool nonblocking;
    uint64_t over_budget; /* failed samples that hit the read budget */
    uint64_t torn;        /* failed samples still torn when retried */
};

void sampler_init(struct sampler *r, struct target_memory *mem, const struct python_runtime *rt,
                  bool nonblocking);

/* Opens `abi` (whose PYFLAME_ABI_* are `features`) on the target.  Returns
 * true when open, else false with *status and a reason in err[errlen]. */
bool sampler_open(struct sampler *r, const pyflame_abi_plugin *abi, uint32_t features,
                  int *status, char *err, size_t errlen);

/* Closes the plugin's state, if open. */
void sampler_close(struct sampler *r);

/* One call of the plugin's sample(), each read of it within the read
 * budget; a torn sample that ran out of reads is a failed one. */
void sampler_once(struct sampler *r, uint32_t flags, pyflame_sample *smp);

/* One sample, torn ones read again (--nonblocking).  Leaves smp->status
 * PYFLAME_OK, PYFLAME_IDLE or PYFLAME_ERR_READ. */
void sampler_take(struct sampler *r, uint32_t flags, pyflame_sample *smp);

#endif
