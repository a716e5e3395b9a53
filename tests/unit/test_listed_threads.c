/* test_listed_threads: --tid, on a made-up target (fake_world.c): what the
 * stop policy stops (stop_policy.c) and what the sample shows
 * (sample_view.c) when only some threads are listed.
 *
 * Only listed threads are looked at and stopped: the GIL's holder alone
 * if it is listed and runs; else the listed threads found running, a
 * holder not listed left to run; none when no listed thread runs (one
 * stack: an idle sample); "every thread" (-d, --gil without a holder, the
 * fallbacks) is every listed one.  The sample shows listed threads only,
 * idle when none of them runs.  A listed thread that exits is forgotten
 * for good; when none is left the run is over. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "fake_world.h"

#define T1 fake_tid(0)
#define T2 fake_tid(1)
#define T3 fake_tid(2)

/* A target of threads in `states`, with --tid listing tids[n]. */
static struct fake_world *listing(const char *states, const pid_t *tids, size_t n)
{
    struct fake_world *w = fake_world_new(states, FAKE_PROBES);
    memcpy(w->opt.tids, tids, n * sizeof *tids);
    w->opt.ntids = n;
    stop_policy_list_threads(&w->policy);
    return w;
}

/* Only the threads tids[n] were stopped, together, once. */
static void assert_stopped_together(const struct fake_world *w, const pid_t *tids, size_t n)
{
    assert_int_equal(w->target.stops + w->target.thread_stops, 0);
    assert_int_equal(w->target.threads_stops, 1);
    assert_int_equal(w->target.nthreads_stopped, n);
    assert_memory_equal(w->target.threads_stopped, tids, n * sizeof *tids);
}

/* ---- What is held ---- */

/* The listed holder runs: stopped alone, as without --tid. */
static void listed_holder_is_held_alone(void **state)
{
    (void)state;
    pid_t t1[] = {T1};
    struct fake_world *w = listing("RR", t1, 1);
    fake_probe_answer(&w->abi, fake_holder(T1));
    assert_int_equal(fake_world_hold(w), HOLD_GIL_HOLDER);
    assert_int_equal(w->target.thread_stopped, T1);
    assert_int_equal(w->target.state_reads, 1);
    fake_world_free(w);
}

/* A holder not listed is no thread to stop: the listed threads found
 * running are held instead, and their stacks read with every thread's. */
static void holder_not_listed_runs_on(void **state)
{
    (void)state;
    pid_t t2[] = {T2};
    struct fake_world *w = listing("RR", t2, 1);
    fake_probe_answer(&w->abi, fake_holder(T1));
    pid_t both[] = {T1, T2};
    fake_sample_answer(&w->abi, fake_threads(both, 2, T1, 0));
    assert_int_equal(fake_world_hold(w), HOLD_RUNNING);
    assert_int_equal(w->policy.look.holder, 0);
    assert_stopped_together(w, t2, 1);
    assert_int_equal(w->target.state_reads, 1); /* T1's state is not asked */
    pyflame_sample smp = {0};
    assert_int_equal(stop_policy_read(&w->policy, 0, &smp), 0);
    assert_int_equal(w->abi.flags[1], PYFLAME_SAMPLE_ALL_THREADS);
    fake_world_free(w);
}

/* No listed thread runs, whoever else does: for one stack an idle sample,
 * nothing stopped, nothing read. */
static void no_listed_thread_running_holds_nobody(void **state)
{
    (void)state;
    pid_t t2[] = {T2};
    for (int probed = 0; probed < 2; probed++) {
        struct fake_world *w = listing("RSR", t2, 1);
        fake_probe_answer(&w->abi, fake_holder(probed ? T1 : 0));
        assert_int_equal(fake_world_hold(w), HOLD_NONE_RUNNING);
        assert_int_equal(w->target.stops + w->target.thread_stops + w->target.threads_stops, 0);
        pyflame_sample smp = {0};
        assert_int_equal(stop_policy_read(&w->policy, 0, &smp), 0);
        assert_int_equal(smp.status, PYFLAME_IDLE);
        assert_int_equal(w->abi.sample_calls, 0);
        fake_world_free(w);
    }
}

/* Nobody holds the GIL: the listed threads that run are held, those not
 * listed are neither looked at nor stopped. */
static void only_listed_running_threads_are_held(void **state)
{
    (void)state;
    pid_t t13[] = {T1, T3};
    struct fake_world *w = listing("RRR", t13, 2);
    fake_probe_answer(&w->abi, fake_holder(0));
    assert_int_equal(fake_world_hold(w), HOLD_RUNNING);
    assert_stopped_together(w, t13, 2);
    assert_int_equal(w->target.state_reads, 2);
    fake_world_free(w);
}

/* Every thread is every listed one: for -d; with --gil when the holder
 * cannot be found; when the holder cannot be stopped alone. */
