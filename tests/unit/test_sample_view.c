/* test_sample_view: the sample as the profile shows it (sample_view.c),
 * judged by a look at a made-up target (fake_world.c).
 *
 * For one stack: the GIL's holder if it runs, else the threads running
 * without it in turn, each under a "(no GIL)" leaf, else an idle sample.
 * With --threads: threads that do not run are idle, their frames not
 * shown, but with --thread-names an "(idle)" leaf under their label (for
 * a plugin of API 4).  --gil keeps the plugin's word.  -x leaves idle
 * samples and threads out and counts them, -n clears line numbers (of a
 * copy: the plugin's frames stay as they are).  Kernel ids come from the
 * plugin's or, through glibc, from the pthread_t, threads running Python
 * code first: an id goes to one thread only. */
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

/* Where glibc keeps a thread's kernel id in its struct pthread. */
#define PTHREAD_TID_OFFSET 0x2d0

static void one_stack_shows_the_running_holder(void **state)
{
    (void)state;
    struct fake_world *w = fake_world_new("RR", FAKE_PROBES);
    fake_world_look(w);
    pid_t tids[] = {T1, T2};
    pyflame_sample smp;
    assert_true(fake_world_show(w, fake_threads(tids, 2, T2, 0), &smp));
    assert_int_equal(smp.status, PYFLAME_OK);
    assert_int_equal(smp.nthreads, 1);
    assert_int_equal(smp.threads[0].os_tid, T2);
    assert_int_equal(smp.threads[0].nframes, 1); /* no leaf: it holds the GIL */
    assert_string_equal(smp.threads[0].frames[0].name, "work");
    fake_world_free(w);
}

/* The holder sleeps: the threads running without the GIL take turns. */
static void one_stack_takes_turns_without_the_gil(void **state)
{
    (void)state;
    struct fake_world *w = fake_world_new("SRR", FAKE_PROBES);
    fake_world_look(w);
    pid_t tids[] = {T1, T2, T3};
    pyflame_sample smp;
    uint64_t shown[4];
    for (int i = 0; i < 4; i++) {
        assert_true(fake_world_show(w, fake_threads(tids, 3, T1, 0), &smp));
        assert_int_equal(smp.nthreads, 1);
        shown[i] = smp.threads[0].os_tid;
        assert_int_equal(smp.threads[0].nframes, 2);
        assert_string_equal(smp.threads[0].frames[0].name, "(no GIL)");
        assert_int_equal(smp.threads[0].frames[0].flags, PYFLAME_FRAME_LABEL);
        assert_string_equal(smp.threads[0].frames[1].name, "work");
    }
    assert_int_equal(shown[0], T2);
    assert_int_equal(shown[1], T3);
    assert_int_equal(shown[2], T2);
    assert_int_equal(shown[3], T3);
    fake_world_free(w);
}

/* No thread runs: an idle sample, which -x leaves out and counts. */
static void nothing_running_is_idle(void **state)
{
    (void)state;
    struct fake_world *w = fake_world_new("SS", FAKE_PROBES);
    fake_world_look(w);
    pid_t tids[] = {T1, T2};
    pyflame_sample smp;
    assert_true(fake_world_show(w, fake_threads(tids, 2, T1, 0), &smp));
    assert_int_equal(smp.status, PYFLAME_IDLE);
    assert_int_equal(smp.nthreads, 0);
    w->opt.exclude_idle = true;
    assert_false(fake_world_show(w, fake_threads(tids, 2, T1, 0), &smp));
    assert_int_equal(w->view.idle_left_out, 1);
    fake_world_free(w);
}

/* --threads: each thread shown, those that do not run idle, without
 * frames; -x leaves them out, one by one. */
