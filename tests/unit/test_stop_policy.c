/* test_stop_policy: what each tick stops of the target, and how it reads
 * the sample then (stop_policy.c, with sampler.c and thread_ids.c), on a
 * made-up target (fake_target.c) read by a made-up ABI plugin
 * (fake_abi.c), against a clock that moves only when the target is
 * stopped.
 *
 * Every branch of the policy: --nonblocking holds nobody; --gil holds the
 * GIL's holder, nobody when the GIL is free (if the plugin can tell), or
 * every thread; in the kernel's view the holder alone when it runs, else
 * after a look at every thread the holder, the threads found running, or
 * nobody when none runs (for one stack); -d every thread.  When the holder
 * or the running threads cannot be stopped, every thread is; when the
 * sample shows the GIL changed hands, or a read of the running threads
 * failed, every thread is stopped and the sample read again; so is every
 * thread when there is no memory to note which run.  And when the target
 * vanishes between those steps, the tick says so. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "fake_world.h"

/* Out of memory on demand, for the code under test (the test links with
 * --wrap=realloc). */
static bool fail_realloc;
void *__real_realloc(void *p, size_t size);
void *__wrap_realloc(void *p, size_t size);

void *__wrap_realloc(void *p, size_t size)
{
    return fail_realloc ? NULL : __real_realloc(p, size);
}

#define T1 fake_tid(0)
#define T2 fake_tid(1)
#define T3 fake_tid(2)

/* Nothing of the target was stopped. */
static void assert_nothing_stopped(const struct fake_world *w)
{
    assert_int_equal(w->target.stops + w->target.thread_stops + w->target.threads_stops, 0);
}

/* ---- What is held ---- */

static void nonblocking_holds_nobody(void **state)
{
    (void)state;
    struct fake_world *w = fake_world_new("RR", FAKE_PROBES);
    w->opt.nonblocking = true;
    assert_int_equal(fake_world_hold(w), HOLD_NOBODY);
    assert_nothing_stopped(w);
    assert_int_equal(w->abi.calls, 0); /* not even probed */
    assert_int_equal(w->target.looks, 1);
    /* The target gone: nothing to read. */
    w->target.tracee.exited = true;
    assert_int_equal(fake_world_hold(w), HOLD_TARGET_GONE);
    fake_world_free(w);
}

static void gil_mode_free_gil_holds_nobody(void **state)
{
    (void)state;
    struct fake_world *w = fake_world_new("RR", FAKE_PROBES);
    w->opt.gil = true;
    fake_probe_answer(&w->abi, fake_holder(0));
    assert_int_equal(fake_world_hold(w), HOLD_NONE_RUNNING);
    assert_nothing_stopped(w);
    assert_int_equal(w->abi.probe_calls, 1);
    assert_int_equal(w->abi.flags[0],
                     PYFLAME_SAMPLE_NONBLOCKING | PYFLAME_SAMPLE_GIL_HOLDER_ONLY);
    assert_int_equal(w->target.state_reads, 0); /* the kernel is not asked */
    /* The sample is idle, and nothing is read for it. */
    pyflame_sample smp = {0};
    assert_int_equal(stop_policy_read(&w->policy, 0, &smp), 0);
    assert_int_equal(smp.status, PYFLAME_IDLE);
    assert_int_equal(w->abi.sample_calls, 0);
    fake_world_free(w);
}

/* A plugin that cannot tell a free GIL from several GILs (3.12+
 * subinterpreters): its idle is not trusted, every thread is stopped. */
static void gil_mode_idle_probe_of_a_plugin_that_cannot_tell(void **state)
{
    (void)state;
    struct fake_world *w = fake_world_new("RR", PYFLAME_ABI_PROBES_GIL_HOLDER);
    w->opt.gil = true;
    fake_probe_answer(&w->abi, fake_holder(0));
    assert_int_equal(fake_world_hold(w), HOLD_EVERY_THREAD);
    assert_int_equal(w->target.stops, 1);
    fake_world_free(w);
}

