#include "session.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "aggregate.h"
#include "attach.h"
#include "diag.h"
#include "dump.h"
#include "grow.h"
#include "interpreter.h"
#include "memory.h"
#include "pacing.h"
#include "plugin_loader.h"
#include "profile_output.h"
#include "run_report.h"
#include "sampler.h"
#include "thread_ids.h"
#include "thread_states.h"
#include "tracee.h"

volatile sig_atomic_t session_stop_signal;

struct session {
    const struct options *opt;
    struct plugin_dirs dirs;
    struct tracee tracee;
    struct target_memory mem;
    struct thread_ids ids;
    struct interpreter py;
    struct sampler sampler;
    bool program_ended; /* attach mode: the target called exec */
    struct profile_output out;
    int sigchld_fd;   /* signalfd: the target has news (handle_target_events) */
    struct pacer pacer;
    pyflame_frame *scratch; /* frames with lines cleared, for -n */
    size_t capscratch;
    pyflame_thread *scratch_threads;
    size_t capscratch_threads;
    /* "thread NAME (TID)", one per scratch thread; plugins cut names at a
     * character boundary well below this. */
    char (*labels)[256];
    size_t caplabels;
    struct run_tally tally;
    pid_t held_thread;    /* stop mode: the one thread stopped, 0 for all */
    uint64_t hold_began_ns; /* stop mode: when this tick began stopping, 0: not */
    uint64_t held_ns;       /* stop mode: how long the target was held in all */
    /* Nothing to read: no thread ran (or, with --gil, nobody held the
     * GIL), so the sample is idle and nothing was stopped. */
    bool none_running;
    bool looked_at_all; /* this look read every thread's state */
    bool some_stopped;  /* only the threads found running are stopped */
    struct thread_states states; /* what the kernel says the threads do */
    uint64_t turn; /* which running thread without the GIL a sample shows */
    pid_t *running; /* the threads this look found running */
    size_t nrunning, caprunning;
};

/* Handles an exec of the target.  Attach mode: its Python program is over,
 * as if it had exited (-1).  -t: the new program is searched afresh (0). */
static int follow_exec(struct session *s, bool trace)
{
    if (!s->tracee.execed)
        return 0;
    s->tracee.execed = false;
    if (!trace) {
        pf_warn("process %d called exec: its Python program ended; stopping",
                (int)s->tracee.pid);
        s->program_ended = true;
        return -1;
    }
    interpreter_forget(&s->py);
    /* Frame keys are only unique within one open ABI state. */
    if (s->out.agg)
        aggregate_forget_keys(s->out.agg);
    return 0;
}

/* ---- Stopping only the thread that holds the GIL ----
 *
 * In stop mode, only the thread holding the GIL is stopped (with --gil,
 * none when nobody holds it and one stack is wanted): with a GIL, no other thread
 * can change its Python stack while that one holds it, so the sample is
 * as exact as with every thread stopped, for the cost of one stop rather
 * than one per thread (the target's other threads never notice, nor does
 * a program asleep).  The holder is found
 * by reading the running target, then stopped, then the sample is read.
 * It is kept if the sample, read while that thread is stopped, names it
 * the GIL's holder: a stopped thread cannot let the GIL go, so it held it
 * for the whole read, and no other thread ran Python code meanwhile.
 * One gap remains: a thread that took the GIL just as the held one let
 * it go sets "locked" before "last holder", so for a moment the GIL
 * looks held by the thread that left it.  The held thread's own stack is
 * as exact as with every thread stopped at that moment (which would read
 * the same), but with --threads the newcomer's stack was read running:
 * then the holder is read again after the stacks, by which time the
 * newcomer has named itself (x86 shows stores in order).  Otherwise (the
 * GIL changed hands, nobody held it, or a subinterpreter has a GIL of its
 * own, 3.12+) every thread is stopped and the sample read again, as
 * before. */

