/* A target that is no Python, for the benchmark's "-t of a non-Python
 * program": prints "ready", then works for argv[1] seconds, noting the
 * time (CLOCK_REALTIME, Python's time.time()) after every unit of work of
 * about half a millisecond, and prints "marks T1 T2 ..." at the end, as
 * workload.py's "marks" does (slowdown.py). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define UNIT 200000

static double now(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 1.0;
    size_t n = 0, cap = 1024;
    double *marks = malloc(cap * sizeof *marks);
    volatile unsigned long work = 0;
    if (!marks)
        return 1;
    printf("ready\n");
    fflush(stdout);
    double end = now(CLOCK_MONOTONIC) + seconds;
    while (now(CLOCK_MONOTONIC) < end) {
        for (int i = 0; i < UNIT; i++)
            work += (unsigned long)i * (unsigned long)i % 7;
        if (n == cap) {
            double *more = realloc(marks, 2 * cap * sizeof *marks);
            if (!more)
                return 1;
            marks = more;
            cap *= 2;
        }
        marks[n++] = now(CLOCK_REALTIME);
    }
    printf("marks");
    for (size_t i = 0; i < n; i++)
        printf(" %.6f", marks[i]);
    printf("\n");
    free(marks);
    return work == 1 ? 2 : 0; /* uses the work, which is never 1 */
}