static void gil_mode_holds_the_holder(void **state)
{
    (void)state;
    struct fake_world *w = fake_world_new("SS", FAKE_PROBES); /* asleep, as the kernel says */
    w->opt.gil = true;
    fake_probe_answer(&w->abi, fake_holder(T2));
    assert_int_equal(fake_world_hold(w), HOLD_GIL_HOLDER);
    assert_int_equal(w->target.thread_stops, 1);
    assert_int_equal(w->target.thread_stopped, T2);
    assert_int_equal(w->target.stops, 0);
    assert_int_equal(w->target.state_reads, 0);
    assert_int_equal(w->policy.look.holder, T2);
    fake_world_free(w);
}

/* --threads wants every thread's stack: a free GIL is no idle sample. */
static void gil_mode_with_threads_reads_a_free_gil(void **state)
{
    (void)state;
    struct fake_world *w = fake_world_new("RR", FAKE_PROBES);
    w->opt.gil = w->opt.threads = true;
    fake_probe_answer(&w->abi, fake_holder(0));
    assert_int_equal(fake_world_hold(w), HOLD_EVERY_THREAD);
    fake_world_free(w);
}

/* The holder runs: stopped alone, no other thread looked at. */
static void running_holder_is_held_alone(void **state)
{
    (void)state;
    struct fake_world *w = fake_world_new("SRS", FAKE_PROBES);
    fake_probe_answer(&w->abi, fake_holder(T2));
    assert_int_equal(fake_world_hold(w), HOLD_GIL_HOLDER);
    assert_int_equal(w->target.thread_stopped, T2);
    assert_int_equal(w->target.state_reads, 1);
    assert_false(w->policy.look.looked_at_all);
    fake_world_free(w);
}

/* The holder sleeps (in a system call, the GIL kept): every thread is
 * looked at, for one running without the GIL, and the holder still
 * stopped alone. */
static void sleeping_holder_has_every_thread_looked_at(void **state)
{
    (void)state;
    struct fake_world *w = fake_world_new("RSR", FAKE_PROBES);
    fake_probe_answer(&w->abi, fake_holder(T2));
    assert_int_equal(fake_world_hold(w), HOLD_GIL_HOLDER);
    assert_true(w->policy.look.looked_at_all);
    assert_int_equal(w->policy.look.nrunning, 2);
    assert_int_equal(w->policy.look.running[0], T1);
    assert_int_equal(w->policy.look.running[1], T3);
    assert_int_equal(w->target.thread_stopped, T2);
    fake_world_free(w);
}

/* Nobody holds the GIL: the threads found running are stopped, the
 * others left asleep. */
static void no_holder_holds_the_running_threads(void **state)
{
    (void)state;
    struct fake_world *w = fake_world_new("RSR", FAKE_PROBES);
    fake_probe_answer(&w->abi, fake_holder(0));
    assert_int_equal(fake_world_hold(w), HOLD_RUNNING);
    assert_int_equal(w->target.threads_stops, 1);
    assert_int_equal(w->target.nthreads_stopped, 2);
    assert_int_equal(w->target.threads_stopped[0], T1);
    assert_int_equal(w->target.threads_stopped[1], T3);
    assert_int_equal(w->target.stops, 0);
    fake_world_free(w);
}

/* No thread runs: for one stack the sample is idle, nothing stopped. */
static void none_running_holds_nobody(void **state)
{
    (void)state;
    struct fake_world *w = fake_world_new("SSD", FAKE_PROBES); /* D: waits for a disk */
    fake_probe_answer(&w->abi, fake_holder(0));
    assert_int_equal(fake_world_hold(w), HOLD_NONE_RUNNING);
    assert_nothing_stopped(w);
    pyflame_sample smp = {0};
    assert_int_equal(stop_policy_read(&w->policy, 0, &smp), 0);
    assert_int_equal(smp.status, PYFLAME_IDLE);
    assert_int_equal(w->abi.sample_calls, 0);
    fake_world_free(w);
}

/* With --threads no thread running still reads the threads (for their
 * ids), stopping none of them. */
