/* The stop policy: what each tick stops of the target (stop_policy.h).
 *
 * ---- Stopping only the thread that holds the GIL ----
 *
 * In stop mode, the thread holding the GIL is stopped alone: with a GIL,
 * no other thread can change its Python stack while that one holds it,
 * so the sample is as exact as with every thread stopped, for the cost
 * of one stop rather than one per thread (the target's other threads
 * never notice, nor does a program asleep).  The holder is found by
 * reading the running target (a probe), then stopped, then the sample is
 * read.  It is kept if the sample, read while that thread is stopped,
 * names it the GIL's holder: a stopped thread cannot let the GIL go, so
 * it held it for the whole read, and no other thread ran Python code
 * meanwhile.  One gap remains: a thread that took the GIL just as the
 * held one let it go sets "locked" before "last holder", so for a moment
 * the GIL looks held by the thread that left it.  The held thread's own
 * stack is as exact as with every thread stopped at that moment (which
 * would read the same), but with --threads the newcomer's stack was read
 * running: then the holder is probed again after the stacks, by which
 * time the newcomer has named itself (x86 shows stores in order).  When
 * the GIL changed hands, every thread is stopped and the sample read
 * again.  When nobody holds the GIL, or a subinterpreter has a GIL of
 * its own (3.12+), there is no holder to stop alone.
 *
 * ---- Which threads run: what the kernel says ----
 *
 * A thread is running when the kernel has it in state R (on a CPU or
 * waiting for one), idle otherwise, whether it holds the GIL or not: C
 * code that let the GIL go (hashing, compression, numpy) is running, and
 * a thread that holds the GIL asleep in a system call is not.  A thread
 * in D (asleep in the kernel, most often for a disk) is idle: it waits,
 * it does not run.  With --gil only the GIL's holder runs, whatever the
 * kernel says.  States are read in one look per sample, before anything
 * is stopped (a stopped thread reads 't').
 *
 * ---- --tid: the threads listed, and no other ----
 *
 * With --tid the policy works on the threads listed as it would on every
 * thread: only theirs are looked at, only they are stopped, "every
 * thread" is every one of them.  A GIL's holder that is not listed is
 * not held alone: it runs on, the listed threads found running are held
 * (for one stack, none running is an idle sample).  The walk still reads
 * every thread's stack, a running one's too; those of threads not listed
 * are never shown, and a read that failed is read again once (perhaps on
 * a thread not listed, changing its stack as it was read), all listed
 * threads stopped.  A listed thread that exits is forgotten; when none
 * is left, the run ends (HOLD_THREADS_GONE). */
#include "stop_policy.h"

#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "memory.h"
#include "python_runtime.h"
#include "sampler.h"
#include "thread_ids.h"
#include "thread_states.h"
#include "tracee.h"

/* --tid: only the threads listed are stopped, looked at and shown. */
static bool listing(const struct stop_policy *p)
{
    return p->opt->ntids > 0;
}

/* The threads the policy may stop: every thread of the target, or with
 * --tid those listed; thread i of them. */
static size_t nstoppable(const struct stop_policy *p)
{
    return listing(p) ? p->nlisted : p->tracee->nthreads;
}

static pid_t stoppable(const struct stop_policy *p, size_t i)
{
    return listing(p) ? p->listed[i] : tracee_thread_id(p->tracee, i);
}

void stop_policy_list_threads(struct stop_policy *p)
{
    p->nlisted = p->opt->ntids;
    memcpy(p->listed, p->opt->tids, p->nlisted * sizeof *p->listed);
}

bool stop_policy_shows(const struct stop_policy *p, pid_t tid)
{
    for (size_t i = 0; listing(p) && i < p->nlisted; i++)
        if (p->listed[i] == tid)
            return true;
    return !listing(p);
}

/* --tid: forgets the threads listed that have exited.  Returns how many
 * are left. */
