/* Messages to the user on stderr, all prefixed "pyflame: ". */
#ifndef PYFLAME_DIAG_H
#define PYFLAME_DIAG_H

#include <stddef.h>

void pf_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pf_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Writes a one-line reason into err[errlen] for the caller to report;
 * returns -1 so that `return reason(...)` reads as a failure. */
int reason(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