static void threads_none_running_reads_without_stopping(void **state)
{
    (void)state;
    struct fake_world *w = fake_world_new("SS", FAKE_PROBES);
    w->opt.threads = true;
    fake_probe_answer(&w->abi, fake_holder(0));
    pid_t tids[] = {T1, T2};
    fake_sample_answer(&w->abi, fake_threads(tids, 2, 0, 0));
    assert_int_equal(fake_world_hold(w), HOLD_RUNNING);
    assert_int_equal(w->target.nthreads_stopped, 0);
    pyflame_sample smp = {0};
    assert_int_equal(stop_policy_read(&w->policy, PYFLAME_SAMPLE_ALL_THREADS, &smp), 0);
    assert_int_equal(smp.nthreads, 2);
    fake_world_free(w);
}

/* With --threads every thread is looked at, even with the holder
 * running, which is still stopped alone. */
static void threads_with_a_running_holder(void **state)
{
    (void)state;
    struct fake_world *w = fake_world_new("RR", FAKE_PROBES);
    w->opt.threads = true;
    fake_probe_answer(&w->abi, fake_holder(T1));
    assert_int_equal(fake_world_hold(w), HOLD_GIL_HOLDER);
    assert_true(w->policy.look.looked_at_all);
    fake_world_free(w);
}

/* -d: no probe; every thread is looked at (for the states it prints) and
 * stopped, --gil or not. */
static void dump_holds_every_thread(void **state)
{
    (void)state;
    for (int gil = 0; gil < 2; gil++) {
        struct fake_world *w = fake_world_new("RS", FAKE_PROBES);
        w->opt.dump = true;
        w->opt.gil = gil;
        assert_int_equal(stop_policy_hold(&w->policy, false), HOLD_EVERY_THREAD);
        assert_int_equal(w->abi.calls, 0);
        assert_true(w->policy.look.looked_at_all);
        assert_int_equal(w->target.stops, 1);
        fake_world_free(w);
    }
}

/* No probe without an open plugin that can, after an exec (the plugin
 * still reads the old program), without a version, or on 2.7 with more
 * than one thread (its waiting threads run); then nobody is the holder. */
static void when_the_holder_is_not_probed(void **state)
{
    (void)state;
    for (int c = 0; c < 5; c++) {
        struct fake_world *w = fake_world_new("RR", FAKE_PROBES);
        if (c == 0)
            w->sampler.state = NULL;
        else if (c == 1)
            w->target.tracee.execed = true;
        else if (c == 2)
            w->target.rt.major = 0;
        else if (c == 3)
            w->target.rt.major = 2;
        else
            w->sampler.features = PYFLAME_ABI_DETECTS_TORN;
        fake_probe_answer(&w->abi, fake_holder(T1));
        assert_int_equal(fake_world_hold(w), HOLD_RUNNING);
        assert_int_equal(w->abi.probe_calls, 0);
        assert_int_equal(w->policy.look.holder, 0);
        fake_world_free(w);
    }
    /* 2.7 with one thread is probed: the probe spares it a stop. */
    struct fake_world *w = fake_world_new("R", FAKE_PROBES);
    w->target.rt.major = 2;
    fake_probe_answer(&w->abi, fake_holder(T1));
    assert_int_equal(fake_world_hold(w), HOLD_GIL_HOLDER);
    fake_world_free(w);
}

/* No memory to note the threads found running: every thread is stopped
 * (for one stack, none running cannot be told from not knowing). */
static void look_without_memory_holds_every_thread(void **state)
{
    (void)state;
    struct fake_world *w = fake_world_new("SS", FAKE_PROBES);
    fake_probe_answer(&w->abi, fake_holder(0));
    fail_realloc = true;
    enum hold held = fake_world_hold(w);
    fail_realloc = false;
    assert_int_equal(held, HOLD_EVERY_THREAD);
    assert_false(w->policy.look.looked_at_all);
    assert_int_equal(w->target.stops, 1);
    fake_world_free(w);
}

/* ---- When stopping fails ---- */