static void threads_idle_ones_have_no_frames(void **state)
{
    (void)state;
    struct fake_world *w = fake_world_new("RS", FAKE_PROBES);
    w->opt.threads = true;
    fake_world_look(w);
    pid_t tids[] = {T1, T2};
    pyflame_sample smp;
    assert_true(fake_world_show(w, fake_threads(tids, 2, T1, 0), &smp));
    assert_int_equal(smp.nthreads, 2);
    assert_int_equal(smp.threads[0].nframes, 1);
    assert_int_equal(smp.threads[1].flags & PYFLAME_THREAD_IDLE, PYFLAME_THREAD_IDLE);
    assert_int_equal(smp.threads[1].nframes, 0);
    w->opt.exclude_idle = true;
    assert_true(fake_world_show(w, fake_threads(tids, 2, T1, 0), &smp));
    assert_int_equal(smp.nthreads, 1);
    assert_int_equal(smp.threads[0].os_tid, T1);
    assert_int_equal(w->view.idle_left_out, 1);
    fake_world_free(w);
}

/* --thread-names: a label at each stack's root; an idle thread's stack is
 * "(idle)" under its label, for a plugin that takes it (API 4). */
static void thread_names_label_each_stack(void **state)
{
    (void)state;
    struct fake_world *w = fake_world_new("RS", FAKE_PROBES);
    w->opt.threads = w->opt.thread_names = true;
    fake_world_look(w);
    pid_t tids[] = {T1, T2};
    pyflame_sample smp;
    assert_true(fake_world_show(w, fake_threads(tids, 2, T1, 0), &smp));
    const pyflame_thread *run = &smp.threads[0], *idle = &smp.threads[1];
    assert_int_equal(run->nframes, 2);
    assert_string_equal(run->frames[0].name, "work");
    assert_string_equal(run->frames[1].name, "thread (101)");
    assert_int_equal(run->frames[1].flags, PYFLAME_FRAME_LABEL);
    assert_int_equal(idle->nframes, 2);
    assert_string_equal(idle->frames[0].name, "(idle)");
    assert_int_equal(idle->frames[0].flags, PYFLAME_FRAME_LABEL | PYFLAME_FRAME_IDLE);
    assert_string_equal(idle->frames[1].name, "thread (102)");
    assert_true(pyflame_thread_shown(idle));
    /* An older plugin gets no frames for an idle thread. */
    w->view.idle_leaves = false;
    assert_true(fake_world_show(w, fake_threads(tids, 2, T1, 0), &smp));
    assert_int_equal(smp.threads[1].nframes, 0);
    fake_world_free(w);
}

/* -n: line numbers cleared in what is shown, not in what the plugin holds. */
static void no_line_numbers(void **state)
{
    (void)state;
    struct fake_world *w = fake_world_new("R", FAKE_PROBES);
    w->opt.no_line_numbers = true;
    fake_world_look(w);
    pid_t tids[] = {T1};
    pyflame_sample smp;
    assert_true(fake_world_show(w, fake_threads(tids, 1, T1, 0), &smp));
    assert_int_equal(smp.threads[0].frames[0].line, 0);
    assert_int_equal(w->abi.samples[0].threads[0].frames[0].line, 7);
    fake_world_free(w);
}

/* --gil: the plugin's word (the holder runs, the others idle), whatever
 * the kernel says; no "(no GIL)" leaf. */
static void gil_mode_keeps_the_plugins_word(void **state)
{
    (void)state;
    struct fake_world *w = fake_world_new("SR", FAKE_PROBES);
    w->opt.gil = true;
    w->opt.threads = true;
    pid_t tids[] = {T1, T2};
    struct fake_answer answer = fake_threads(tids, 2, T1, 0);
    answer.threads[1].flags |= PYFLAME_THREAD_IDLE; /* without the GIL */
    fake_probe_answer(&w->abi, fake_holder(T1));
    stop_policy_hold(&w->policy, true);
    pyflame_sample smp;
    assert_true(fake_world_show(w, answer, &smp));
    assert_int_equal(smp.nthreads, 2);
    assert_int_equal(smp.threads[0].flags & PYFLAME_THREAD_IDLE, 0);
    assert_int_equal(smp.threads[0].nframes, 1);
    assert_int_equal(smp.threads[1].nframes, 0);
    fake_world_free(w);
}

