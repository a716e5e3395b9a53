/* The monotonic clock and absolute-deadline sleep the bench helpers share:
 * deadlines, as pyflame's sampling loop keeps them, do not drift with the
 * time each turn takes. */
#ifndef PYFLAME_BENCH_CLOCK_H
#define PYFLAME_BENCH_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static inline void sleep_until(uint64_t when)
{
    struct timespec ts = {(time_t)(when / 1000000000ull), (long)(when % 1000000000ull)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0)
        ;
}

#endif
