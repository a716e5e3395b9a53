/* The floor under pyflame's stop mode: what stopping a process and letting
 * it go again costs it, with nothing read.
 *
 *     stop_floor [HZ [SECONDS [ROUNDS]]]      (default 1000 1 5)
 *
 * A child counts in a loop.  In turns, it runs alone for SECONDS, then for
 * SECONDS under a tracer that stops it HZ times a second the way pyflame
 * does (PTRACE_INTERRUPT, wait, PTRACE_CONT).  Prints the loss of counting
 * speed under the stops, the median of ROUNDS pairs.  Whatever pyflame
 * loses the target beyond this is its own. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ROUNDS 64

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void sleep_until(double when)
{
    double d = when - now();
    if (d > 0) {
        struct timespec ts = {(time_t)d, (long)((d - (double)(time_t)d) * 1e9)};
        nanosleep(&ts, NULL);
    }
}

/* Counts per second of a fresh child over `seconds`, stopped `hz` times a
 * second if `stop`; -1 on failure. */
static double rate(volatile unsigned long *counter, int hz, double seconds, int stop)
{
    *counter = 0;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0)
        for (;;)
            (*counter)++;
    double result = -1;
    if (stop && ptrace(PTRACE_SEIZE, pid, 0, 0) != 0) {
        perror("stop_floor: PTRACE_SEIZE");
        goto out;
    }
    double start = now(), next = start;
    unsigned long first = *counter;
    while (now() - start < seconds) {
        if (stop) {
            int status;
            ptrace(PTRACE_INTERRUPT, pid, 0, 0);
            while (waitpid(pid, &status, WNOHANG | __WALL) == 0)
                ;
            ptrace(PTRACE_CONT, pid, 0, 0);
        }
        next += 1.0 / hz;
        sleep_until(next);
    }
    result = (double)(*counter - first) / (now() - start);
out:
    kill(pid, SIGKILL);
    waitpid(pid, NULL, __WALL);
    return result;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int hz = argc > 1 ? atoi(argv[1]) : 1000;
    double seconds = argc > 2 ? atof(argv[2]) : 1.0;
    int rounds = argc > 3 ? atoi(argv[3]) : 5;
    if (hz <= 0 || seconds <= 0 || rounds <= 0 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "usage: stop_floor [HZ [SECONDS [ROUNDS (1-%d)]]]\n", MAX_ROUNDS);
        return 2;
    }
    volatile unsigned long *counter = mmap(NULL, sizeof *counter, PROT_READ | PROT_WRITE,
                                           MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (counter == MAP_FAILED) {
        perror("stop_floor: mmap");
        return 1;
    }
    double loss[MAX_ROUNDS];
    for (int i = 0; i < rounds; i++) {
        double alone = rate(counter, hz, seconds, 0);
        double stopped = rate(counter, hz, seconds, 1);
        if (alone <= 0 || stopped < 0)
            return 1;
        loss[i] = 1 - stopped / alone;
    }
    qsort(loss, (size_t)rounds, sizeof *loss, by_value);
    printf("stop floor %.1f%%\n", 100 * loss[rounds / 2]);
    return 0;
}
