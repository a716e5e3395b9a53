/* Pacing of the sampling loop: when each tick is due, and the sleeps and
 * spins until then, the target's events handled meanwhile.  Ticks come on
 * absolute deadlines (start + k * interval); a sleep that ends late is
 * learnt from, so that the next ends early by as much and spins the rest.
 * The clock and the waiting are passed in (struct ns_clock, struct
 * target_events): session.c lends the real ones, unit tests fakes. */
#ifndef PYFLAME_PACING_H
#define PYFLAME_PACING_H

#include <stdbool.h>
#include <stdint.h>

#include "clock.h" /* now_ns(), the real clock */

/* A clock of nanoseconds that never goes back: the seam through which
 * unit tests give pacing and the stop policy a clock of their own. */
struct ns_clock {
    uint64_t (*now_ns)(void *ctx);
    void *ctx;
};

/* CLOCK_MONOTONIC. */
extern const struct ns_clock monotonic_clock;

static inline uint64_t clock_now(const struct ns_clock *c)
{
    return c->now_ns(c->ctx);
}

/* The target's events, which pacing handles while it waits: a thread
 * that received a signal stays stopped until we let it go, so waiting for
 * the next tick would delay its signals. */
struct target_events {
    void *ctx;
    /* Handles the events, waiting up to timeout_ns for some to come (0:
     * only those already there).  True if the wait ended by its timeout. */
    bool (*handle)(void *ctx, uint64_t timeout_ns);
    /* Is waiting pointless now: pyflame is to stop, or the target called
     * exec and its new program is to be looked at at once? */
    bool (*called_off)(void *ctx);
    /* Has the target exited?  A sleep ends then; a spin, a few
     * microseconds, runs on to its tick, which finds the target gone. */
    bool (*exited)(void *ctx);
};

struct pacer {
    struct ns_clock clock;
    struct target_events events;
    uint64_t wake_late_ns;      /* how late sleeps end: an average */
    uint64_t events_checked_ns; /* when the events were last handled */
};

void pacer_init(struct pacer *p, struct ns_clock clock, struct target_events events);

/* Sampling begins: asks the kernel for sleeps that end on time, and
 * returns now, the first tick's deadline. */
uint64_t pacer_start(struct pacer *p);

/* The deadline of the tick after the one due at `last`, it being `now`:
 * deadlines already past are skipped, never made up in a burst, so the
 * rate holds over long runs without drift; none comes before `not_before`
 * (0: no such bound). */
uint64_t pacing_next_deadline(uint64_t last, uint64_t now, uint64_t interval,
                              uint64_t not_before);

/* Sleeps until `end`, handling the target's events as they come, unless
 * waiting is called off or the target exits.  Returns true if the last
 * wait ended by its timeout, at p->events_checked_ns. */
bool pacer_wait_until(struct pacer *p, uint64_t end);

/* Waits, after a tick that ended at `now`, for the tick at `deadline`.
 * Rates of MIN_SLEEP_NS and faster do not sleep at all, but handle the
 * target's events every EVENTS_CHECK_NS, unless the ticks read nothing
 * (`idle`: -t while no interpreter is found), which always sleep. */
void pacer_await_tick(struct pacer *p, uint64_t deadline, uint64_t interval, uint64_t now,
                      bool idle);

#endif
