/* One frame of a thread's stack, read from the target as either frame
 * model lays it out (PyFrameObject, 2.7-3.10; _PyInterpreterFrame, 3.11+):
 * its code, where it is, its caller, and what --nonblocking's torn check
 * compares. */
#ifndef PYFLAME_ABI_FRAME_H
#define PYFLAME_ABI_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pyflame/pyflame.h>

#include "layout.h"

/* Bytes of one structure of the target read at once, at most. */
#define MAX_STRUCT_READ 256

struct frame_view {
    uint64_t code;   /* code object (or something else: skipped) */
    long offset;     /* byte offset of the instruction, -1 before the first */
    uint64_t next;   /* the calling frame, 0 at the root */
    bool skip;       /* not a Python frame (C-stack shim) */
    bool running;    /* runs, not suspended in a call (3.12+: stacktop -1) */
    uint64_t slots;  /* with `slots` read: a hash of its live slots */
    size_t extent;   /* bytes from the frame's start read */
};

/* Reads the frame at fp, frame_size bytes of it (what the layout's fields
 * need), into v; with `slots`, its live slots too.  PYFLAME_ERR_READ if it
 * cannot be read, or is a frame object on the free list. */
int pyflame_frame_read(const struct py_layout *l, size_t frame_size, const pyflame_host *h,
                       uint64_t fp, struct frame_view *v, bool slots);

/* The frame a thread runs, given its thread state's frame field in *fp:
 * that frame itself, or (3.11, 3.12) the cframe whose current frame it
 * is. */
int pyflame_frame_running(const struct py_layout *l, const pyflame_host *h, uint64_t *fp);

#endif