static size_t forget_gone(struct stop_policy *p)
{
    for (size_t i = 0; i < p->nlisted;)
        if (tracee_has_thread(p->tracee, p->listed[i]))
            i++;
        else
            p->listed[i] = p->listed[--p->nlisted];
    return p->nlisted;
}

/* Stops every thread the policy may stop (with --tid, one slow to stop is
 * read as it is, as tracee_stop does).  -1: the target is gone. */
static int stop_all(struct stop_policy *p)
{
    if (!listing(p))
        return tracee_stop(p->tracee);
    (void)tracee_stop_threads(p->tracee, p->listed, p->nlisted);
    return p->tracee->exited ? -1 : 0;
}

/* The kernel id of the thread holding the GIL in smp, 0 if none. */
static pid_t gil_holder_tid(struct stop_policy *p, const pyflame_sample *smp)
{
    for (uint32_t i = 0; i < smp->nthreads; i++) {
        if (!(smp->threads[i].flags & PYFLAME_THREAD_HOLDS_GIL))
            continue;
        pyflame_thread t = smp->threads[i];
        thread_ids_resolve(p->ids, &t, NULL, 0);
        return (pid_t)t.os_tid;
    }
    return 0;
}

/* The kernel id of the thread holding the GIL now, as the running target
 * tells, 0 if none or unknown; *gil_free (unless NULL) tells whether
 * nobody held it. */
static pid_t gil_holder_now(struct stop_policy *p, bool *gil_free)
{
    pyflame_sample probe = {0};
    sampler_once(p->sampler, PYFLAME_SAMPLE_NONBLOCKING | PYFLAME_SAMPLE_GIL_HOLDER_ONLY, &probe);
    if (gil_free)
        *gil_free = probe.status == PYFLAME_IDLE;
    return probe.status == PYFLAME_OK ? gil_holder_tid(p, &probe) : 0;
}

/* Which thread to stop alone, 0 for none.  Not on 2.7 with more than one
 * thread: its GIL keeps the threads that wait for it runnable (50 busy
 * threads: all 50 in state R), so with them left running pyflame fought
 * them for the CPU and kept 35% of the samples at 100 Hz, against 98%
 * with them all stopped.  A program of one thread is probed too, on
 * every version: the probe is a read while it runs, and spares it the
 * stop while it sleeps (a stop wakes a sleeping thread, which costs the
 * target more than stopping a busy one).  The version is unknown (0) only
 * when it could not be told: none, then. */
static pid_t thread_to_hold(struct stop_policy *p, bool *gil_free)
{
    const struct sampler *r = p->sampler;
    uint32_t features = r->state ? r->features : 0;
    *gil_free = false;
    /* Just after an exec the plugin still reads the program before it. */
    if (!r->state || p->tracee->execed || p->rt->major == 0 ||
        (p->tracee->nthreads > 1 && p->rt->major < 3) ||
        !(features & PYFLAME_ABI_PROBES_GIL_HOLDER))
        return 0;
    pid_t holder = gil_holder_now(p, gil_free);
    if (!(features & PYFLAME_ABI_PROBE_TELLS_FREE_GIL))
        *gil_free = false; /* its idle may mean more than one GIL */
    return holder;
}

/* Reads every thread's state in this look (with --tid, every listed
 * one's), keeping those that run in look.running: 1 if any runs, 0 if
 * none, -1 if it could not tell (out of memory: then every thread is to
 * be stopped). */
static int look_at_every_thread(struct stop_policy *p)
{
    struct tick_look *l = &p->look;
    l->nrunning = 0;
    if (grow_array((void **)&l->running, &l->caprunning, nstoppable(p) + 1,
                   sizeof *l->running) != 0)
        return -1;
    l->looked_at_all = true;
    for (size_t i = 0; i < nstoppable(p); i++) {
        pid_t tid = stoppable(p, i);
        if (thread_state_running(thread_states_read(p->states, tid)))
            l->running[l->nrunning++] = tid;
    }
    return l->nrunning > 0;
}

/* What to hold this tick, picked before anything is stopped (see
 * stop_policy.h); reads the threads' states that it needs.  Never
 * HOLD_TARGET_GONE. */
