/* Pacing of the sampling loop: deadlines, sleeps, spins and lateness
 * (pacing.h). */
#include "pacing.h"

#include <sys/prctl.h>

/* Sampling faster than this (20 kHz), pyflame does not sleep between
 * samples: waking up would cost more than the wait.  The target's events
 * are then looked at every EVENTS_CHECK_NS. */
#define MIN_SLEEP_NS 50000ull
#define EVENTS_CHECK_NS 1000000ull
/* The most a sleep before a tick ends early (sleep_until_tick). */
#define MAX_EARLY_NS 100000ull
/* Intervals from which a sleep ends at the tick, late, and spins not at
 * all (docs/performance.md). */
#define NO_SPIN_FROM_NS 1000000ull

static uint64_t monotonic_now(void *ctx)
{
    (void)ctx;
    return now_ns(CLOCK_MONOTONIC);
}

const struct ns_clock monotonic_clock = {.now_ns = monotonic_now};

void pacer_init(struct pacer *p, struct ns_clock clock, struct target_events events)
{
    *p = (struct pacer){.clock = clock, .events = events};
}

uint64_t pacer_start(struct pacer *p)
{
    /* Linux lets a sleep overrun by 50 us by default, which alone costs
     * half the samples at 10 kHz. */
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    return clock_now(&p->clock);
}

uint64_t pacing_next_deadline(uint64_t last, uint64_t now, uint64_t interval,
                              uint64_t not_before)
{
    uint64_t next = last + interval;
    if (next <= now)
        next += ((now - next) / interval + 1) * interval;
    if (not_before > next)
        next += (not_before - next + interval - 1) / interval * interval;
    return next;
}

/* Handles the target's events, waiting up to timeout_ns for some. */
static bool handle_events(struct pacer *p, uint64_t timeout_ns)
{
    bool timed_out = p->events.handle(p->events.ctx, timeout_ns);
    p->events_checked_ns = clock_now(&p->clock);
    return timed_out;
}

static bool called_off(const struct pacer *p)
{
    return p->events.called_off(p->events.ctx);
}

bool pacer_wait_until(struct pacer *p, uint64_t end)
{
    uint64_t now = clock_now(&p->clock);
    bool timed_out = false;
    while (now < end && !called_off(p) && !p->events.exited(p->events.ctx)) {
        timed_out = handle_events(p, end - now);
        now = p->events_checked_ns;
    }
    return timed_out;
}

/* Waits for the tick at `deadline`.  A sleep ends late: by tens of
 * microseconds in a VM, where the timer has to wake a virtual CPU, and
 * a tick that starts that late has less of its interval left (at 10 kHz
 * it then misses the next deadline more often).  So the sleep ends early
 * by the lateness its timeouts have shown (an average of the last few,
 * at most a quarter of the interval and MAX_EARLY_NS), and the rest is
 * spun.  From NO_SPIN_FROM_NS a late start costs no sample, while the
 * spin took a sixth of pyflame's CPU at 1 kHz: the sleep just ends late.
 * A tick never starts before its deadline: when a sample is taken must
 * not depend on how long the last one took. */
static void sleep_until_tick(struct pacer *p, uint64_t deadline, uint64_t interval)
{
    if (interval >= NO_SPIN_FROM_NS) {
        pacer_wait_until(p, deadline);
        return;
    }
    uint64_t most = interval / 4 < MAX_EARLY_NS ? interval / 4 : MAX_EARLY_NS;
    uint64_t wake = deadline - (p->wake_late_ns < most ? p->wake_late_ns : most);
    if (pacer_wait_until(p, wake) && p->events_checked_ns >= wake) {
        uint64_t late = p->events_checked_ns - wake;
        p->wake_late_ns = (p->wake_late_ns * 7 + (late < most ? late : most)) / 8;
    }
    while (clock_now(&p->clock) < deadline && !called_off(p))
        ;
}

void pacer_await_tick(struct pacer *p, uint64_t deadline, uint64_t interval, uint64_t now,
                      bool idle)
{
    if (interval >= MIN_SLEEP_NS || idle)
        sleep_until_tick(p, deadline, interval);
    else if (now - p->events_checked_ns >= EVENTS_CHECK_NS)
        handle_events(p, 0);
}
