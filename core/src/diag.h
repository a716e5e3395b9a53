/* Messages to the user on stderr, all prefixed "pyflame: ". */
#ifndef PYFLAME_DIAG_H
#define PYFLAME_DIAG_H

#include "reason.h" /* reason(), for what the caller reports */

void pf_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pf_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
