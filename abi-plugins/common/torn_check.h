/* --nonblocking: tells a stack read from a running target, frame by frame,
 * from one that mixes two moments of it.  A walk notes each frame it reads;
 * the check then reads them all again, in one batch that ends with where
 * the thread's stack ends, and keeps the stack only if nothing it depends
 * on moved. */
#ifndef PYFLAME_ABI_TORN_CHECK_H
#define PYFLAME_ABI_TORN_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "layout.h"
#include "read_cache.h"

struct torn_check;

/* A check that reads through `lines` (the walker's cache: the check
 * refreshes its lines); NULL without memory. */
struct torn_check *pyflame_torn_check_new(const struct py_layout *l, size_t frame_size,
                                          struct read_cache *lines);
void pyflame_torn_check_free(struct torn_check *t);

/* A walk begins from a thread state whose frame field holds `anchor`. */
void pyflame_torn_begin(struct torn_check *t, uint64_t anchor);

/* The walk read frame v at fp, below those noted since it began. */
void pyflame_torn_note(struct torn_check *t, uint64_t fp, const struct frame_view *v);

/* The frames noted so far had returned: the stack begins at the next. */
void pyflame_torn_restart(struct torn_check *t);

/* Frames noted since the walk (re)started; the first is the leaf, which
 * runs on: its live slots are not compared. */
size_t pyflame_torn_noted(const struct torn_check *t);

/* Checks the walk of thread state `tstate` noted since it began:
 * PYFLAME_OK, PYFLAME_ERR_TORN if it mixed two moments, or
 * PYFLAME_ERR_READ if it was too deep to check. */
int pyflame_torn_check(struct torn_check *t, uint64_t tstate);

#endif