/* The kernel id of the thread holding the GIL in smp, 0 if none. */
static pid_t gil_holder_tid(struct session *s, const pyflame_sample *smp)
{
    for (uint32_t i = 0; i < smp->nthreads; i++) {
        if (!(smp->threads[i].flags & PYFLAME_THREAD_HOLDS_GIL))
            continue;
        pyflame_thread t = smp->threads[i];
        thread_ids_resolve(&s->ids, &t, NULL, 0);
        return (pid_t)t.os_tid;
    }
    return 0;
}

/* The kernel id of the thread holding the GIL now, 0 if none or unknown;
 * *gil_free (unless NULL) tells whether nobody held it. */
static pid_t probe_gil_holder(struct session *s, bool *gil_free)
{
    pyflame_sample probe = {0};
    sampler_once(&s->sampler, PYFLAME_SAMPLE_NONBLOCKING | PYFLAME_SAMPLE_GIL_HOLDER_ONLY, &probe);
    if (gil_free)
        *gil_free = probe.status == PYFLAME_IDLE;
    return probe.status == PYFLAME_OK ? gil_holder_tid(s, &probe) : 0;
}

/* Which thread to stop alone, 0 for all of them.  Not on 2.7 with more
 * than one thread: its GIL keeps the threads that wait for it runnable (50
 * busy threads: all 50 in state R), so with them left running pyflame
 * fought them for the CPU and kept 35% of the samples at 100 Hz, against
 * 98% with them all stopped.  A program of one thread is probed too, on
 * every version: the probe is a read while it runs, and spares it the
 * stop while it sleeps (a stop wakes a sleeping thread, which costs the
 * target more than stopping a busy one).  The version is unknown (0) only
 * when it could not be told: all, then. */
static pid_t thread_to_hold(struct session *s, bool *gil_free)
{
    uint32_t features = s->sampler.state ? s->sampler.features : 0;
    *gil_free = false;
    /* Just after an exec the plugin still reads the program before it. */
    if (!s->sampler.state || s->tracee.execed || s->py.rt.major == 0 ||
        (s->tracee.nthreads > 1 && s->py.rt.major < 3) ||
        !(features & PYFLAME_ABI_PROBES_GIL_HOLDER))
        return 0;
    pid_t holder = probe_gil_holder(s, gil_free);
    if (!(features & PYFLAME_ABI_PROBE_TELLS_FREE_GIL))
        *gil_free = false; /* its idle may mean more than one GIL */
    return holder;
}

/* ---- Which threads run: what the kernel says ----
 *
 * A thread is running when the kernel has it in state R (on a CPU or
 * waiting for one), idle otherwise, whether it holds the GIL or not: C
 * code that let the GIL go (hashing, compression, numpy) is running, and
 * a thread that holds the GIL asleep in a system call is not.  A thread
 * in D (asleep in the kernel, most often for a disk) is idle: it waits,
 * it does not run.  With --gil only the GIL's holder runs, whatever the
 * kernel says.  States are read in one look per sample, before anything
 * is stopped (a stopped thread reads 't'). */

static bool kernel_view(const struct session *s)
{
    return !s->opt->gil;
}

/* One stack a sample, not every thread's. */
static bool one_stack(const struct session *s)
{
    return !s->opt->threads && !s->opt->dump;
}

/* Reads every thread's state in this look into s->running: 1 if any
 * runs, 0 if none, -1 if it could not tell (out of memory: then every
 * thread is to be stopped). */
static int look_at_every_thread(struct session *s)
{
    s->nrunning = 0;
    if (grow_array((void **)&s->running, &s->caprunning, s->tracee.nthreads + 1,
                   sizeof *s->running) != 0)
        return -1;
    s->looked_at_all = true;
    for (size_t i = 0; i < s->tracee.nthreads; i++) {
        pid_t tid = tracee_thread_id(&s->tracee, i);
        if (thread_state_running(thread_states_read(&s->states, tid)))
            s->running[s->nrunning++] = tid;
    }
    return s->nrunning > 0;
}

