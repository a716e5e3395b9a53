/* The floor under pyflame's stop mode: what stopping a process and letting
 * it go again costs it, with nothing read.
 *
 *     stop_floor [HZ [SECONDS]]      (default 1000 5)
 *
 * A child counts in a loop for SECONDS, traced.  In turns of PHASE_NS, the
 * tracer stops it HZ times a second the way pyflame does (PTRACE_INTERRUPT,
 * wait, PTRACE_CONT), or leaves it alone.  Each stopping turn gives the
 * child's counting speed in the turns alone just before and after it over
 * its speed in that turn; prints the median of those, less one, then what
 * each step of a stop took the tracer on average.  Turns
 * this short see the same machine, whose speed drifts by several percent
 * from one second to the next (tests/bench/slowdown.py measures pyflame
 * the same way).  Whatever pyflame loses the target beyond this is its
 * own. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_clock.h"

#define PHASE_NS 20000000ull
#define MAX_PHASES 100000

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int hz = argc > 1 ? atoi(argv[1]) : 1000;
    double seconds = argc > 2 ? atof(argv[2]) : 5.0;
    size_t nphases = (size_t)(seconds * 1e9 / (double)PHASE_NS);
    if (hz <= 0 || hz > 100000 || nphases < 3 || nphases > MAX_PHASES) {
        fprintf(stderr, "usage: stop_floor [HZ (1-100000) [SECONDS (0.06-2000)]]\n");
        return 2;
    }
    volatile unsigned long *counter = mmap(NULL, sizeof *counter, PROT_READ | PROT_WRITE,
                                           MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    double *speed = calloc(nphases, sizeof *speed), *ratio = calloc(nphases, sizeof *ratio);
    if (counter == MAP_FAILED || !speed || !ratio) {
        perror("stop_floor");
        return 1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("stop_floor: fork");
        return 1;
    }
    if (pid == 0)
        for (;;)
            (*counter)++;
    int rc = 1;
    if (ptrace(PTRACE_SEIZE, pid, 0, 0) != 0) {
        perror("stop_floor: PTRACE_SEIZE");
        goto out;
    }
    uint64_t interval = 1000000000ull / (uint64_t)hz;
    /* Nanoseconds in each step of a stop, summed: interrupt, wait, continue. */
    uint64_t step_ns[3] = {0, 0, 0}, stops = 0;
    uint64_t start = now_ns(), next = start;
    unsigned long count = *counter;
    /* Even turns stop the child, odd ones leave it alone. */
    for (size_t k = 0; k < nphases; k++) {
        uint64_t end = start + (k + 1) * PHASE_NS;
        for (; next < end; next += interval) {
            sleep_until(next);
            if (k % 2)
                continue;
            int status;
            uint64_t t0 = now_ns();
            ptrace(PTRACE_INTERRUPT, pid, 0, 0);
            uint64_t t1 = now_ns();
            while (waitpid(pid, &status, WNOHANG | __WALL) == 0)
                ;
            uint64_t t2 = now_ns();
            ptrace(PTRACE_CONT, pid, 0, 0);
            step_ns[0] += t1 - t0;
            step_ns[1] += t2 - t1;
            step_ns[2] += now_ns() - t2;
            stops++;
        }
        sleep_until(end);
        unsigned long c = *counter;
        speed[k] = (double)(c - count);
        count = c;
    }
    size_t n = 0;
    for (size_t k = 2; k + 1 < nphases; k += 2)
        if (speed[k] > 0)
            ratio[n++] = (speed[k - 1] + speed[k + 1]) / 2 / speed[k];
    if (n == 0) {
        fprintf(stderr, "stop_floor: the child never counted\n");
        goto out;
    }
    qsort(ratio, n, sizeof *ratio, by_value);
    printf("stop floor %.1f%%\n", 100 * (ratio[n / 2] - 1));
    if (stops > 0) {
        double us = 1e-3 / (double)stops; /* from ns summed to us a stop */
        printf("a stop takes the tracer %.1f us: interrupt %.1f, wait %.1f, continue %.1f\n",
               (double)(step_ns[0] + step_ns[1] + step_ns[2]) * us, (double)step_ns[0] * us,
               (double)step_ns[1] * us, (double)step_ns[2] * us);
    }
    rc = 0;
out:
    kill(pid, SIGKILL);
    waitpid(pid, NULL, __WALL);
    return rc;
}
