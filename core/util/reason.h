/* Why something failed, as one line for the caller to report: the core's
 * checks and the ABI plugins' walker say it so.  Header-only, so that the
 * walker's installed library (libpyflame-abi.a) needs nothing else and
 * defines no name of its own for it. */
#ifndef PYFLAME_REASON_H
#define PYFLAME_REASON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* Writes a one-line reason into err[errlen] for the caller to report;
 * returns -1 so that `return reason(...)` reads as a failure. */
__attribute__((format(printf, 3, 4)))
static inline int reason(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

#endif