/* Stops the target for a sample, unless --nonblocking.  What is stopped
 * is what keeps every stack to be shown as it is while it is read:
 * - the GIL's holder alone, when it can be found (s->held_thread): no
 *   other thread can change its Python stack meanwhile;
 * - else, in the kernel's view, the threads found running: the others
 *   are idle, their stacks are not shown (-d shows them: all, then);
 * - nothing, when no thread runs (for one stack, s->none_running: the
 *   sample is idle, as read; with --gil, when nobody holds the GIL; with
 *   --threads the threads are read, for their ids, not their stacks);
 * - else every thread.
 * The threads' states are read first.  Returns -1 when the target is
 * gone. */
static int hold_target(struct session *s, bool holder_alone)
{
    s->held_thread = 0;
    s->none_running = s->looked_at_all = s->some_stopped = false;
    thread_states_begin(&s->states);
    if (s->opt->nonblocking)
        return s->tracee.exited ? -1 : 0;
    bool gil_free = false, some = false;
    pid_t holder = holder_alone ? thread_to_hold(s, &gil_free) : 0;
    if (!kernel_view(s) && !s->opt->dump) {
        s->none_running = gil_free && one_stack(s);
    } else if (!one_stack(s) || !holder ||
               !thread_state_running(thread_states_read(&s->states, holder))) {
        /* The holder alone will not do: look at them all. */
        int runs = look_at_every_thread(s);
        s->none_running = runs == 0 && one_stack(s);
        some = runs >= 0 && kernel_view(s) && !holder && !s->opt->dump;
    }
    if (s->none_running)
        return s->tracee.exited ? -1 : 0;
    s->hold_began_ns = now_ns(CLOCK_MONOTONIC);
    if (holder > 0 && tracee_stop_thread(&s->tracee, holder) == 0) {
        s->held_thread = holder;
        return 0;
    }
    if (some && tracee_stop_threads(&s->tracee, s->running, s->nrunning) == 0) {
        s->some_stopped = true;
        return 0;
    }
    return tracee_stop(&s->tracee);
}

static void release_target(struct session *s)
{
    if (!s->opt->nonblocking)
        tracee_resume(&s->tracee);
    if (s->hold_began_ns)
        s->held_ns += now_ns(CLOCK_MONOTONIC) - s->hold_began_ns;
    s->hold_began_ns = 0;
    s->held_thread = 0;
}

/* The sample while only s->held_thread is stopped: true if the sample
 * names that thread the GIL's holder and, with every thread's stack in it,
 * the GIL has not since passed to another (see above). */
static bool sample_held_thread(struct session *s, uint32_t flags, pyflame_sample *smp)
{
    sampler_once(&s->sampler, flags, smp);
    if (smp->status != PYFLAME_OK || gil_holder_tid(s, smp) != s->held_thread)
        return false;
    /* The probe leaves smp as it is (PYFLAME_ABI_PROBES_GIL_HOLDER). */
    return !(flags & PYFLAME_SAMPLE_ALL_THREADS) || probe_gil_holder(s, NULL) == s->held_thread;
}

/* The leaf frame of a thread running without the GIL (not with --gil). */
static const char NO_GIL[] = "(no GIL)";
/* The leaf frame of an idle thread under its label (--thread-names). */
static const char IDLE_LEAF[] = "(idle)";

/* A frame the core adds (PYFLAME_FRAME_LABEL): a thread's label, or a
 * leaf such as NO_GIL. */
static pyflame_frame label_frame(const char *name, uint32_t flags)
{
    return (pyflame_frame){.file = "", .name = name, .flags = PYFLAME_FRAME_LABEL | flags};
}

/* Copies the thread's frames into s->scratch[at...], with line numbers
 * cleared (-n), a leaf frame `leaf` (unless NULL) and a root frame naming
 * the thread (`label`, --thread-names). */
static void rewrite_frames(struct session *s, pyflame_thread *t, size_t at, const char *leaf,
                           const char *label)
{
    uint32_t n = 0;
    if (leaf)
        s->scratch[at + n++] = label_frame(leaf, 0);
    for (uint32_t i = 0; i < t->nframes; i++) {
        s->scratch[at + n] = t->frames[i];
        if (s->opt->no_line_numbers)
            s->scratch[at + n].line = 0;
        n++;
    }
    if (label)
        s->scratch[at + n++] = label_frame(label, 0);
    t->frames = s->scratch + at;
    t->nframes = n;
}