/* -d shows every thread's stack, idle or not, without leaves. */
static void dump_shows_idle_stacks(void **state)
{
    (void)state;
    struct fake_world *w = fake_world_new("RS", FAKE_PROBES);
    w->opt.dump = true;
    stop_policy_hold(&w->policy, false);
    pid_t tids[] = {T1, T2};
    pyflame_sample smp;
    assert_true(fake_world_show(w, fake_threads(tids, 2, 0, 0), &smp));
    assert_int_equal(smp.nthreads, 2);
    assert_int_equal(smp.threads[1].flags & PYFLAME_THREAD_IDLE, PYFLAME_THREAD_IDLE);
    assert_int_equal(smp.threads[1].nframes, 1);
    assert_string_equal(smp.threads[0].frames[0].name, "work");
    fake_world_free(w);
}

/* A failed sample is left as it is: counted as failed, nothing to show. */
static void failed_sample_left_as_it_is(void **state)
{
    (void)state;
    struct fake_world *w = fake_world_new("R", FAKE_PROBES);
    w->opt.exclude_idle = true;
    fake_world_look(w);
    pyflame_sample smp;
    assert_true(fake_world_show(w, fake_status(PYFLAME_ERR_READ), &smp));
    assert_int_equal(smp.status, PYFLAME_ERR_READ);
    assert_int_equal(w->view.idle_left_out, 0);
    fake_world_free(w);
}

/* Kernel ids: the plugin's own (an id past any pid's range is none), or
 * glibc's from the pthread_t, trusted only for a thread of the target;
 * threads running Python code claim theirs first. */
static void kernel_ids(void **state)
{
    (void)state;
    struct fake_world *w = fake_world_new("RR", FAKE_PROBES);
    w->opt.threads = true;
    fake_set_word(&w->target, 0x7000 + PTHREAD_TID_OFFSET, T2);
    fake_set_word(&w->target, 0x9000 + PTHREAD_TID_OFFSET, 4242); /* not the target's */
    fake_world_look(w);
    struct fake_answer answer = {.status = PYFLAME_OK, .nthreads = 4};
    pid_t tids[] = {T1, T1};
    struct fake_answer with_frames = fake_threads(tids, 2, 0, 0);
    /* A new thread's state carries its creator's pthread_t until it runs:
     * the one without frames comes first, but the id goes to the other. */
    answer.threads[0] = (pyflame_thread){.ident = 0x7000};
    answer.threads[1] = with_frames.threads[0];
    answer.threads[1].os_tid = 0;
    answer.threads[1].ident = 0x7000;
    answer.threads[2] = with_frames.threads[1];
    answer.threads[2].os_tid = 0;
    answer.threads[2].ident = 0x9000;
    answer.threads[3] = with_frames.threads[1];
    answer.threads[3].os_tid = (uint64_t)INT32_MAX + 1;
    pyflame_sample smp;
    assert_true(fake_world_show(w, answer, &smp));
    assert_int_equal(smp.nthreads, 4);
    assert_int_equal(smp.threads[0].os_tid, 0);
    assert_int_equal(smp.threads[1].os_tid, T2);
    assert_int_equal(smp.threads[2].os_tid, 0);
    assert_int_equal(smp.threads[3].os_tid, 0);
    /* The pthread_t's id is read once while the threads stay the same. */
    unsigned reads = w->target.reads;
    assert_true(fake_world_show(w, answer, &smp));
    assert_int_equal(w->target.reads, reads);
    w->target.tracee.generation++;
    assert_true(fake_world_show(w, answer, &smp));
    assert_int_equal(w->target.reads, reads + 2);
    fake_world_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_stack_shows_the_running_holder),
        cmocka_unit_test(one_stack_takes_turns_without_the_gil),
        cmocka_unit_test(nothing_running_is_idle),
        cmocka_unit_test(threads_idle_ones_have_no_frames),
        cmocka_unit_test(thread_names_label_each_stack),
        cmocka_unit_test(no_line_numbers),
        cmocka_unit_test(gil_mode_keeps_the_plugins_word),
        cmocka_unit_test(dump_shows_idle_stacks),
        cmocka_unit_test(failed_sample_left_as_it_is),
        cmocka_unit_test(kernel_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
