/* test_pacing: when ticks come, and the waits until then (pacing.c), on a
 * made-up clock that moves only when read or waited on.
 *
 * Deadlines stay on the grid start + k * interval: a late tick skips the
 * deadlines it missed, never makes them up.  A sleep that ends late is
 * learnt from: the next ends early by an average of the lateness (at most
 * a quarter of the interval and 100 us) and spins the rest, but never
 * starts a tick before its deadline; from 1 ms on, sleeps just end late.
 * Rates faster than 20 kHz do not sleep but handle the target's events
 * every millisecond.  A wait ends when pyflame is to stop or the target
 * exits; a spin runs on to its deadline when the target exits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>

#include "pacing.h"

#define US 1000ull
#define MS 1000000ull

/* The made-up world: a clock, and the target's events. */
struct world {
    uint64_t now;
    uint64_t read_cost_ns; /* each read of the clock moves it on by this */
    unsigned reads;
    /* A wait that times out ends this late. */
    uint64_t late_ns;
    /* The wait numbered event_at (from 1) ends early, half way, by an
     * event; exit_at: by the target's exit. */
    unsigned event_at, exit_at;
    bool called_off, exited;
    unsigned waits;
    uint64_t timeouts[64]; /* each wait's timeout */
    struct pacer pacer;
};

static uint64_t fake_now(void *ctx)
{
    struct world *w = ctx;
    uint64_t t = w->now;
    w->now += w->read_cost_ns;
    w->reads++;
    return t;
}

static bool fake_handle(void *ctx, uint64_t timeout_ns)
{
    struct world *w = ctx;
    w->timeouts[w->waits++ % 64] = timeout_ns;
    if (w->waits == w->exit_at) {
        w->now += timeout_ns / 2;
        w->exited = true;
        return false;
    }
    if (w->waits == w->event_at) {
        w->now += timeout_ns / 2;
        return false;
    }
    w->now += timeout_ns + w->late_ns;
    return true;
}

static bool fake_called_off(void *ctx)
{
    return ((struct world *)ctx)->called_off;
}

static bool fake_exited(void *ctx)
{
    return ((struct world *)ctx)->exited;
}

static void world_init(struct world *w, uint64_t start)
{
    *w = (struct world){.now = start};
    pacer_init(&w->pacer, (struct ns_clock){.now_ns = fake_now, .ctx = w},
               (struct target_events){.ctx = w, .handle = fake_handle,
                                      .called_off = fake_called_off, .exited = fake_exited});
}

static void deadlines_stay_on_the_grid(void **state)
{
    (void)state;
    /* On time: the next deadline. */
    assert_int_equal(pacing_next_deadline(1000, 1500, 1000, 0), 2000);
    /* Late: the deadlines missed are skipped, never made up. */
    assert_int_equal(pacing_next_deadline(1000, 5500, 1000, 0), 6000);
    /* A tick that ends right on a deadline waits for the one after. */
    assert_int_equal(pacing_next_deadline(1000, 3000, 1000, 0), 4000);
    assert_int_equal(pacing_next_deadline(1000, 2000, 1000, 0), 3000);
    /* Not before a bound (a search's back-off): the first deadline of the
     * grid at or after it. */
    assert_int_equal(pacing_next_deadline(1000, 1500, 1000, 4500), 5000);
    assert_int_equal(pacing_next_deadline(1000, 1500, 1000, 4000), 4000);
    assert_int_equal(pacing_next_deadline(1000, 1500, 1000, 1700), 2000);
}

static void start_reads_the_clock(void **state)
{
    (void)state;
    struct world w;
    world_init(&w, 123 * MS);
    assert_int_equal(pacer_start(&w.pacer), 123 * MS);
}

/* From 1 ms on, a sleep is one wait to the deadline, late as it may end,
 * and nothing is learnt or spun. */