/* The state of thread `tid` in this sample's look: read now when nothing
 * is stopped (--nonblocking); with threads stopped, only what was read
 * before ('\0' if nothing was). */
static char state_of(struct session *s, pid_t tid)
{
    return s->opt->nonblocking ? thread_states_read(&s->states, tid)
                               : thread_states_seen(&s->states, tid);
}

/* Is thread t running, as far as this sample can tell?  A thread whose
 * state was not read (it came after the look) runs if it holds the GIL,
 * unless only the threads found running were stopped: then it was read
 * running, and is not shown. */
static bool runs(struct session *s, const pyflame_thread *t)
{
    char state = t->os_tid ? state_of(s, (pid_t)t->os_tid) : '\0';
    if (!state)
        return !s->some_stopped && (t->flags & PYFLAME_THREAD_HOLDS_GIL);
    return thread_state_running(state);
}

/* Is any of the target's threads running, as far as this look tells? */
static bool any_runs(struct session *s)
{
    for (size_t i = 0; i < s->tracee.nthreads; i++)
        if (thread_state_running(state_of(s, tracee_thread_id(&s->tracee, i))))
            return true;
    return false;
}

/* Marks the threads of smp running or idle as the kernel says.  For one
 * stack, keeps the GIL's holder if it runs, else one of the threads
 * running without it, in turn, else none: the sample is idle. */
static void judge_threads(struct session *s, pyflame_sample *smp)
{
    uint32_t running = 0, holder = UINT32_MAX;
    for (uint32_t i = 0; i < smp->nthreads; i++) {
        pyflame_thread *t = &s->scratch_threads[i];
        bool idle = t->nframes == 0 || !runs(s, t);
        t->flags = idle ? t->flags | PYFLAME_THREAD_IDLE : t->flags & ~PYFLAME_THREAD_IDLE;
        if (idle)
            continue;
        if (t->flags & PYFLAME_THREAD_HOLDS_GIL)
            holder = i;
        running++;
    }
    if (one_stack(s)) {
        uint32_t pick = holder, skip = running ? (uint32_t)(s->turn++ % running) : 0;
        for (uint32_t i = 0; pick == UINT32_MAX && i < smp->nthreads; i++)
            if (!(s->scratch_threads[i].flags & PYFLAME_THREAD_IDLE) && skip-- == 0)
                pick = i;
        if (pick != UINT32_MAX)
            s->scratch_threads[0] = s->scratch_threads[pick];
        smp->nthreads = running ? 1 : 0;
    }
    smp->status = running ? PYFLAME_OK : PYFLAME_IDLE;
}

/* Fills in OS thread ids, marks threads running or idle (unless --gil),
 * and applies -x, -n and --thread-names.  Returns false if nothing is
 * left. */