static void holder_that_cannot_be_stopped(void **state)
{
    (void)state;
    struct fake_world *w = fake_world_new("RR", FAKE_PROBES);
    fake_probe_answer(&w->abi, fake_holder(T1));
    w->target.stop_thread_fails = true;
    assert_int_equal(fake_world_hold(w), HOLD_EVERY_THREAD);
    assert_int_equal(w->target.thread_stops, 1);
    assert_int_equal(w->target.stops, 1);
    fake_world_free(w);
}

static void running_threads_that_cannot_be_stopped(void **state)
{
    (void)state;
    struct fake_world *w = fake_world_new("RR", FAKE_PROBES);
    fake_probe_answer(&w->abi, fake_holder(0));
    w->target.stop_threads_fails = true;
    assert_int_equal(fake_world_hold(w), HOLD_EVERY_THREAD);
    assert_int_equal(w->target.stops, 1);
    fake_world_free(w);
}

/* The target exits between the probe and the stop. */
static void target_vanishes_before_the_stop(void **state)
{
    (void)state;
    struct fake_world *w = fake_world_new("RR", FAKE_PROBES);
    fake_probe_answer(&w->abi, fake_holder(T1));
    w->target.stop_thread_fails = true;
    w->target.exits_when_stopped = true;
    assert_int_equal(fake_world_hold(w), HOLD_TARGET_GONE);
    fake_world_free(w);
    /* Or between the look and an idle sample. */
    w = fake_world_new("SS", FAKE_PROBES);
    fake_probe_answer(&w->abi, fake_holder(0));
    w->target.tracee.exited = true;
    assert_int_equal(fake_world_hold(w), HOLD_TARGET_GONE);
    fake_world_free(w);
}

/* ---- Reading what is held ---- */

/* The sample names the held thread the GIL's holder: kept, nothing else
 * stopped.  For one stack the holder alone is read. */
static void holder_borne_out(void **state)
{
    (void)state;
    struct fake_world *w = fake_world_new("RS", FAKE_PROBES);
    fake_probe_answer(&w->abi, fake_holder(T1));
    pid_t tids[] = {T1};
    fake_sample_answer(&w->abi, fake_threads(tids, 1, T1, 0));
    assert_int_equal(fake_world_hold(w), HOLD_GIL_HOLDER);
    pyflame_sample smp = {0};
    assert_int_equal(stop_policy_read(&w->policy, 0, &smp), 0);
    assert_int_equal(smp.status, PYFLAME_OK);
    assert_int_equal(w->abi.sample_calls, 1);
    assert_int_equal(w->abi.flags[1], 0);
    assert_int_equal(w->target.stops, 0);
    assert_int_equal(w->policy.look.held, HOLD_GIL_HOLDER);
    fake_world_free(w);
}

/* With every thread's stack read while the holder alone is stopped, the
 * holder is probed again after: a thread that took the GIL meanwhile has
 * named itself by then, and the sample is read again, all stopped. */
static void holder_probed_again_after_every_stack(void **state)
{
    (void)state;
    for (int handed_over = 0; handed_over < 2; handed_over++) {
        struct fake_world *w = fake_world_new("RR", FAKE_PROBES);
        w->opt.threads = true;
        fake_probe_answer(&w->abi, fake_holder(T1));
        fake_probe_answer(&w->abi, fake_holder(handed_over ? T2 : T1));
        pid_t tids[] = {T1, T2};
        fake_sample_answer(&w->abi, fake_threads(tids, 2, T1, 0));
        assert_int_equal(fake_world_hold(w), HOLD_GIL_HOLDER);
        pyflame_sample smp = {0};
        assert_int_equal(stop_policy_read(&w->policy, PYFLAME_SAMPLE_ALL_THREADS, &smp), 0);
        assert_int_equal(w->abi.probe_calls, 2);
        assert_int_equal(w->abi.sample_calls, handed_over ? 2 : 1);
        assert_int_equal(w->target.stops, handed_over ? 1 : 0);
        assert_int_equal(w->policy.look.held,
                         handed_over ? HOLD_EVERY_THREAD : HOLD_GIL_HOLDER);
        fake_world_free(w);
    }
}

