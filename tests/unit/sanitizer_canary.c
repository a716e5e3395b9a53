/* sanitizer_canary: one deliberate error per build (CANARY_*), which the
 * sanitizers must report.  Proves the _asan unit tests run instrumented. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    (void)argv;
#if defined(CANARY_heap_overflow)
    char *p = malloc(8);
    memset(p, 0, 8 + (size_t)argc); /* one byte too many */
    printf("%d\n", p[0]);
    free(p);
#elif defined(CANARY_signed_overflow)
    volatile int big = INT_MAX;
    printf("%d\n", big + argc);
#elif defined(CANARY_leak)
    char *volatile p = malloc(64);
    p[0] = (char)argc;
    p = NULL;
    puts("canary: 64 bytes leaked, LeakSanitizer must say so at exit");
    return 0;
#endif
    puts("canary survived: the sanitizer did not stop it");
    return 0;
}
