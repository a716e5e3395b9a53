/* What waking up costs a process on this machine: the CPU time it is
 * charged for each wake-up when it does nothing but sleep to absolute
 * deadlines, as pyflame's sampling loop does between samples.
 *
 *     wake_cost [HZ [SECONDS]]      (default 1000 5)
 *
 * The floor under pyflame's CPU per sample at a given rate: at 1 kHz a
 * sample cannot cost less than this.  The kernel may charge CPU time by
 * the tick, so short runs give rough figures; run it a few times. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>

#include "bench_clock.h"

static double seconds_of(struct timeval t)
{
    return (double)t.tv_sec + (double)t.tv_usec * 1e-6;
}

int main(int argc, char **argv)
{
    long hz = argc > 1 ? atol(argv[1]) : 1000;
    double seconds = argc > 2 ? atof(argv[2]) : 5.0;
    long wakes = (long)((double)hz * seconds);
    if (hz <= 0 || hz > 1000000 || wakes <= 0) {
        fprintf(stderr, "usage: wake_cost [HZ (1-1000000) [SECONDS]]\n");
        return 2;
    }
    prctl(PR_SET_TIMERSLACK, 1UL); /* as pyflame: wake on the deadline */
    uint64_t interval = 1000000000ull / (uint64_t)hz, next = now_ns();
    for (long k = 0; k < wakes; k++)
        sleep_until(next += interval);
    struct rusage use;
    getrusage(RUSAGE_SELF, &use);
    double user = seconds_of(use.ru_utime), sys = seconds_of(use.ru_stime);
    printf("%ld wake-ups at %ld Hz: %.1f us of CPU each (user %.3f s, system %.3f s)\n", wakes,
           hz, (user + sys) / (double)wakes * 1e6, user, sys);
    return 0;
}