/* The sample names another holder: the GIL changed hands.  The threads
 * are looked at (before they stop), all stopped, and read again. */
static void gil_changed_hands(void **state)
{
    (void)state;
    struct fake_world *w = fake_world_new("RR", FAKE_PROBES);
    fake_probe_answer(&w->abi, fake_holder(T1));
    pid_t t2[] = {T2};
    fake_sample_answer(&w->abi, fake_threads(t2, 1, T2, 0));
    assert_int_equal(fake_world_hold(w), HOLD_GIL_HOLDER);
    assert_false(w->policy.look.looked_at_all);
    pyflame_sample smp = {0};
    assert_int_equal(stop_policy_read(&w->policy, 0, &smp), 0);
    assert_true(w->policy.look.looked_at_all);
    assert_int_equal(w->policy.look.nrunning, 2);
    assert_int_equal(w->target.stops, 1);
    assert_int_equal(w->abi.sample_calls, 2);
    assert_int_equal(w->policy.look.held, HOLD_EVERY_THREAD);
    assert_int_equal(smp.status, PYFLAME_OK);
    fake_world_free(w);
}

/* The target exits between the read of the held thread and the stop of
 * every thread. */
static void target_vanishes_when_the_gil_changed_hands(void **state)
{
    (void)state;
    struct fake_world *w = fake_world_new("RR", FAKE_PROBES);
    fake_probe_answer(&w->abi, fake_holder(T1));
    fake_sample_answer(&w->abi, fake_status(PYFLAME_ERR_READ));
    assert_int_equal(fake_world_hold(w), HOLD_GIL_HOLDER);
    w->target.exits_when_stopped = true;
    pyflame_sample smp = {0};
    assert_int_equal(stop_policy_read(&w->policy, 0, &smp), -1);
    assert_int_equal(w->policy.look.held, HOLD_TARGET_GONE);
    assert_int_equal(w->abi.sample_calls, 1);
    fake_world_free(w);
}

/* A read of the running threads fails: a thread left running may have
 * changed what it read, so every thread is stopped and it is read again;
 * not when the target has gone meanwhile, nor when the read ran out of
 * budget (then the target's structures are to blame). */
static void failed_read_of_the_running_threads(void **state)
{
    (void)state;
    for (int c = 0; c < 4; c++) {
        struct fake_world *w = fake_world_new("RSR", FAKE_PROBES);
        fake_probe_answer(&w->abi, fake_holder(0));
        struct fake_answer failed = fake_status(PYFLAME_ERR_READ);
        if (c == 2)
            failed.reads = SAMPLE_MAX_READS + 1;
        pid_t tids[] = {T1, T3};
        fake_sample_answer(&w->abi, failed);
        fake_sample_answer(&w->abi, fake_threads(tids, 2, 0, 0));
        assert_int_equal(fake_world_hold(w), HOLD_RUNNING);
        w->target.all_readable = true;
        w->target.gone = c == 1;
        w->target.exits_when_stopped = c == 3;
        pyflame_sample smp = {0};
        int rc = stop_policy_read(&w->policy, 0, &smp);
        if (c == 0) {
            assert_int_equal(rc, 0);
            assert_int_equal(w->target.stops, 1);
            assert_int_equal(w->abi.sample_calls, 2);
            assert_int_equal(smp.status, PYFLAME_OK);
            assert_int_equal(w->policy.look.held, HOLD_EVERY_THREAD);
        } else if (c == 3) { /* it vanished: the stop finds it gone */
            assert_int_equal(rc, -1);
            assert_int_equal(w->policy.look.held, HOLD_TARGET_GONE);
        } else {
            assert_int_equal(rc, 0);
            assert_int_equal(w->target.stops, 0);
            assert_int_equal(w->abi.sample_calls, 1);
            assert_int_equal(smp.status, PYFLAME_ERR_READ);
            assert_int_equal(w->policy.look.held, HOLD_RUNNING);
        }
        assert_int_equal(w->sampler.over_budget, c == 2);
        fake_world_free(w);
    }
}