static bool prepare(struct session *s, pyflame_sample *smp)
{
    const struct options *o = s->opt;
    if (smp->status == PYFLAME_ERR_READ)
        return true;
    size_t total = 0;
    for (uint32_t i = 0; i < smp->nthreads; i++)
        total += smp->threads[i].nframes + 2;
    if (grow_array((void **)&s->scratch_threads, &s->capscratch_threads, smp->nthreads + 1,
                   sizeof *s->scratch_threads) ||
        grow_array((void **)&s->labels, &s->caplabels, smp->nthreads + 1, sizeof *s->labels) ||
        grow_array((void **)&s->scratch, &s->capscratch, total + 1, sizeof *s->scratch))
        return false;
    for (uint32_t i = 0; i < smp->nthreads; i++)
        s->scratch_threads[i] = smp->threads[i];
    smp->threads = s->scratch_threads;
    /* Threads running Python code claim their kernel ids first. */
    for (int with_frames = 1; with_frames >= 0; with_frames--)
        for (uint32_t i = 0; i < smp->nthreads; i++)
            if ((s->scratch_threads[i].nframes > 0) == with_frames)
                thread_ids_resolve(&s->ids, &s->scratch_threads[i], s->scratch_threads, smp->nthreads);
    if (kernel_view(s) && (smp->nthreads || one_stack(s)))
        judge_threads(s, smp);
    if (smp->status == PYFLAME_IDLE && o->exclude_idle) {
        s->tally.idle_left_out += smp->nthreads ? smp->nthreads : 1;
        return false;
    }
    uint32_t kept = 0;
    for (uint32_t i = 0; i < smp->nthreads; i++)
        if (!(smp->threads[i].flags & PYFLAME_THREAD_IDLE) || !o->exclude_idle)
            s->scratch_threads[kept++] = smp->threads[i];
    s->tally.idle_left_out += smp->nthreads - kept;
    size_t at = 0;
    for (uint32_t i = 0; i < kept; i++) {
        pyflame_thread *t = &s->scratch_threads[i];
        const char *label = NULL, *leaf = NULL;
        if (o->thread_names) {
            pyflame_thread_label(s->labels[i], sizeof s->labels[i], t->name, t->os_tid,
                                 t->ident);
            label = s->labels[i];
        }
        if ((t->flags & PYFLAME_THREAD_IDLE) && !o->dump) {
            /* Nothing of an idle thread is shown but, with its label,
             * where its idle time goes. */
            t->nframes = 0;
            if (label && s->out.plugin.api_version >= 4) {
                s->scratch[at] = label_frame(IDLE_LEAF, PYFLAME_FRAME_IDLE);
                s->scratch[at + 1] = label_frame(label, 0);
                t->frames = s->scratch + at;
                t->nframes = 2;
                at += 2;
            }
            continue;
        }
        if (!t->nframes)
            label = NULL;
        if (kernel_view(s) && !o->dump && t->nframes &&
            !(t->flags & (PYFLAME_THREAD_IDLE | PYFLAME_THREAD_HOLDS_GIL)))
            leaf = NO_GIL;
        if (o->no_line_numbers || label || leaf) {
            rewrite_frames(s, t, at, leaf, label);
            at += t->nframes;
        }
    }
    smp->nthreads = kept;
    return smp->status == PYFLAME_IDLE || kept > 0 || !o->exclude_idle;
}

/* Reads a sample of the target as hold_target left it: from the one
 * thread held, if the sample bears out that it holds the GIL, else with
 * every thread stopped.  Returns -1 when the target is gone. */
static int read_held_target(struct session *s, uint32_t flags, pyflame_sample *smp)
{
    if (s->held_thread) {
        if (sample_held_thread(s, flags, smp))
            return 0;
        /* The GIL changed hands: what the others do, before they stop. */
        if (kernel_view(s) && !s->looked_at_all)
            (void)look_at_every_thread(s);
        if (tracee_stop(&s->tracee) != 0)
            return -1;
        s->held_thread = 0; /* every thread is stopped now */
    }
    sampler_take(&s->sampler, flags, smp);
    if (smp->status == PYFLAME_ERR_READ && s->some_stopped && !s->sampler.budget.exceeded &&
        !memory_gone(&s->mem)) {
        /* A thread left running may have changed what the walk read: read
         * again with every thread stopped (not when it read too much: the
         * target's structures are what they are). */
        if (tracee_stop(&s->tracee) != 0)
            return -1;
        s->some_stopped = false;
        sampler_take(&s->sampler, flags, smp);
    }
    return 0;
}

/* For one stack, the GIL's holder was read alone: does the sample need
 * every thread's stack, to show one running without the GIL? */
static bool needs_every_thread(struct session *s, const pyflame_sample *smp)
{
    if (!kernel_view(s) || !one_stack(s) || smp->status == PYFLAME_ERR_READ)
        return false;
    if (smp->status == PYFLAME_OK && smp->nthreads == 1) {
        pyflame_thread t = smp->threads[0];
        thread_ids_resolve(&s->ids, &t, NULL, 0);
        if (runs(s, &t))
            return false;
    }
    return any_runs(s);
}