static enum hold choose(struct stop_policy *p, bool holder_alone)
{
    const struct options *o = p->opt;
    if (o->nonblocking)
        return HOLD_NOBODY;
    bool gil_free = false;
    pid_t holder = holder_alone ? thread_to_hold(p, &gil_free) : 0;
    if (holder && !stop_policy_shows(p, holder)) {
        /* --tid: a holder not listed is not ours to stop; to the threads
         * listed the GIL is as good as free. */
        holder = 0;
        gil_free = true;
    }
    p->look.holder = holder;
    if (!kernel_view(o) && !o->dump) {
        if (gil_free && one_stack(o))
            return HOLD_NONE_RUNNING;
    } else if (!one_stack(o) || !holder ||
               !thread_state_running(thread_states_read(p->states, holder))) {
        /* The holder alone will not do: look at them all. */
        int runs = look_at_every_thread(p);
        if (runs == 0 && one_stack(o))
            return HOLD_NONE_RUNNING;
        if (!holder && runs >= 0 && kernel_view(o) && !o->dump)
            return HOLD_RUNNING;
    }
    return holder > 0 ? HOLD_GIL_HOLDER : HOLD_EVERY_THREAD;
}

/* Stops what choose() picked, or every thread when that fails. */
static enum hold stop(struct stop_policy *p, enum hold want)
{
    const struct tick_look *l = &p->look;
    if (want == HOLD_GIL_HOLDER && tracee_stop_thread(p->tracee, l->holder) == 0)
        return HOLD_GIL_HOLDER;
    if (want == HOLD_RUNNING && tracee_stop_threads(p->tracee, l->running, l->nrunning) == 0)
        return HOLD_RUNNING;
    return stop_all(p) == 0 ? HOLD_EVERY_THREAD : HOLD_TARGET_GONE;
}

enum hold stop_policy_hold(struct stop_policy *p, bool holder_alone)
{
    struct tick_look *l = &p->look;
    l->holder = 0;
    l->looked_at_all = false;
    l->nrunning = 0;
    if (listing(p) && !p->tracee->exited && forget_gone(p) == 0)
        return l->held = HOLD_THREADS_GONE;
    thread_states_begin(p->states);
    enum hold want = choose(p, holder_alone);
    if (want == HOLD_NOBODY || want == HOLD_NONE_RUNNING) {
        l->held = p->tracee->exited ? HOLD_TARGET_GONE : want;
    } else {
        l->began_ns = clock_now(&p->clock);
        l->held = stop(p, want);
    }
    return l->held;
}

void stop_policy_release(struct stop_policy *p)
{
    if (!p->opt->nonblocking)
        tracee_resume(p->tracee);
    if (p->look.began_ns)
        p->held_ns += clock_now(&p->clock) - p->look.began_ns;
    p->look.began_ns = 0;
}

/* The sample while the GIL's holder alone is stopped: true if the sample
 * names that thread the GIL's holder and, with every thread's stack in it,
 * the GIL has not since passed to another (see above). */
static bool read_holder_alone(struct stop_policy *p, uint32_t flags, pyflame_sample *smp)
{
    sampler_once(p->sampler, flags, smp);
    if (smp->status != PYFLAME_OK || gil_holder_tid(p, smp) != p->look.holder)
        return false;
    /* The probe leaves smp as it is (PYFLAME_ABI_PROBES_GIL_HOLDER). */
    return !(flags & PYFLAME_SAMPLE_ALL_THREADS) || gil_holder_now(p, NULL) == p->look.holder;
}

/* Stops every thread (with --tid, every listed one), after fewer were
 * held.  -1: the target is gone. */
static int stop_every_thread(struct stop_policy *p)
{
    if (stop_all(p) != 0) {
        p->look.held = HOLD_TARGET_GONE;
        return -1;
    }
    p->look.held = HOLD_EVERY_THREAD;
    return 0;
}