/* For one stack only the GIL's holder is read, unless the look read every
 * thread.  When the GIL changed hands to a thread that does not run (it
 * holds the GIL asleep) while another runs, the sample is read again with
 * every thread, to show the one running without the GIL. */
static void one_stack_needs_every_thread(void **state)
{
    (void)state;
    struct fake_world *w = fake_world_new("RS", FAKE_PROBES);
    fake_probe_answer(&w->abi, fake_holder(T1));
    pid_t t2[] = {T2}, both[] = {T1, T2};
    fake_sample_answer(&w->abi, fake_threads(t2, 1, T2, 0));
    fake_sample_answer(&w->abi, fake_threads(t2, 1, T2, 0));
    fake_sample_answer(&w->abi, fake_threads(both, 2, T2, 0));
    assert_int_equal(fake_world_hold(w), HOLD_GIL_HOLDER);
    pyflame_sample smp = {0};
    assert_int_equal(stop_policy_read(&w->policy, 0, &smp), 0);
    assert_int_equal(w->abi.sample_calls, 3);
    assert_int_equal(w->abi.flags[1], 0); /* the holder alone */
    assert_int_equal(w->abi.flags[2], 0); /* every thread stopped, the holder */
    assert_int_equal(w->abi.flags[3], PYFLAME_SAMPLE_ALL_THREADS);
    assert_int_equal(smp.nthreads, 2);
    assert_int_equal(w->target.stops, 1);
    assert_int_equal(w->policy.look.held, HOLD_EVERY_THREAD);
    fake_world_free(w);
}

/* The new holder runs: its stack is the one to show, read once. */
static void one_stack_holder_that_runs(void **state)
{
    (void)state;
    struct fake_world *w = fake_world_new("RR", FAKE_PROBES);
    fake_probe_answer(&w->abi, fake_holder(T1));
    pid_t t2[] = {T2};
    fake_sample_answer(&w->abi, fake_threads(t2, 1, T2, 0));
    assert_int_equal(fake_world_hold(w), HOLD_GIL_HOLDER);
    pyflame_sample smp = {0};
    assert_int_equal(stop_policy_read(&w->policy, 0, &smp), 0);
    assert_int_equal(w->abi.sample_calls, 2);
    fake_world_free(w);
}

/* After a look at every thread, every thread's stack is read: the one
 * to show may be any that runs. */
static void looked_at_all_reads_every_thread(void **state)
{
    (void)state;
    struct fake_world *w = fake_world_new("SR", FAKE_PROBES);
    fake_probe_answer(&w->abi, fake_holder(0));
    pid_t tids[] = {T1, T2};
    fake_sample_answer(&w->abi, fake_threads(tids, 2, 0, 0));
    assert_int_equal(fake_world_hold(w), HOLD_RUNNING);
    pyflame_sample smp = {0};
    assert_int_equal(stop_policy_read(&w->policy, 0, &smp), 0);
    assert_int_equal(w->abi.flags[1], PYFLAME_SAMPLE_ALL_THREADS);
    /* --gil trusts no look: only what was asked. */
    w->opt.gil = true;
    w->policy.look.looked_at_all = true;
    assert_int_equal(stop_policy_read(&w->policy, 0, &smp), 0);
    assert_int_equal(w->abi.flags[2], 0);
    fake_world_free(w);
}

/* ---- Letting go ---- */

/* The target runs again, and the time it was held is counted: from the
 * first stop to the release, the probe and the look not included. */