/* One tick: stop the target, read it, let it go.  Returns -1 when the
 * session must end (target gone, fatal error). */
static int tick(struct session *s, bool trace)
{
    int rc = 0;
    if (!s->py.found) {
        /* -t: nothing to read yet, nothing to stop the program for. */
        if (s->tracee.exited)
            return -1;
        if ((rc = follow_exec(s, trace)) != 0 ||
            (!s->py.found && (rc = interpreter_search(&s->py)) <= 0))
            return rc;
        rc = 0;
    }
    if (hold_target(s, true) != 0)
        return -1;
    if ((rc = follow_exec(s, trace)) != 0 || !s->py.found)
        goto out; /* -t: the new program is searched at the next tick */
    if (!s->sampler.state && (rc = interpreter_open(&s->py)) <= 0)
        goto out;
    rc = 0;

    pyflame_sample smp = {0};
    uint32_t flags = (s->opt->threads ? PYFLAME_SAMPLE_ALL_THREADS : 0) |
                     /* Names are cached: cheap whenever threads are told apart. */
                     (s->opt->threads ? PYFLAME_SAMPLE_THREAD_NAMES : 0);
    /* The holder alone was not running: one of the others may be. */
    if (s->looked_at_all && kernel_view(s))
        flags |= PYFLAME_SAMPLE_ALL_THREADS;
    if (s->none_running) {
        smp.status = PYFLAME_IDLE; /* no thread to read */
    } else if (read_held_target(s, flags, &smp) != 0 ||
               (!(flags & PYFLAME_SAMPLE_ALL_THREADS) && needs_every_thread(s, &smp) &&
                read_held_target(s, flags | PYFLAME_SAMPLE_ALL_THREADS, &smp) != 0)) {
        rc = -1; /* the target is gone */
        goto out;
    }
    smp.time_ns = now_ns(CLOCK_REALTIME);
    release_target(s);
    /* A sample of a program that ended under it (it exited, or called
     * exec) is no sample: the exit or the exec comes next. */
    if (smp.status == PYFLAME_ERR_READ && memory_gone(&s->mem))
        return 0;
    s->tally.taken++;
    if (smp.status == PYFLAME_ERR_READ)
        s->tally.failed++;
    if (!prepare(s, &smp))
        return 0;
    if (smp.status == PYFLAME_OK)
        s->tally.shown++;
    if (profile_output_record(&s->out, &smp) != 0) {
        profile_output_failed(&s->out);
        return -1;
    }
    return 0;
out:
    release_target(s);
    return rc;
}

/* The target's events, read from sigchld_fd (struct target_events). */
static bool handle_target_events(void *ctx, uint64_t timeout_ns)
{
    struct session *s = ctx;
    struct timespec timeout = {(time_t)(timeout_ns / 1000000000ull),
                               (long)(timeout_ns % 1000000000ull)};
    struct pollfd p = {.fd = s->sigchld_fd, .events = POLLIN};
    int ready = ppoll(&p, 1, &timeout, NULL);
    if (ready > 0) {
        struct signalfd_siginfo info;
        while (read(s->sigchld_fd, &info, sizeof info) > 0)
            ;
        tracee_poll(&s->tracee);
    }
    return ready == 0;
}

/* Waiting is called off when pyflame is to stop, or, with -t, when the
 * target called exec while no interpreter is found: the next tick looks
 * at the new program without waiting out the search's back-off. */
static bool waiting_called_off(void *ctx)
{
    const struct session *s = ctx;
    return session_stop_signal || (s->tracee.execed && !s->py.found);
}

static bool target_exited(void *ctx)
{
    return ((const struct session *)ctx)->tracee.exited;
}

/* Samples on absolute deadlines (pacing.h) until -s is over (attach mode),
 * the target ends, or pyflame is stopped.  Returns -1 on a fatal error. */
