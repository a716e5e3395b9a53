/* The stack walker shared by every ABI plugin: finds the interpreter,
 * its threads and their frames using only the offsets of a layout table.
 * Installed as libpyflame-abi.a, which other people's plugins link: every
 * name it defines (these, and those of the walker's own modules) begins
 * with pyflame_. */
#ifndef PYFLAME_ABI_WALKER_H
#define PYFLAME_ABI_WALKER_H

#include <stddef.h>
#include <stdint.h>

#include <pyflame/pyflame.h>

#include "layout.h"

/* Bounds on what a sample may hold; the target is not trusted. */
#define WALK_MAX_DEPTH 4096     /* frames per thread; deeper stacks are cut */
#define WALK_MAX_THREADS 1024   /* threads per interpreter */
#define WALK_MAX_INTERPRETERS 64
#define WALK_MAX_FRAMES 65536   /* frames per sample, all threads together */

void *pyflame_walker_open(const struct py_layout *layout, const pyflame_host *host,
                          int *status, char *err, size_t errlen);
int pyflame_walker_sample(void *state, uint32_t flags, pyflame_sample *out);
void pyflame_walker_close(void *state);

#endif
