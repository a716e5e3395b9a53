/* What a read of another process costs on this machine: process_vm_readv
 * of one or more ranges, against a sleeping child.
 *
 *     read_cost [CALLS]      (default 100000)
 *
 * Prints microseconds per call for a few shapes of batch.  pyflame's line
 * cache and batching follow from these figures: a call has a fixed price,
 * and each separate range in it adds to it, however few its bytes. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_clock.h"

#define SPAN (1 << 22)

static double now(void)
{
    return (double)now_ns() * 1e-9;
}

int main(int argc, char **argv)
{
    long calls = argc > 1 ? atol(argv[1]) : 100000;
    if (calls <= 0) {
        fprintf(stderr, "usage: read_cost [CALLS]\n");
        return 2;
    }
    char *mem = mmap(NULL, SPAN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
        perror("read_cost: mmap");
        return 1;
    }
    for (size_t i = 0; i < SPAN; i += 4096)
        mem[i] = 1; /* every page present in the child too */
    pid_t pid = fork();
    if (pid < 0) {
        perror("read_cost: fork");
        return 1;
    }
    if (pid == 0)
        for (;;)
            pause();
    static char buf[1 << 16];
    struct iovec local[32], remote[32];
    const struct { int ranges, len, stride; } shapes[] = {
        {1, 8, 0},     {1, 1024, 0},     {1, 4096, 0},      {1, 16384, 0},
        {4, 1024, 4096}, {10, 1024, 4096}, {20, 1024, 4096}, {10, 1024, 65536},
    };
    int rc = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        int n = shapes[s].ranges, len = shapes[s].len, stride = shapes[s].stride;
        for (int i = 0; i < n; i++) {
            local[i] = (struct iovec){buf + (size_t)i * (size_t)len, (size_t)len};
            remote[i] = (struct iovec){mem + (size_t)i * (size_t)stride, (size_t)len};
        }
        double t = now();
        for (long k = 0; k < calls; k++)
            if (process_vm_readv(pid, local, (unsigned long)n, remote, (unsigned long)n, 0) !=
                (ssize_t)n * len) {
                perror("read_cost: process_vm_readv");
                rc = 1;
                goto out;
            }
        t = now() - t;
        printf("%2d range%s of %5d bytes, %5d apart: %.2f us per call\n", n, n > 1 ? "s" : " ",
               len, stride, t / (double)calls * 1e6);
    }
out:
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return rc;
}