static int sampling_loop(struct session *s, bool trace)
{
    uint64_t interval = (uint64_t)(s->opt->interval * 1e9); /* >= 1000: MIN_INTERVAL */
    uint64_t next = pacer_start(&s->pacer);
    uint64_t end = next + (uint64_t)(s->opt->seconds * 1e9);
    while (!session_stop_signal) {
        if (tick(s, trace) != 0)
            return s->tracee.exited || s->program_ended ? 0 : -1;
        uint64_t now = clock_now(&s->pacer.clock);
        /* -t while no interpreter is found: ticks before the search is
         * due would do nothing; pyflame sleeps through them. */
        next = pacing_next_deadline(next, now, interval,
                                    s->py.found ? 0 : s->py.search_next_ns);
        if (!trace && next >= end) {
            /* Stay attached for all of -s, as asked. */
            pacer_wait_until(&s->pacer, end);
            break;
        }
        pacer_await_tick(&s->pacer, next, interval, now, !s->py.found);
    }
    return 0;
}

/* -d: stops the target once, reads every thread and prints them.  Waits
 * up to -s seconds for an interpreter that is still starting. */
static int run_dump(struct session *s)
{
    uint64_t end = now_ns(CLOCK_MONOTONIC) + (uint64_t)(s->opt->seconds * 1e9);
    for (;;) {
        if (s->opt->nonblocking)
            tracee_poll(&s->tracee); /* nothing else handles its events here */
        if (hold_target(s, false) != 0) {
            pf_error("process %d exited", (int)s->tracee.pid);
            return -1;
        }
        int rc = s->sampler.state ? 1 : interpreter_open(&s->py);
        if (rc == 1) {
            pyflame_sample smp = {0};
            sampler_take(&s->sampler, PYFLAME_SAMPLE_ALL_THREADS | PYFLAME_SAMPLE_THREAD_NAMES, &smp);
            prepare(s, &smp);
            release_target(s);
            char python[32], *states = calloc(smp.nthreads + 1, 1);
            snprintf(python, sizeof python, "CPython %d.%d", s->py.rt.major, s->py.rt.minor);
            for (uint32_t i = 0; states && i < smp.nthreads; i++)
                states[i] = smp.threads[i].os_tid ? state_of(s, (pid_t)smp.threads[i].os_tid) : 0;
            if (!states)
                pf_error("out of memory");
            int written = states && output_file_claim(&s->out.file) == 0 &&
                          dump_print(s->out.file.out, &smp, states, (int)s->tracee.pid, python) == 0;
            free(states);
            return written && smp.status != PYFLAME_ERR_READ ? 0 : -1;
        }
        release_target(s);
        if (rc < 0)
            return -1;
        if (now_ns(CLOCK_MONOTONIC) >= end || session_stop_signal) {
            pf_error("found no Python interpreter state in process %d: %s",
                     (int)s->tracee.pid, s->py.last_error);
            return -1;
        }
        struct timespec nap = {0, 10000000};
        nanosleep(&nap, NULL);
    }
}

/* The pieces of the run's report that the session's parts counted. */
static void tally_up(struct session *s, uint64_t sampling_ns)
{
    s->tally.over_budget = s->sampler.over_budget;
    s->tally.torn = s->sampler.torn;
    s->tally.held_ns = s->held_ns;
    s->tally.sampling_ns = sampling_ns;
}

static int exit_status_of(int wait_status)
{
    if (WIFEXITED(wait_status))
        return WEXITSTATUS(wait_status);
    if (WIFSIGNALED(wait_status))
        return 128 + WTERMSIG(wait_status);
    return 1;
}

