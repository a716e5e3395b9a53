/* A profiling session, from start to end: the target started (-t) or
 * attached to (-p), then ticks at the rate asked until the time is up, the
 * target ends (or with --tid, every thread listed does) or a signal stops
 * pyflame (or, with -d, one sample printed), then the profile written,
 * the run reported, and pyflame's exit status.  --ready-fd is told once
 * the first sample is taken.
 * What a tick stops is the stop policy's (stop_policy.c), what it reads
 * the sampler's (sampler.c), what it shows the sample view's
 * (sample_view.c); when ticks come is pacing's (pacing.c). */
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
#include "interpreter.h"
#include "memory.h"
#include "pacing.h"
#include "plugin_loader.h"
#include "profile_output.h"
#include "ready_fd.h"
#include "run_report.h"
#include "sample_view.h"
#include "sampler.h"
#include "stop_policy.h"
#include "thread_ids.h"
#include "thread_states.h"
#include "tracee.h"

volatile sig_atomic_t session_stop_signal;

struct session {
    const struct options *opt;
    struct plugin_dirs dirs;
    struct tracee tracee;
    struct target_memory mem;
    struct thread_states states; /* what the kernel says the threads do */
    struct thread_ids ids;
    struct interpreter py;
    struct sampler sampler;
    struct stop_policy stops;
    struct sample_view view;
    struct profile_output out;
    struct pacer pacer;
    int sigchld_fd;     /* signalfd: the target has news (handle_target_events) */
    bool program_ended; /* attach mode: the target called exec */
    bool threads_ended; /* --tid: every thread listed exited */
    bool ready_told;    /* --ready-fd was told */
    struct run_tally tally;
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

/* Counts the sample read, and has it shown.  Returns -1 when the output
 * failed (told). */
static int count_and_record(struct session *s, pyflame_sample *smp)
{
    /* A sample of a program that ended under it (it exited, or called
     * exec) is no sample: the exit or the exec comes next. */
    if (smp->status == PYFLAME_ERR_READ && memory_gone(&s->mem))
        return 0;
    s->tally.taken++;
    if (smp->status == PYFLAME_ERR_READ)
        s->tally.failed++;
    s->view.gil_less = s->py.rt.free_threaded;
    if (!sample_view_make(&s->view, smp))
        return 0;
    if (smp->status == PYFLAME_OK)
        s->tally.shown++;
    if (profile_output_record(&s->out, smp, 1) != 0) {
        profile_output_failed(&s->out);
        return -1;
    }
    return 0;
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
    enum hold held = stop_policy_hold(&s->stops, true);
    if (held == HOLD_TARGET_GONE)
        return -1;
    if ((rc = follow_exec(s, trace)) != 0 || !s->py.found)
        goto out; /* -t: the new program is searched at the next tick */
    if (held == HOLD_THREADS_GONE) {
        pf_warn("the threads of --tid have all exited; stopping");
        s->threads_ended = true;
        return -1;
    }
    if (!s->sampler.state && (rc = interpreter_open(&s->py)) <= 0)
        goto out;
    rc = 0;

    pyflame_sample smp = {0};
    uint32_t flags = (s->opt->threads ? PYFLAME_SAMPLE_ALL_THREADS : 0) |
                     /* Names are cached: cheap whenever threads are told apart. */
                     (s->opt->threads ? PYFLAME_SAMPLE_THREAD_NAMES : 0);
    if (stop_policy_read(&s->stops, flags, &smp) != 0) {
        rc = -1; /* the target is gone */
        goto out;
    }
    smp.time_ns = now_ns(CLOCK_REALTIME);
    stop_policy_release(&s->stops);
    return count_and_record(s, &smp);
out:
    stop_policy_release(&s->stops);
    return rc;
}

/* The target's events, read from sigchld_fd (struct target_events). */
static bool handle_target_events(void *ctx, uint64_t timeout_ns)
{
    struct session *s = ctx;
    struct timespec timeout = {(time_t)(timeout_ns / 1000000000ull),
                               (long)(timeout_ns % 1000000000ull)};
    struct pollfd p = {.fd = s->sigchld_fd, .events = POLLIN};
    /* A signal to stop that came after the last look at the flag would
     * wait out the timeout: blocked until ppoll lets it in, it ends it. */
    sigset_t stops, old;
    sigemptyset(&stops);
    for (size_t i = 0; i < sizeof session_stop_signals / sizeof *session_stop_signals; i++)
        sigaddset(&stops, session_stop_signals[i]);
    sigprocmask(SIG_BLOCK, &stops, &old);
    int ready = session_stop_signal ? -1 : ppoll(&p, 1, &timeout, &old);
    sigprocmask(SIG_SETMASK, &old, NULL);
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

/* When -s is over, counted from `from`: never with -s -1. */
static uint64_t run_end(const struct options *o, uint64_t from)
{
    return o->seconds < 0 ? UINT64_MAX : from + (uint64_t)(o->seconds * 1e9);
}

/* Samples on absolute deadlines (pacing.h) until -s is over (attach mode),
 * the target ends, or pyflame is stopped.  Returns -1 on a fatal error. */
static int sampling_loop(struct session *s, bool trace)
{
    uint64_t interval = (uint64_t)(s->opt->interval * 1e9); /* >= 1000: MIN_INTERVAL */
    uint64_t next = pacer_start(&s->pacer);
    uint64_t end = run_end(s->opt, next);
    while (!session_stop_signal) {
        if (tick(s, trace) != 0)
            return s->tracee.exited || s->program_ended || s->threads_ended ? 0 : -1;
        if (s->opt->ready_fd >= 0 && !s->ready_told && s->tally.taken) {
            ready_fd_tell(s->opt->ready_fd);
            s->ready_told = true;
        }
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

/* Prints -d's sample, each thread with its state as the look read it.
 * Returns 0, or -1 if it failed or could not be written. */
static int print_dump(struct session *s, const pyflame_sample *smp)
{
    char python[32], *states = calloc(smp->nthreads + 1, 1);
    snprintf(python, sizeof python, "CPython %d.%d%s", s->py.rt.major, s->py.rt.minor,
             s->py.rt.free_threaded ? " free-threaded" : "");
    for (uint32_t i = 0; states && i < smp->nthreads; i++)
        states[i] = smp->threads[i].os_tid
                        ? look_state(&s->stops, (pid_t)smp->threads[i].os_tid) : 0;
    if (!states)
        pf_error("out of memory");
    int written = states && output_file_claim(&s->out.file) == 0 &&
                  dump_print(s->out.file.out, smp, states, (int)s->tracee.pid, python,
                             s->py.rt.free_threaded) == 0;
    free(states);
    return written && smp->status != PYFLAME_ERR_READ ? 0 : -1;
}

/* -d: stops the target once (unless --nonblocking), reads every thread and
 * prints them.  Waits up to -s seconds for an interpreter that is still
 * starting. */
static int run_dump(struct session *s)
{
    uint64_t end = run_end(s->opt, now_ns(CLOCK_MONOTONIC));
    for (;;) {
        if (s->opt->nonblocking)
            tracee_poll(&s->tracee); /* nothing else handles its events here */
        enum hold held = stop_policy_hold(&s->stops, false);
        if (held == HOLD_TARGET_GONE || held == HOLD_THREADS_GONE) {
            pf_error(held == HOLD_TARGET_GONE ? "process %d exited"
                                              : "the threads of --tid in process %d exited",
                     (int)s->tracee.pid);
            return -1;
        }
        int rc = s->sampler.state ? 1 : interpreter_open(&s->py);
        if (rc == 1) {
            pyflame_sample smp = {0};
            sampler_take(&s->sampler, PYFLAME_SAMPLE_ALL_THREADS | PYFLAME_SAMPLE_THREAD_NAMES,
                         &smp);
            sample_view_make(&s->view, &smp);
            stop_policy_release(&s->stops);
            return print_dump(s, &smp);
        }
        stop_policy_release(&s->stops);
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

static int exit_status_of(int wait_status)
{
    if (WIFEXITED(wait_status))
        return WEXITSTATUS(wait_status);
    if (WIFSIGNALED(wait_status))
        return 128 + WTERMSIG(wait_status);
    return 1;
}

/* Connects the session's parts to one another and to the target. */
static void connect_parts(struct session *s)
{
    const struct options *opt = s->opt;
    s->py = (struct interpreter){.opt = opt, .dirs = &s->dirs, .tracee = &s->tracee,
                                 .mem = &s->mem, .sampler = &s->sampler};
    sampler_init(&s->sampler, &s->mem, &s->py.rt, opt->nonblocking);
    s->ids.tracee = &s->tracee;
    s->ids.mem = &s->mem;
    s->stops = (struct stop_policy){.opt = opt, .tracee = &s->tracee, .states = &s->states,
                                    .sampler = &s->sampler, .ids = &s->ids, .rt = &s->py.rt,
                                    .clock = monotonic_clock};
    stop_policy_list_threads(&s->stops);
    s->view = (struct sample_view){.opt = opt, .look = &s->stops, .ids = &s->ids};
    profile_output_init(&s->out, opt);
    pacer_init(&s->pacer, monotonic_clock,
               (struct target_events){.ctx = s, .handle = handle_target_events,
                                      .called_off = waiting_called_off,
                                      .exited = target_exited});
}

/* The pieces of the run's report that the session's parts counted. */
static void tally_up(struct session *s, uint64_t sampling_ns)
{
    s->tally.idle_left_out = s->view.idle_left_out;
    s->tally.over_budget = s->sampler.over_budget;
    s->tally.torn = s->sampler.torn;
    s->tally.held_ns = s->stops.held_ns;
    s->tally.sampling_ns = sampling_ns;
}

int session_run(const struct options *opt)
{
    struct session s = {.opt = opt, .sigchld_fd = -1};
    int status = 1;
    bool trace = opt->command != NULL;
    bool traced = false;

    if (opt->ready_fd >= 0 && ready_fd_check(opt->ready_fd) != 0)
        return status;
    connect_parts(&s);
    if (plugin_dirs_init(&s.dirs) != 0 || profile_output_load(&s.out, &s.dirs) != 0)
        goto done;
    /* An idle thread gets an "(idle)" leaf under its label from API 4 on. */
    s.view.idle_leaves = s.out.plugin.api_version >= 4;
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
        if (attach_check_threads(opt->pid, opt->tids, opt->ntids) != 0)
            goto done;
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
    } else if (!s.py.opened && loop == 0 && !s.threads_ended) {
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
    sample_view_free(&s.view);
    stop_policy_free(&s.stops);
    interpreter_free(&s.py);
    memory_close(&s.mem);
    thread_ids_free(&s.ids);
    thread_states_free(&s.states);
    plugin_dirs_free(&s.dirs);
    return status;
}
