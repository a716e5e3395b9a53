/* Messages to the user on stderr, all prefixed "pyflame: ". */
#ifndef PYFLAME_DIAG_H
#define PYFLAME_DIAG_H

#include "reason.h" /* reason(), for what the caller reports */
#include <stdarg.h>

void pf_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pf_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* pf_error with its arguments in a va_list. */
void pf_verror(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* pyflame_host.warn, as every plugin is lent it: pf_warn (ctx unused). */
void pf_host_warn(void *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
