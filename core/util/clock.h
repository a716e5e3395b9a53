/* The time of a clock in nanoseconds, as one number: the core's deadlines
 * and timeouts (CLOCK_MONOTONIC), and a profile's start in an output plugin
 * (CLOCK_REALTIME, the clock of pyflame_sample.time_ns). */
#ifndef PYFLAME_CLOCK_H
#define PYFLAME_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t now_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif
