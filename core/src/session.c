#include "session.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "aggregate.h"
#include "attach.h"
#include "command_line.h"
#include "diag.h"
#include "dump.h"
#include "grow.h"
#include "interpreter.h"
#include "memory.h"
#include "pacing.h"
#include "plugin_loader.h"
#include "sampler.h"
#include "thread_ids.h"
#include "thread_states.h"
#include "tracee.h"

volatile sig_atomic_t session_stop_signal;

struct session {
    const struct options *opt;
    struct plugin_dirs dirs;
    struct loaded_plugin output;
    void *out_state;
    struct tracee tracee;
    struct target_memory mem;
    struct thread_ids ids;
    struct interpreter py;
    struct sampler sampler;
    bool program_ended; /* attach mode: the target called exec */
    pyflame_host out_host;
    struct aggregate *agg;
    FILE *out;
    const char *out_name; /* the file written: -o FILE, out_default; NULL: stdout */
    bool out_created; /* out_name did not exist before we opened it */
    bool out_to_default; /* the file is named by us (see open_output) */
    char out_default[64]; /* pyflame-PID.EXTENSION */
    /* The output failed: its error was told (by the plugin, through
     * out_host.error, or by output_failed), and no other will be. */
    bool out_failed;
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
    uint64_t taken, failed;
    uint64_t shown;         /* samples kept with Python code in them */
    uint64_t idle_left_out; /* idle samples (threads, with --threads) -x left out */
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

/* An output plugin's failure of its own (pyflame_host.error): the one
 * error line of the run's output. */
__attribute__((format(printf, 2, 3)))
static void host_output_error(void *ctx, const char *fmt, ...)
{
    struct session *s = ctx;
    if (s->out_failed)
        return;
    s->out_failed = true;
    va_list ap;
    va_start(ap, fmt);
    pf_verror(fmt, ap);
    va_end(ap);
}

/* The output failed (errno tells why, if anything does): says so once,
 * naming the stream, unless the plugin has told its own cause. */
static void output_failed(struct session *s)
{
    const char *where = s->out_name ? s->out_name : "standard output";
    if (s->out_failed)
        return;
    s->out_failed = true;
    if (errno)
        pf_error("cannot write the profile to %s: %s", where, strerror(errno));
    else
        pf_error("cannot write the profile to %s: the %s output plugin failed without "
                 "saying why", where, s->output.u.output->name);
}

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
    if (s->agg)
        aggregate_forget_keys(s->agg);
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
        s->idle_left_out += smp->nthreads ? smp->nthreads : 1;
        return false;
    }
    uint32_t kept = 0;
    for (uint32_t i = 0; i < smp->nthreads; i++)
        if (!(smp->threads[i].flags & PYFLAME_THREAD_IDLE) || !o->exclude_idle)
            s->scratch_threads[kept++] = smp->threads[i];
    s->idle_left_out += smp->nthreads - kept;
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
            if (label && s->output.api_version >= 4) {
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

static int record(struct session *s, const pyflame_sample *smp)
{
    if (s->agg) {
        if (smp->status == PYFLAME_ERR_READ) {
            aggregate_add_failed(s->agg);
        } else if (smp->nthreads == 0) {
            aggregate_add_idle(s->agg);
        } else {
            /* Each thread counts: idle, or the stack it shows. */
            for (uint32_t i = 0; i < smp->nthreads; i++) {
                const pyflame_thread *t = &smp->threads[i];
                if (!pyflame_thread_shown(t))
                    aggregate_add_idle(s->agg);
                else if (aggregate_add(s->agg, t->frames, t->nframes) != 0)
                    return -1;
            }
        }
    }
    const pyflame_output_plugin *op = s->output.u.output;
    errno = 0; /* a plugin that fails without a cause gets no stale one */
    if (op->write_sample && op->write_sample(s->out_state, smp) != PYFLAME_OK)
        return -1;
    return 0;
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
    s->taken++;
    if (smp.status == PYFLAME_ERR_READ)
        s->failed++;
    if (!prepare(s, &smp))
        return 0;
    if (smp.status == PYFLAME_OK)
        s->shown++;
    if (record(s, &smp) != 0) {
        output_failed(s);
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

/* Takes back a profile that could not be written whole, from the regular
 * file on fd that -o named `path`: removes the file when path is that very
 * file, else (path a link to it, /dev/stdout redirected to it) empties it,
 * never removing anything else. */
static void discard_output(const char *path, int fd)
{
    struct stat st, at_path;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return;
    if (lstat(path, &at_path) == 0 && S_ISREG(at_path.st_mode) &&
        at_path.st_dev == st.st_dev && at_path.st_ino == st.st_ino)
        unlink(path);
    else if (ftruncate(fd, 0) != 0)
        return; /* nothing more can be done: the error is told already */
}

/* Writes what was collected and closes the output.  A profile that could
 * not be written whole is removed when it is a file: no half-written file
 * is left at the -o path. */
static int write_output(struct session *s)
{
    const pyflame_output_plugin *op = s->output.u.output;
    bool ok = !s->out_failed; /* else the run ended on it: close, quietly */
    if (ok && s->agg && op->write_profile) {
        pyflame_profile prof;
        ok = aggregate_profile(s->agg, &prof) == 0;
        prof.idle_left_out = s->idle_left_out;
        if (ok) {
            errno = 0; /* a plugin that fails without a cause gets no stale one */
            ok = op->write_profile(s->out_state, &prof) == PYFLAME_OK;
        }
        if (!ok)
            output_failed(s);
    }
    errno = 0;
    if (op->close(s->out_state) != PYFLAME_OK && ok) {
        ok = false;
        output_failed(s);
    }
    s->out_state = NULL;
    if (s->out != stdout && fflush(s->out) != 0 && ok) {
        ok = false;
        output_failed(s);
    }
    if (!ok && s->out != stdout) {
        __fpurge(s->out); /* what stdio still holds goes too */
        discard_output(s->out_name, fileno(s->out));
    }
    if ((s->out != stdout ? fclose(s->out) : fflush(stdout)) != 0 && ok) {
        ok = false;
        output_failed(s);
    }
    s->out = NULL;
    return ok ? 0 : -1;
}

/* Fields of API 3 are read only from plugins built for it, as
 * plugin_abi_features does for ABI plugins. */
static uint32_t output_features(const struct loaded_plugin *p)
{
    return p->api_version >= 3 ? p->u.output->features : 0;
}

static const char *output_extension(const struct loaded_plugin *p)
{
    const char *ext = p->api_version >= 3 ? p->u.output->file_extension : NULL;
    return ext && *ext && !strchr(ext, '/') ? ext : p->u.output->name;
}

/* -t without -o: the command writes to pyflame's standard output too, and
 * its lines would break a format that is one document.  Such a format goes
 * to a file that open_default_output creates once the command's PID is
 * known; the current directory must let it. */
static bool output_to_default_file(const struct session *s)
{
    return s->opt->command && !s->opt->output && !s->opt->output_stdout &&
           (output_features(&s->output) & PYFLAME_OUT_ONE_DOCUMENT);
}

/* Creates pyflame-PID.EXTENSION in the current directory, or, when that
 * exists (a PID used again), pyflame-PID-2.EXTENSION and so on: never
 * another file, nor through a symbolic link. */
static int open_default_output(struct session *s)
{
    const char *ext = output_extension(&s->output);
    for (int n = 1; n <= 100; n++) {
        if (n == 1)
            snprintf(s->out_default, sizeof s->out_default, "pyflame-%d.%.32s",
                     (int)s->tracee.pid, ext);
        else
            snprintf(s->out_default, sizeof s->out_default, "pyflame-%d-%d.%.32s",
                     (int)s->tracee.pid, n, ext);
        int fd = open(s->out_default, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                      0666);
        if (fd < 0 && errno == EEXIST)
            continue;
        if (fd < 0 || !(s->out = fdopen(fd, "w"))) {
            pf_error("cannot write the profile to %s: %s; give -o FILE, or -o - for "
                     "standard output", s->out_default, strerror(errno));
            if (fd >= 0) {
                close(fd);
                unlink(s->out_default);
            }
            return -1;
        }
        s->out_name = s->out_default;
        s->out_created = true;
        return 0;
    }
    pf_error("cannot write the profile: pyflame-%d.%s and 99 more such names exist; "
             "give -o FILE", (int)s->tracee.pid, ext);
    return -1;
}

/* Loads the output plugin and opens -o FILE, without emptying it yet: a
 * run that fails before it starts leaves an existing file alone. */
static int open_output(struct session *s)
{
    char err[512];
    if (plugin_load_output(&s->dirs, s->opt->format, &s->output, err, sizeof err) != 0) {
        pf_error("%s", err);
        return -1;
    }
    const char *options = s->opt->format_options;
    if (options && s->output.api_version < 4) { /* it could not read them */
        pf_error("the %s output plugin takes no options: it was built for plugin API %" PRIu32
                 ", and options came with API 4", s->opt->format, s->output.api_version);
        return -1;
    }
    /* Options are judged before anything starts, by a plugin that can. */
    int (*check)(const pyflame_host *, const char *) =
        options ? s->output.u.output->check_options : NULL;
    if (check && check(&s->out_host, options) != PYFLAME_OK) {
        if (!s->out_failed) /* else it told why */
            pf_error("the %s output plugin refuses the options '%s'", s->opt->format, options);
        return -1;
    }
    s->out = stdout;
    if (output_to_default_file(s)) {
        if (access(".", W_OK | X_OK) != 0) {
            pf_error("cannot write the %s profile in the current directory: %s; give "
                     "-o FILE, or -o - for standard output", s->opt->format, strerror(errno));
            return -1;
        }
        s->out_to_default = true;
        s->out = NULL; /* until the command's PID names the file */
    } else if (s->opt->output) {
        s->out_name = s->opt->output;
        struct stat st;
        s->out_created = stat(s->opt->output, &st) != 0;
        int fd = open(s->opt->output, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
        if (fd < 0 || !(s->out = fdopen(fd, "w"))) {
            pf_error("cannot write to %s: %s", s->opt->output, strerror(errno));
            if (fd >= 0)
                close(fd);
            s->out = NULL;
            return -1;
        }
    }
    return 0;
}

/* Empties -o FILE: the run has started and will write it. */
static int claim_output(struct session *s)
{
    if (s->out != stdout && ftruncate(fileno(s->out), 0) != 0 && errno != EINVAL) {
        pf_error("cannot write to %s: %s", s->out_name, strerror(errno));
        return -1;
    }
    s->out_created = false;
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
            int written = states && claim_output(s) == 0 &&
                          dump_print(s->out, &smp, states, (int)s->tracee.pid, python) == 0;
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

/* Empties -o FILE and starts the output plugin: the target is ours. */
static int start_output(struct session *s)
{
    if (s->out_to_default && open_default_output(s) != 0)
        return -1;
    bool created = s->out_created;
    if (claim_output(s) != 0)
        return -1;
    const pyflame_output_plugin *op = s->output.u.output;
    if (op->write_profile && !(s->agg = aggregate_new()))
        return -1;
    char command[512];
    pyflame_output_config cfg = {
        .out = s->out,
        .flags = (s->opt->no_line_numbers ? PYFLAME_OUT_NO_LINE_NUMBERS : 0) |
                 (s->opt->exclude_idle ? PYFLAME_OUT_EXCLUDE_IDLE : 0),
        .interval_s = s->opt->interval,
        .pid = (int)s->tracee.pid,
        .command = command_line(s->tracee.pid, s->opt->command, command, sizeof command),
        .options = s->opt->format_options,
    };
    if (!(s->out_state = op->open(&s->out_host, &cfg))) {
        if (!s->out_failed) /* else it told why */
            pf_error("the %s output plugin failed to start", op->name);
        s->out_created = created; /* nothing written: a file we made goes */
        return -1;
    }
    return 0;
}

/* Every sample of an attached target failed: pyflame could not read it,
 * an error.  With -t it is a warning: a short program may give one
 * sample, taken while it starts or ends, and -t reports the program's
 * run (its exit status), not pyflame's. */
static bool none_read(const struct session *s)
{
    return s->failed && s->failed == s->taken && !s->opt->command;
}

static void report_failures(const struct session *s)
{
    char budget[256] = "", torn[256] = "";
    if (s->sampler.over_budget)
        snprintf(budget, sizeof budget,
                 "; %" PRIu64 " of them would have read more than %u times or %u MB "
                 "(the limit of one sample): the target's structures look corrupted",
                 s->sampler.over_budget, SAMPLE_MAX_READS, SAMPLE_MAX_BYTES >> 20);
    if (s->sampler.torn)
        snprintf(torn, sizeof torn,
                 "; %" PRIu64 " of them were torn %d times in a row: the target changed "
                 "its stack while it was read (--nonblocking)",
                 s->sampler.torn, TORN_RETRIES + 1);
    if (none_read(s))
        pf_error("none of the %" PRIu64 " samples could be read%s%s%s%s", s->taken,
                 s->py.last_error[0] ? ": " : "", s->py.last_error, budget, torn);
    else if (s->failed)
        pf_warn("%" PRIu64 " of %" PRIu64 " samples could not be read%s%s", s->failed,
                s->taken, budget, torn);
}

/* Where the profile went, when pyflame named the file itself; and on a
 * terminal, a line of what it holds, as the run ends. */
static void report_written(const struct session *s, uint64_t sampling_ns)
{
    const char *where = s->out_name ? s->out_name : "standard output";
    if (!isatty(STDERR_FILENO)) {
        if (s->out_to_default)
            fprintf(stderr, "pyflame: profile written to %s\n", where);
        return;
    }
    uint64_t idle = s->taken - s->failed - s->shown;
    fprintf(stderr, "pyflame: %" PRIu64 " sample%s in %.1f s: %" PRIu64 " with Python code "
            "running, %" PRIu64 " idle%s, %" PRIu64 " failed; profile written to %s\n",
            s->taken, s->taken == 1 ? "" : "s", (double)sampling_ns / 1e9, s->shown, idle,
            s->opt->exclude_idle ? " (left out, -x)" : "", s->failed, where);
}

/* -x that left out every sample: the profile is empty, which pyflame
 * says rather than exit as if all went well. */
static void report_idle_left_out(const struct session *s)
{
    if (!s->opt->exclude_idle || s->shown || !s->idle_left_out)
        return;
    uint64_t n = s->taken - s->failed;
    char count[48] = "the one sample";
    if (n != 1)
        snprintf(count, sizeof count, "all %" PRIu64 " samples", n);
    pf_warn("-x left out %s%s as idle, taken while no Python code ran: the profile is "
            "empty; leave out -x to see them", count, s->failed ? " that could be read" : "");
}

/* Stop mode: a warning when stopping the target took much of its time (at
 * high rates, or with many threads to stop): it then ran slower by more
 * than that (docs/performance.md). */
#define HELD_WARN_PERCENT 10

static void report_held(const struct session *s, uint64_t sampling_ns)
{
    /* A run whose every sample failed has its error to tell; under a
     * second, a busy machine's few slow stops would be most of it. */
    if (sampling_ns < 1000000000ull || s->failed == s->taken ||
        s->held_ns * 100 < sampling_ns * HELD_WARN_PERCENT)
        return;
    pf_warn("the target was stopped for %.0f%% of the run to be read (%" PRIu64
            " samples in %.1f s): sample less often (-r), or use --nonblocking, which "
            "does not stop it", 100.0 * (double)s->held_ns / (double)sampling_ns,
            s->taken, (double)sampling_ns / 1e9);
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
    s.out_host = (pyflame_host){.api_version = PYFLAME_API_VERSION, .ctx = &s, .warn = pf_host_warn,
                                .error = host_output_error};
    bool trace = opt->command != NULL;
    bool traced = false;

    s.sigchld_fd = -1;
    s.py = (struct interpreter){.opt = opt, .dirs = &s.dirs, .tracee = &s.tracee,
                                .mem = &s.mem, .sampler = &s.sampler};
    sampler_init(&s.sampler, &s.mem, &s.py.rt, opt->nonblocking);
    s.ids.tracee = &s.tracee;
    s.ids.mem = &s.mem;
    pacer_init(&s.pacer, monotonic_clock,
               (struct target_events){.ctx = &s, .handle = handle_target_events,
                                      .called_off = waiting_called_off,
                                      .exited = target_exited});
    if (plugin_dirs_init(&s.dirs) != 0 || open_output(&s) != 0)
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
    if (start_output(&s) != 0)
        goto done;

    uint64_t began = now_ns(CLOCK_MONOTONIC);
    int loop = sampling_loop(&s, trace);
    uint64_t sampling_ns = now_ns(CLOCK_MONOTONIC) - began;
    /* A fatal error with -t: the command dies still traced, never running
     * a moment unwatched. */
    if (trace && loop != 0 && !s.tracee.exited && !session_stop_signal)
        tracee_kill(&s.tracee);
    else
        tracee_detach(&s.tracee);
    traced = false;
    if (write_output(&s) != 0)
        loop = -1;
    else
        report_written(&s, sampling_ns);
    report_failures(&s);
    report_idle_left_out(&s);
    report_held(&s, sampling_ns);

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
        status = loop == 0 && !none_read(&s) ? 0 : 1;
    }
done:
    if (traced) {
        if (trace && !s.tracee.exited)
            tracee_kill(&s.tracee); /* still traced: it runs no further */
        else
            tracee_detach(&s.tracee);
    }
    if (s.out_created)
        unlink(s.out_name); /* we made it, and wrote nothing */
    if (s.sigchld_fd >= 0)
        close(s.sigchld_fd);
    sampler_close(&s.sampler);
    if (s.out_state)
        s.output.u.output->close(s.out_state);
    if (s.out && s.out != stdout)
        fclose(s.out);
    aggregate_free(s.agg);
    free(s.scratch);
    free(s.scratch_threads);
    free(s.labels);
    free(s.running);
    interpreter_free(&s.py);
    memory_close(&s.mem);
    thread_ids_free(&s.ids);
    thread_states_free(&s.states);
    plugin_unload(&s.output);
    plugin_dirs_free(&s.dirs);
    return status;
}