static void every_thread_is_every_listed_one(void **state)
{
    (void)state;
    pid_t t2[] = {T2};
    for (int c = 0; c < 3; c++) {
        struct fake_world *w = listing("RRS", t2, 1);
        bool alone = c != 0;
        w->opt.dump = c == 0;
        w->opt.gil = c == 1;
        if (c == 1)
            w->sampler.features = 0; /* no probe */
        fake_probe_answer(&w->abi, fake_holder(T2));
        w->target.stop_thread_fails = c == 2;
        assert_int_equal(stop_policy_hold(&w->policy, alone), HOLD_EVERY_THREAD);
        assert_int_equal(w->target.stops, 0);
        assert_int_equal(w->target.nthreads_stopped, 1);
        assert_int_equal(w->target.threads_stopped[0], T2);
        fake_world_free(w);
    }
}

/* --gil: a holder not listed means, for one stack, an idle sample; a
 * listed one is held alone. */
static void gil_mode_holder_listed_or_not(void **state)
{
    (void)state;
    pid_t t2[] = {T2};
    struct fake_world *w = listing("RR", t2, 1);
    w->opt.gil = true;
    fake_probe_answer(&w->abi, fake_holder(T1));
    assert_int_equal(fake_world_hold(w), HOLD_NONE_RUNNING);
    fake_probe_answer(&w->abi, fake_holder(T2));
    assert_int_equal(fake_world_hold(w), HOLD_GIL_HOLDER);
    assert_int_equal(w->target.thread_stopped, T2);
    fake_world_free(w);
}

/* ---- Reading what is held ---- */

/* The listed holder let the GIL go to a thread not listed: the listed
 * threads are stopped (no other), and as the sample's holder is not
 * listed, every stack is read again, for the listed one running. */
static void gil_gone_to_a_thread_not_listed(void **state)
{
    (void)state;
    pid_t t1[] = {T1}, t2[] = {T2}, both[] = {T1, T2};
    struct fake_world *w = listing("RR", t1, 1);
    fake_probe_answer(&w->abi, fake_holder(T1));
    fake_sample_answer(&w->abi, fake_threads(t2, 1, T2, 0));
    fake_sample_answer(&w->abi, fake_threads(t2, 1, T2, 0));
    fake_sample_answer(&w->abi, fake_threads(both, 2, T2, 0));
    assert_int_equal(fake_world_hold(w), HOLD_GIL_HOLDER);
    pyflame_sample smp = {0};
    assert_int_equal(stop_policy_read(&w->policy, 0, &smp), 0);
    assert_int_equal(w->abi.sample_calls, 3);
    assert_int_equal(w->abi.flags[3], PYFLAME_SAMPLE_ALL_THREADS);
    assert_int_equal(w->target.stops, 0);
    assert_int_equal(w->target.threads_stops, 1);
    assert_int_equal(w->target.threads_stopped[0], T1);
    assert_int_equal(smp.nthreads, 2);
    fake_world_free(w);
}

/* A failed read of the listed threads running is read again with every
 * listed thread stopped, no other. */
static void failed_read_is_read_again_listed_threads_stopped(void **state)
{
    (void)state;
    pid_t t13[] = {T1, T3};
    struct fake_world *w = listing("RSR", t13, 2);
    fake_probe_answer(&w->abi, fake_holder(0));
    fake_sample_answer(&w->abi, fake_status(PYFLAME_ERR_READ));
    fake_sample_answer(&w->abi, fake_threads(t13, 2, 0, 0));
    assert_int_equal(fake_world_hold(w), HOLD_RUNNING);
    pyflame_sample smp = {0};
    assert_int_equal(stop_policy_read(&w->policy, 0, &smp), 0);
    assert_int_equal(smp.status, PYFLAME_OK);
    assert_int_equal(w->target.stops, 0);
    assert_int_equal(w->target.threads_stops, 2);
    assert_int_equal(w->policy.look.held, HOLD_EVERY_THREAD);
    fake_world_free(w);
}

/* ---- Threads that exit ---- */

/* A listed thread that exits is forgotten, for good: a new thread given
 * its id later is not taken for it.  With none left the run is over;
 * the target's own exit is told as such. */
