/* The stop policy: which of the target's threads a tick stops, so that
 * every stack it shows is read as it is, for as few stops as that takes
 * (a stop wakes a thread asleep, which costs the target more than a read).
 * Unless --nonblocking, each tick holds one of:
 * - the GIL's holder alone, when it can be found: no other thread can
 *   change its Python stack while that one holds the GIL;
 * - else, in the kernel's view, the threads found running: the others
 *   are idle, and their stacks are not shown (-d shows them: all, then);
 * - nobody, when no thread runs (for one stack: the sample is idle, as
 *   read; with --gil, when nobody holds the GIL; with --threads the
 *   threads are still read, for their ids, not their stacks);
 * - else every thread.
 * With --tid, "every thread" is every thread listed: the others are never
 * stopped, nor looked at, nor shown (sample_view.c); the GIL's holder is
 * held alone only if listed.
 * The design and its one gap are told in stop_policy.c. */
#ifndef PYFLAME_STOP_POLICY_H
#define PYFLAME_STOP_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <pyflame/pyflame.h>

#include "options.h"
#include "pacing.h"

struct tracee;
struct thread_states;
struct sampler;
struct thread_ids;
struct python_runtime;

/* Does the kernel tell which threads run (not --gil, with which only the
 * GIL's holder runs, whatever the kernel says)? */
static inline bool kernel_view(const struct options *o)
{
    return !o->gil;
}

/* One stack a sample, not every thread's. */
static inline bool one_stack(const struct options *o)
{
    return !o->threads && !o->dump;
}

/* What a tick holds stopped while it reads the target. */
enum hold {
    HOLD_NOBODY,       /* --nonblocking: the target is read as it runs */
    HOLD_NONE_RUNNING, /* nobody: no thread runs, the sample is idle unread */
    HOLD_GIL_HOLDER,   /* the GIL's holder alone (tick_look.holder) */
    HOLD_RUNNING,      /* the threads found running (tick_look.running) */
    HOLD_EVERY_THREAD,
    HOLD_TARGET_GONE, /* the target exited: nothing to read, the run ends */
    HOLD_THREADS_GONE, /* --tid: every thread listed exited; the run ends */
};

/* What this tick stopped and saw: set by stop_policy_hold, kept until the
 * next tick's (the sample is judged by it after the target runs again). */
struct tick_look {
    enum hold held;
    pid_t holder;       /* the GIL's holder as the probe found it, 0: none */
    bool looked_at_all; /* every thread's state was read */
    pid_t *running;     /* then, the threads found running */
    size_t nrunning, caprunning;
    uint64_t began_ns; /* when the stopping began, 0: nothing stopped */
};

struct stop_policy {
    const struct options *opt;
    struct tracee *tracee;
    struct thread_states *states; /* what the kernel says the threads do */
    struct sampler *sampler;      /* probes the GIL's holder, reads */
    struct thread_ids *ids;
    const struct python_runtime *rt;
    struct ns_clock clock;
    struct tick_look look;
    uint64_t held_ns; /* how long the target was held in all */
    /* --tid (stop_policy_list_threads): the threads listed that have not
     * exited; one that did is forgotten, so that a new thread given its
     * id is not taken for it. */
    pid_t listed[MAX_TIDS];
    size_t nlisted;
};

/* Takes --tid's threads from p->opt: the only ones stopped and shown from
 * then on.  Without --tid, every thread is. */
void stop_policy_list_threads(struct stop_policy *p);

/* Is thread `tid` one to show: without --tid any, with it one listed? */
bool stop_policy_shows(const struct stop_policy *p, pid_t tid);

/* Begins the tick's look at the threads and stops what the policy picks
 * (the GIL's holder only if `holder_alone`), or every thread when that
 * fails.  Returns what is held: HOLD_TARGET_GONE or HOLD_THREADS_GONE
 * when the run is over. */
enum hold stop_policy_hold(struct stop_policy *p, bool holder_alone);

/* Reads the tick's sample (flags as for the plugin's sample()) from the
 * target as stop_policy_hold left it, stopping every thread when what is
 * held turns out not to be enough.  Returns -1 when the target is gone. */
int stop_policy_read(struct stop_policy *p, uint32_t flags, pyflame_sample *smp);

/* Lets the target run again, and counts how long it was held. */
void stop_policy_release(struct stop_policy *p);

/* The state of thread `tid` in this tick's look: read now when nothing is
 * stopped (--nonblocking); with threads stopped, only what was read
 * before ('\0' if nothing was). */
char look_state(struct stop_policy *p, pid_t tid);

/* Is thread t (its os_tid the host's) running, as far as this tick's look
 * tells? */
bool look_runs(struct stop_policy *p, const pyflame_thread *t);

void stop_policy_free(struct stop_policy *p);

#endif
