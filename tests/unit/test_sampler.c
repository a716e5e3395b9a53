/* test_sampler: samples through the ABI plugin (sampler.c), from a
 * made-up plugin (fake_abi.c) reading a made-up target (fake_target.c).
 *
 * --nonblocking: a torn sample is read again, at most TORN_RETRIES times,
 * then counted as failed and torn; a torn sample that ran out of reads is
 * a failed one, counted over budget, not retried.  Without --nonblocking
 * nothing is retried.  A status the core does not know is a failure with
 * no threads.  The host counts every read against one sample's budget,
 * and gives back those a batch never made. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake_world.h"

static void torn_samples_are_read_again(void **state)
{
    (void)state;
    struct fake_world *w = fake_world_new("R", FAKE_PROBES);
    w->sampler.nonblocking = true;
    pid_t tid = fake_tid(0);
    fake_sample_answer(&w->abi, fake_status(PYFLAME_ERR_TORN));
    fake_sample_answer(&w->abi, fake_status(PYFLAME_ERR_TORN));
    fake_sample_answer(&w->abi, fake_threads(&tid, 1, tid, 0));
    pyflame_sample smp = {0};
    sampler_take(&w->sampler, 0, &smp);
    assert_int_equal(smp.status, PYFLAME_OK);
    assert_int_equal(w->abi.sample_calls, 3);
    assert_int_equal(w->abi.flags[0], PYFLAME_SAMPLE_NONBLOCKING);
    assert_int_equal(w->sampler.torn, 0);
    fake_world_free(w);
}

static void torn_too_often_is_a_failure(void **state)
{
    (void)state;
    struct fake_world *w = fake_world_new("R", FAKE_PROBES);
    w->sampler.nonblocking = true;
    fake_sample_answer(&w->abi, fake_status(PYFLAME_ERR_TORN));
    pyflame_sample smp = {0};
    sampler_take(&w->sampler, 0, &smp);
    assert_int_equal(smp.status, PYFLAME_ERR_READ);
    assert_int_equal(smp.nthreads, 0);
    assert_null(smp.threads);
    assert_int_equal(w->abi.sample_calls, TORN_RETRIES + 1);
    assert_int_equal(w->sampler.torn, 1);
    assert_int_equal(w->sampler.over_budget, 0);
    fake_world_free(w);
}

/* Torn after it ran out of reads: the check could not finish, the sample
 * failed; the target's structures are to blame, not its running. */
static void torn_over_budget_is_not_retried(void **state)
{
    (void)state;
    struct fake_world *w = fake_world_new("R", FAKE_PROBES);
    w->target.all_readable = true;
    w->sampler.nonblocking = true;
    struct fake_answer torn = fake_status(PYFLAME_ERR_TORN);
    torn.reads = SAMPLE_MAX_READS + 1;
    fake_sample_answer(&w->abi, torn);
    pyflame_sample smp = {0};
    sampler_take(&w->sampler, 0, &smp);
    assert_int_equal(smp.status, PYFLAME_ERR_READ);
    assert_int_equal(w->abi.sample_calls, 1);
    assert_int_equal(w->sampler.over_budget, 1);
    assert_int_equal(w->sampler.torn, 0);
    /* The reads past the budget were refused, not made. */
    assert_int_equal(w->target.reads, SAMPLE_MAX_READS);
    /* The next sample has a budget of its own. */
    fake_sample_answer(&w->abi, fake_status(PYFLAME_IDLE));
    sampler_take(&w->sampler, 0, &smp);
    assert_int_equal(smp.status, PYFLAME_IDLE);
    assert_false(w->sampler.budget.exceeded);
    fake_world_free(w);
}

/* Stop mode: a torn sample (no plugin should give one) is not retried,
 * and like any status the core does not know it is a failure. */
static void unknown_statuses_fail(void **state)
{
    (void)state;
    int statuses[] = {PYFLAME_ERR_TORN, PYFLAME_ERR_UNSUPPORTED, 42};
    for (size_t i = 0; i < sizeof statuses / sizeof *statuses; i++) {
        struct fake_world *w = fake_world_new("R", FAKE_PROBES);
        pid_t tid = fake_tid(0);
        struct fake_answer answer = fake_threads(&tid, 1, tid, 0);
        answer.status = statuses[i];
        fake_sample_answer(&w->abi, answer);
        pyflame_sample smp = {0};
        sampler_take(&w->sampler, 0, &smp);
        assert_int_equal(smp.status, PYFLAME_ERR_READ);
        assert_int_equal(smp.nthreads, 0);
        assert_int_equal(w->abi.sample_calls, 1);
        assert_int_equal(w->sampler.torn, 0);
        fake_world_free(w);
    }
}

/* A batch of reads stops at the first that fails: the budget keeps that
 * one and those before, and gets back those after, never made. */
static void batch_reads_give_back_the_budget(void **state)
{
    (void)state;
    struct fake_world *w = fake_world_new("R", FAKE_PROBES);
    fake_set_word(&w->target, 0x100, 1);
    fake_set_word(&w->target, 0x300, 3);
    int32_t v[3];
    pyflame_read reads[3] = {{0x100, &v[0], 4}, {0x200, &v[1], 4}, {0x300, &v[2], 4}};
    const pyflame_host *h = &w->sampler.host;
    read_budget_reset(&w->sampler.budget);
    assert_int_equal(h->read_many(h->ctx, reads, 3), 1);
    assert_int_equal(v[0], 1);
    assert_int_equal(w->sampler.budget.reads, 2);
    assert_int_equal(w->sampler.budget.bytes, 8);
    /* One read of more than a sample may read is refused outright. */
    uint8_t byte;
    assert_int_equal(h->read_memory(h->ctx, 0x100, &byte, (size_t)SAMPLE_MAX_BYTES + 1), -1);
    assert_true(w->sampler.budget.exceeded);
    assert_int_equal(h->find_symbol(h->ctx, "_PyRuntime"), 0x1000);
    fake_world_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(torn_samples_are_read_again),
        cmocka_unit_test(torn_too_often_is_a_failure),
        cmocka_unit_test(torn_over_budget_is_not_retried),
        cmocka_unit_test(unknown_statuses_fail),
        cmocka_unit_test(batch_reads_give_back_the_budget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
