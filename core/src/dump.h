/* -d: one sample of every thread, printed for a person. */
#ifndef PYFLAME_DUMP_H
#define PYFLAME_DUMP_H

#include <stdbool.h>
#include <stdio.h>

#include <pyflame/pyflame.h>

/* Prints `smp` (taken with every thread) as text: a heading with the
 * process and its Python, then each thread, its kernel state (states[i],
 * a letter of /proc's stat, '\0' if unknown), whether it holds the GIL
 * (unless `gil_less`: a free-threaded build), and its frames leaf first.
 * Returns 0, or -1 if writing failed. */
int dump_print(FILE *out, const pyflame_sample *smp, const char *states, int pid,
               const char *python, bool gil_less);

#endif