int session_run(const struct options *opt)
{
    struct session s = {.opt = opt};
    int status = 1;
    bool trace = opt->command != NULL;
    bool traced = false;

    s.sigchld_fd = -1;
    s.py = (struct interpreter){.opt = opt, .dirs = &s.dirs, .tracee = &s.tracee,
                                .mem = &s.mem, .sampler = &s.sampler};
    sampler_init(&s.sampler, &s.mem, &s.py.rt, opt->nonblocking);
    s.ids.tracee = &s.tracee;
    s.ids.mem = &s.mem;
    profile_output_init(&s.out, opt);
    pacer_init(&s.pacer, monotonic_clock,
               (struct target_events){.ctx = &s, .handle = handle_target_events,
                                      .called_off = waiting_called_off,
                                      .exited = target_exited});
    if (plugin_dirs_init(&s.dirs) != 0 || profile_output_load(&s.out, &s.dirs) != 0)
        goto done;
    /* SIGCHLD is read from a signalfd, while waiting between samples. */
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    if ((s.sigchld_fd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
        pf_error("signalfd: %s", strerror(errno));
        goto done;
    }

    if (trace) {
        char err[512];
        if (tracee_spawn(&s.tracee, opt->command, err, sizeof err) != 0) {
            pf_error("%s", err);
            /* As a shell does: 127 not found, 126 found but not runnable. */
            status = errno == ENOENT || errno == ENOTDIR ? 127 : 126;
            goto done;
        }
        memory_init(&s.mem, s.tracee.pid);
    } else {
        s.tracee.pid = opt->pid;
        memory_init(&s.mem, opt->pid);
        if (kill(opt->pid, 0) != 0 && errno == ESRCH) {
            pf_error("no process with PID %d", opt->pid);
            goto done;
        }
        if (interpreter_find(&s.py, false) != 1 || attach_process(&s.tracee, opt->pid) != 0)
            goto done;
    }
    traced = true;
    thread_states_init(&s.states, s.tracee.pid);
    if (opt->dump) {
        status = run_dump(&s) == 0 ? 0 : 1;
        goto done;
    }
    if (profile_output_start(&s.out, s.tracee.pid) != 0)
        goto done;

    uint64_t began = now_ns(CLOCK_MONOTONIC);
    int loop = sampling_loop(&s, trace);
    tally_up(&s, now_ns(CLOCK_MONOTONIC) - began);
    /* A fatal error with -t: the command dies still traced, never running
     * a moment unwatched. */
    if (trace && loop != 0 && !s.tracee.exited && !session_stop_signal)
        tracee_kill(&s.tracee);
    else
        tracee_detach(&s.tracee);
    traced = false;
    if (profile_output_finish(&s.out, s.tally.idle_left_out) != 0)
        loop = -1;
    else
        report_written(&s.tally, opt, &s.out.file);
    report_failures(&s.tally, opt, s.py.last_error);
    report_idle_left_out(&s.tally, opt);
    report_held(&s.tally);

    if (trace) {
        if (!s.py.ever_found && s.tracee.exited)
            pf_warn("'%s' ran no Python interpreter that pyflame could find",
                    opt->command[0]);
        if (s.tracee.exited)
            status = exit_status_of(s.tracee.wait_status);
        else if (session_stop_signal)
            status = 128 + session_stop_signal;
        if (loop != 0 && status == 0)
            status = 1;
    } else if (session_stop_signal) {
        status = 128 + session_stop_signal;
    } else if (!s.py.opened && loop == 0) {
        pf_error("found no Python interpreter state in process %d%s%s",
                 opt->pid, s.py.last_error[0] ? ": " : "", s.py.last_error);
    } else {
        status = loop == 0 && !none_read(&s.tally, opt) ? 0 : 1;
    }
done:
    if (traced) {
        if (trace && !s.tracee.exited)
            tracee_kill(&s.tracee); /* still traced: it runs no further */
        else
            tracee_detach(&s.tracee);
    }
    profile_output_free(&s.out);
    if (s.sigchld_fd >= 0)
        close(s.sigchld_fd);
    sampler_close(&s.sampler);
    free(s.scratch);
    free(s.scratch_threads);
    free(s.labels);
    free(s.running);
    interpreter_free(&s.py);
    memory_close(&s.mem);
    thread_ids_free(&s.ids);
    thread_states_free(&s.states);
    plugin_dirs_free(&s.dirs);
    return status;
}