/* Reads a sample of the target as held: from the GIL's holder alone, if
 * the sample bears out that it held the GIL throughout; from the threads
 * found running, unless the read failed; else, or then again, with every
 * thread stopped.  Returns -1 when the target is gone. */
static int read_held(struct stop_policy *p, uint32_t flags, pyflame_sample *smp)
{
    if (p->look.held == HOLD_GIL_HOLDER) {
        if (read_holder_alone(p, flags, smp))
            return 0;
        /* The GIL changed hands: what the others do, before they stop. */
        if (kernel_view(p->opt) && !p->look.looked_at_all)
            (void)look_at_every_thread(p);
        if (stop_every_thread(p) != 0)
            return -1;
    }
    sampler_take(p->sampler, flags, smp);
    if (smp->status == PYFLAME_ERR_READ && p->look.held == HOLD_RUNNING &&
        !p->sampler->budget.exceeded && !memory_gone(p->sampler->mem)) {
        /* A thread left running may have changed what the walk read: read
         * again with every thread stopped (not when it read too much: the
         * target's structures are what they are). */
        if (stop_every_thread(p) != 0)
            return -1;
        sampler_take(p->sampler, flags, smp);
    }
    return 0;
}

/* Is any of the target's threads (with --tid, of those listed) running,
 * as far as this look tells? */
static bool look_any_runs(struct stop_policy *p)
{
    for (size_t i = 0; i < nstoppable(p); i++)
        if (thread_state_running(look_state(p, stoppable(p, i))))
            return true;
    return false;
}

/* For one stack, the GIL's holder was read alone: does the sample need
 * every thread's stack, to show one running without the GIL, or with
 * --tid one listed when the holder is not?  A failed read too, with
 * --tid: what failed may be a thread not listed, read as it ran. */
static bool needs_every_thread(struct stop_policy *p, const pyflame_sample *smp)
{
    if (!kernel_view(p->opt) || !one_stack(p->opt) ||
        (smp->status == PYFLAME_ERR_READ && !listing(p)))
        return false;
    if (smp->status == PYFLAME_OK && smp->nthreads == 1) {
        pyflame_thread t = smp->threads[0];
        thread_ids_resolve(p->ids, &t, NULL, 0);
        if (stop_policy_shows(p, (pid_t)t.os_tid) && look_runs(p, &t))
            return false;
    }
    return look_any_runs(p);
}

int stop_policy_read(struct stop_policy *p, uint32_t flags, pyflame_sample *smp)
{
    /* Every thread's state was read: the thread to show may be any that
     * runs, not only the GIL's holder. */
    if (p->look.looked_at_all && kernel_view(p->opt))
        flags |= PYFLAME_SAMPLE_ALL_THREADS;
    if (p->look.held == HOLD_NONE_RUNNING) {
        smp->status = PYFLAME_IDLE; /* no thread to read */
        return 0;
    }
    if (read_held(p, flags, smp) != 0)
        return -1;
    if (!(flags & PYFLAME_SAMPLE_ALL_THREADS) && needs_every_thread(p, smp))
        return read_held(p, flags | PYFLAME_SAMPLE_ALL_THREADS, smp);
    return 0;
}

char look_state(struct stop_policy *p, pid_t tid)
{
    return p->opt->nonblocking ? thread_states_read(p->states, tid)
                               : thread_states_seen(p->states, tid);
}

/* A thread whose state was not read (it came after the look) runs if it
 * holds the GIL, unless only the threads found running were stopped: then
 * it was read running, and is not shown. */
bool look_runs(struct stop_policy *p, const pyflame_thread *t)
{
    char state = t->os_tid ? look_state(p, (pid_t)t->os_tid) : '\0';
    if (!state)
        return p->look.held != HOLD_RUNNING && (t->flags & PYFLAME_THREAD_HOLDS_GIL);
    return thread_state_running(state);
}

void stop_policy_free(struct stop_policy *p)
{
    free(p->look.running);
    p->look.running = NULL;
    p->look.nrunning = p->look.caprunning = 0;
}
