/* Prints cpython_truth.h for the release whose headers are on the include
 * path, one "field value" line each (strings as they are, "(none)" for
 * NULL, enum constants by name): the offsets that
 * tests/fuzz/gen_walker_corpus.py lays out its seed targets with.  Built
 * and run by that script, against each release's headers. */
#include "cpython_headers.h"

#include <stdio.h>

#define TRUTH(field, value) printf("%s %ld\n", #field, (long)(value))
/* Objects are laid out whole: the most that may be read. */
#define TRUTH_WITHIN(field, lo, hi) ((void)(lo), TRUTH(field, hi))
#define TRUTH_ENUM(field, constant) printf("%s %s\n", #field, #constant)
#define TRUTH_STR(field, string) print_str(#field, (string))

static void print_str(const char *field, const char *s)
{
    printf("%s %s\n", field, s ? s : "(none)");
}

#include "cpython_truth.h"

int main(void)
{
    cpython_truth();
    return 0;
}
