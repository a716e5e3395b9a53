/* elf_nopie_helper: a non-PIE executable for test_elf.  Prints "NAME ADDRESS"
 * for a few of its symbols, then waits for its stdin to close so that the
 * test can read its /proc/PID/maps meanwhile. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

int nopie_global = 5;
static int nopie_static_var = 6;

__attribute__((noinline)) static int nopie_static_fn(void)
{
    return nopie_global + nopie_static_var;
}

int main(void)
{
    int (*fn)(void) = nopie_static_fn;
    printf("nopie_global %" PRIxPTR "\n", (uintptr_t)&nopie_global);
    printf("nopie_static_var %" PRIxPTR "\n", (uintptr_t)&nopie_static_var);
    printf("nopie_static_fn %" PRIxPTR "\n", (uintptr_t)fn);
    printf("main %" PRIxPTR "\n", (uintptr_t)main);
    printf("end\n");
    fflush(stdout);
    while (getchar() != EOF)
        continue;
    return fn() == 11 ? 0 : 1;
}