static void listed_threads_that_exit(void **state)
{
    (void)state;
    pid_t t23[] = {T2, T3};
    struct fake_world *w = listing("SSS", t23, 2);
    fake_probe_answer(&w->abi, fake_holder(0));
    w->target.tracee.nthreads = 2; /* T3 exits */
    assert_int_equal(fake_world_hold(w), HOLD_NONE_RUNNING);
    assert_int_equal(w->policy.nlisted, 1);
    assert_true(stop_policy_shows(&w->policy, T2));
    assert_false(stop_policy_shows(&w->policy, T3));
    w->target.tracee.nthreads = 3; /* a new thread, given T3's id */
    assert_int_equal(fake_world_hold(w), HOLD_NONE_RUNNING);
    assert_false(stop_policy_shows(&w->policy, T3));
    w->target.tracee.nthreads = 1; /* T2 exits */
    assert_int_equal(fake_world_hold(w), HOLD_THREADS_GONE);
    assert_int_equal(fake_world_hold(w), HOLD_THREADS_GONE);
    assert_int_equal(w->target.stops + w->target.thread_stops + w->target.threads_stops, 0);
    w->target.tracee.exited = true;
    assert_int_equal(fake_world_hold(w), HOLD_TARGET_GONE);
    fake_world_free(w);
}

/* Without --tid every thread is shown. */
static void without_a_list_every_thread_shows(void **state)
{
    (void)state;
    struct fake_world *w = fake_world_new("RR", FAKE_PROBES);
    stop_policy_list_threads(&w->policy);
    assert_true(stop_policy_shows(&w->policy, T1));
    assert_true(stop_policy_shows(&w->policy, 12345));
    fake_world_free(w);
}

/* ---- The sample shown ---- */

/* One stack: the listed thread, running without the GIL, not the holder
 * that runs too; idle when the listed thread does not run. */
static void one_stack_shows_a_listed_thread_only(void **state)
{
    (void)state;
    pid_t t2[] = {T2}, both[] = {T1, T2};
    struct fake_world *w = listing("RR", t2, 1);
    fake_world_look(w);
    pyflame_sample smp;
    assert_true(fake_world_show(w, fake_threads(both, 2, T1, 0), &smp));
    assert_int_equal(smp.status, PYFLAME_OK);
    assert_int_equal(smp.nthreads, 1);
    assert_int_equal(smp.threads[0].os_tid, T2);
    assert_string_equal(smp.threads[0].frames[0].name, "(no GIL)");
    fake_set_state(&w->target, T2, 'S');
    fake_world_look(w);
    assert_true(fake_world_show(w, fake_threads(both, 2, T1, 0), &smp));
    assert_int_equal(smp.status, PYFLAME_IDLE);
    assert_int_equal(smp.nthreads, 0);
    fake_world_free(w);
}

/* --threads: the listed threads, idle or not, and no other; a thread
 * whose id cannot be told is not one of them. */
static void threads_shows_listed_threads_only(void **state)
{
    (void)state;
    pid_t t13[] = {T1, T3}, all[] = {T1, T2, T3};
    struct fake_world *w = listing("SRR", t13, 2);
    w->opt.threads = true;
    fake_world_look(w);
    pyflame_sample smp;
    assert_true(fake_world_show(w, fake_threads(all, 3, T2, 0), &smp));
    assert_int_equal(smp.status, PYFLAME_OK);
    assert_int_equal(smp.nthreads, 2);
    assert_int_equal(smp.threads[0].os_tid, T1);
    assert_int_equal(smp.threads[0].nframes, 0); /* idle */
    assert_int_equal(smp.threads[1].os_tid, T3);
    struct fake_answer unknown = fake_threads(all, 3, T2, 0);
    unknown.threads[2].os_tid = 0;
    assert_true(fake_world_show(w, unknown, &smp));
    assert_int_equal(smp.nthreads, 1);
    assert_int_equal(smp.status, PYFLAME_IDLE);
    fake_world_free(w);
}

/* --gil: the sample of a holder not listed is idle. */
static void gil_mode_holder_not_listed_is_idle(void **state)
{
    (void)state;
    pid_t t2[] = {T2}, t1[] = {T1};
    struct fake_world *w = listing("RR", t2, 1);
    w->opt.gil = true;
    pyflame_sample smp;
    assert_true(fake_world_show(w, fake_threads(t1, 1, T1, 0), &smp));
    assert_int_equal(smp.status, PYFLAME_IDLE);
    assert_int_equal(smp.nthreads, 0);
    fake_world_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(listed_holder_is_held_alone),
        cmocka_unit_test(holder_not_listed_runs_on),
        cmocka_unit_test(no_listed_thread_running_holds_nobody),
        cmocka_unit_test(only_listed_running_threads_are_held),
        cmocka_unit_test(every_thread_is_every_listed_one),
        cmocka_unit_test(gil_mode_holder_listed_or_not),
        cmocka_unit_test(gil_gone_to_a_thread_not_listed),
        cmocka_unit_test(failed_read_is_read_again_listed_threads_stopped),
        cmocka_unit_test(listed_threads_that_exit),
        cmocka_unit_test(without_a_list_every_thread_shows),
        cmocka_unit_test(one_stack_shows_a_listed_thread_only),
        cmocka_unit_test(threads_shows_listed_threads_only),
        cmocka_unit_test(gil_mode_holder_not_listed_is_idle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