static void slow_rates_sleep_to_the_deadline(void **state)
{
    (void)state;
    struct world w;
    world_init(&w, 10 * MS);
    w.late_ns = 60 * US;
    pacer_await_tick(&w.pacer, 11 * MS, 1 * MS, 10 * MS, false);
    assert_int_equal(w.waits, 1);
    assert_int_equal(w.timeouts[0], 1 * MS);
    assert_int_equal(w.now, 11 * MS + 60 * US);
    assert_int_equal(w.pacer.wake_late_ns, 0);
    assert_int_equal(w.pacer.events_checked_ns, 11 * MS + 60 * US);
}

/* Below 1 ms, the lateness of each sleep that timed out goes into an
 * average (weights 7:1), and the next sleep ends earlier by it. */
static void lateness_is_learnt(void **state)
{
    (void)state;
    struct world w;
    world_init(&w, 0);
    const uint64_t interval = 200 * US; /* at most 50 us early */
    w.late_ns = 16 * US;
    uint64_t deadline = interval;
    pacer_await_tick(&w.pacer, deadline, interval, 0, false);
    assert_int_equal(w.timeouts[0], deadline); /* nothing learnt yet */
    assert_int_equal(w.pacer.wake_late_ns, 16 * US / 8);
    /* The next sleep ends 2 us early, asks for that much less. */
    deadline += interval;
    uint64_t before = w.now;
    pacer_await_tick(&w.pacer, deadline, interval, before, false);
    assert_int_equal(w.timeouts[1], deadline - 2 * US - before);
    assert_int_equal(w.pacer.wake_late_ns, (2 * US * 7 + 16 * US) / 8);
    /* It converges on the lateness: then sleeps end about on time. */
    for (int i = 0; i < 200; i++) {
        deadline += interval;
        pacer_await_tick(&w.pacer, deadline, interval, w.now, false);
        assert_true(w.now >= deadline); /* never before the deadline */
    }
    assert_in_range(w.pacer.wake_late_ns, 16 * US - 8, 16 * US);
}

/* A sleep that ends before the deadline (it ended early by more than it
 * was late) spins the rest, reading the clock, and the tick starts at
 * the deadline, not before. */
static void the_rest_is_spun(void **state)
{
    (void)state;
    struct world w;
    world_init(&w, 0);
    const uint64_t interval = 100 * US; /* at most 25 us early */
    w.pacer.wake_late_ns = 20 * US;
    w.late_ns = 5 * US;
    w.read_cost_ns = 1 * US;
    pacer_await_tick(&w.pacer, interval, interval, 0, false);
    assert_int_equal(w.waits, 1);
    /* Woken at 86 us (80 us, 5 us late, and the clock read once before
     * the wait), the spin read the clock until it showed the deadline. */
    assert_true(w.now >= interval + 1 * US);
    assert_true(w.now <= interval + 2 * US);
    assert_true(w.reads >= 10);
    assert_int_equal(w.pacer.wake_late_ns, (20 * US * 7 + 6 * US) / 8);
}

/* What a sleep learns is capped at a quarter of the interval, and at
 * 100 us: one sleep very late (a busy machine) does not make the next
 * ones end too early. */
static void lateness_is_capped(void **state)
{
    (void)state;
    struct world w;
    world_init(&w, 0);
    w.late_ns = 500 * US;
    pacer_await_tick(&w.pacer, 200 * US, 200 * US, 0, false);
    assert_int_equal(w.pacer.wake_late_ns, 50 * US / 8);

    world_init(&w, 0);
    w.late_ns = 500 * US;
    pacer_await_tick(&w.pacer, 800 * US, 800 * US, 0, false);
    assert_int_equal(w.pacer.wake_late_ns, 100 * US / 8);
    /* And a sleep never ends earlier than the cap, however much was
     * learnt before. */
    world_init(&w, 0);
    w.pacer.wake_late_ns = 90 * US;
    w.late_ns = 0;
    w.read_cost_ns = 1 * US;
    pacer_await_tick(&w.pacer, 200 * US, 200 * US, 0, false);
    assert_int_equal(w.timeouts[0], 150 * US);
}