static void release_counts_the_time_held(void **state)
{
    (void)state;
    struct fake_world *w = fake_world_new("RS", FAKE_PROBES);
    fake_probe_answer(&w->abi, fake_holder(T1));
    assert_int_equal(fake_world_hold(w), HOLD_GIL_HOLDER);
    assert_int_equal(w->policy.look.began_ns, 1000000);
    w->clock += 4000; /* the read */
    stop_policy_release(&w->policy);
    assert_int_equal(w->target.resumes, 1);
    assert_int_equal(w->policy.held_ns, 5000); /* the stop's 1000, the read's 4000 */
    assert_int_equal(w->policy.look.began_ns, 0);
    /* What the tick saw stays, for the sample to be judged by. */
    assert_int_equal(w->policy.look.held, HOLD_GIL_HOLDER);
    /* A tick that stopped nothing adds no time. */
    fake_probe_answer(&w->abi, fake_holder(0));
    fake_set_state(&w->target, T1, 'S');
    assert_int_equal(fake_world_hold(w), HOLD_NONE_RUNNING);
    w->clock += 4000;
    stop_policy_release(&w->policy);
    assert_int_equal(w->policy.held_ns, 5000);
    /* --nonblocking: nothing to resume. */
    w->opt.nonblocking = true;
    assert_int_equal(fake_world_hold(w), HOLD_NOBODY);
    stop_policy_release(&w->policy);
    assert_int_equal(w->target.resumes, 2);
    fake_world_free(w);
}

/* ---- What the look tells ---- */

static void look_tells_which_threads_run(void **state)
{
    (void)state;
    struct fake_world *w = fake_world_new("RSR", FAKE_PROBES);
    fake_probe_answer(&w->abi, fake_holder(0));
    assert_int_equal(fake_world_hold(w), HOLD_RUNNING);
    pyflame_thread t = {.os_tid = (uint64_t)T1};
    assert_true(look_runs(&w->policy, &t));
    t.os_tid = (uint64_t)T2;
    assert_false(look_runs(&w->policy, &t));
    /* A thread the look did not see (it came after) with the GIL: read
     * while it ran, when only the running threads were stopped. */
    t = (pyflame_thread){.os_tid = 999, .flags = PYFLAME_THREAD_HOLDS_GIL};
    assert_false(look_runs(&w->policy, &t));
    w->policy.look.held = HOLD_EVERY_THREAD;
    assert_true(look_runs(&w->policy, &t));
    t.flags = 0;
    assert_false(look_runs(&w->policy, &t));
    /* With threads stopped, only what the look read is known... */
    fake_set_state(&w->target, T2, 'R');
    assert_int_equal(look_state(&w->policy, T2), 'S');
    /* ...but with nothing stopped (--nonblocking) it is read now. */
    w->opt.nonblocking = true;
    assert_int_equal(fake_world_hold(w), HOLD_NOBODY);
    assert_int_equal(look_state(&w->policy, T2), 'R');
    fake_world_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nonblocking_holds_nobody),
        cmocka_unit_test(gil_mode_free_gil_holds_nobody),
        cmocka_unit_test(gil_mode_idle_probe_of_a_plugin_that_cannot_tell),
        cmocka_unit_test(gil_mode_holds_the_holder),
        cmocka_unit_test(gil_mode_with_threads_reads_a_free_gil),
        cmocka_unit_test(running_holder_is_held_alone),
        cmocka_unit_test(sleeping_holder_has_every_thread_looked_at),
        cmocka_unit_test(no_holder_holds_the_running_threads),
        cmocka_unit_test(none_running_holds_nobody),
        cmocka_unit_test(threads_none_running_reads_without_stopping),
        cmocka_unit_test(threads_with_a_running_holder),
        cmocka_unit_test(dump_holds_every_thread),
        cmocka_unit_test(when_the_holder_is_not_probed),
        cmocka_unit_test(look_without_memory_holds_every_thread),
        cmocka_unit_test(holder_that_cannot_be_stopped),
        cmocka_unit_test(running_threads_that_cannot_be_stopped),
        cmocka_unit_test(target_vanishes_before_the_stop),
        cmocka_unit_test(holder_borne_out),
        cmocka_unit_test(holder_probed_again_after_every_stack),
        cmocka_unit_test(gil_changed_hands),
        cmocka_unit_test(target_vanishes_when_the_gil_changed_hands),
        cmocka_unit_test(failed_read_of_the_running_threads),
        cmocka_unit_test(one_stack_needs_every_thread),
        cmocka_unit_test(one_stack_holder_that_runs),
        cmocka_unit_test(looked_at_all_reads_every_thread),
        cmocka_unit_test(release_counts_the_time_held),
        cmocka_unit_test(look_tells_which_threads_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