/* A sleep cut short by an event is not a lateness to learn from: the
 * wait goes on for what is left, and only the one that times out counts. */
static void events_during_a_sleep(void **state)
{
    (void)state;
    struct world w;
    world_init(&w, 0);
    w.event_at = 1;
    w.late_ns = 8 * US;
    assert_true(pacer_wait_until(&w.pacer, 1 * MS));
    assert_int_equal(w.waits, 2);
    assert_int_equal(w.timeouts[0], 1 * MS);
    assert_int_equal(w.timeouts[1], 1 * MS / 2);
    assert_int_equal(w.pacer.events_checked_ns, 1 * MS + 8 * US);
}

/* Faster than 20 kHz: no sleep, but the target's events are handled
 * (without waiting) once a millisecond has passed since they last were. */
static void fast_rates_do_not_sleep(void **state)
{
    (void)state;
    struct world w;
    world_init(&w, 5 * MS);
    w.pacer.events_checked_ns = 5 * MS - 999 * US;
    pacer_await_tick(&w.pacer, 5 * MS + 20 * US, 20 * US, 5 * MS, false);
    assert_int_equal(w.waits, 0);
    w.pacer.events_checked_ns = 4 * MS;
    pacer_await_tick(&w.pacer, 5 * MS + 20 * US, 20 * US, 5 * MS, false);
    assert_int_equal(w.waits, 1);
    assert_int_equal(w.timeouts[0], 0);
    assert_int_equal(w.pacer.events_checked_ns, 5 * MS);
    /* Ticks that read nothing (-t, no interpreter yet) sleep even so. */
    pacer_await_tick(&w.pacer, 5 * MS + 20 * US, 20 * US, 5 * MS, true);
    assert_int_equal(w.waits, 2);
    assert_int_equal(w.timeouts[1], 20 * US);
}

/* The target exits while pyflame sleeps: the sleep ends at once, but the
 * spin that follows (short) runs on to the deadline, whose tick finds the
 * target gone. */
static void target_exits_during_a_sleep(void **state)
{
    (void)state;
    struct world w;
    world_init(&w, 0);
    w.exit_at = 1;
    assert_false(pacer_wait_until(&w.pacer, 10 * MS));
    assert_int_equal(w.waits, 1);
    assert_int_equal(w.now, 5 * MS);
    /* Gone before a wait: none is made. */
    assert_false(pacer_wait_until(&w.pacer, 20 * MS));
    assert_int_equal(w.waits, 1);

    world_init(&w, 0);
    w.exit_at = 1;
    w.read_cost_ns = 1 * US;
    pacer_await_tick(&w.pacer, 100 * US, 100 * US, 0, false);
    assert_int_equal(w.waits, 1);
    assert_true(w.now >= 100 * US);
    assert_int_equal(w.pacer.wake_late_ns, 0); /* cut short: nothing learnt */
}

/* Waiting called off (pyflame stops, an exec to follow): no wait, and a
 * spin under way stops too. */
static void waiting_called_off(void **state)
{
    (void)state;
    struct world w;
    world_init(&w, 0);
    w.called_off = true;
    w.read_cost_ns = 1 * US;
    assert_false(pacer_wait_until(&w.pacer, 10 * MS));
    pacer_await_tick(&w.pacer, 100 * US, 100 * US, 0, false);
    assert_int_equal(w.waits, 0);
    assert_true(w.now < 100 * US);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(deadlines_stay_on_the_grid),
        cmocka_unit_test(start_reads_the_clock),
        cmocka_unit_test(slow_rates_sleep_to_the_deadline),
        cmocka_unit_test(lateness_is_learnt),
        cmocka_unit_test(the_rest_is_spun),
        cmocka_unit_test(lateness_is_capped),
        cmocka_unit_test(events_during_a_sleep),
        cmocka_unit_test(fast_rates_do_not_sleep),
        cmocka_unit_test(target_exits_during_a_sleep),
        cmocka_unit_test(waiting_called_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
