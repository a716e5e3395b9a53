/* Where the target's interpreter is, and which thread holds its GIL: the
 * runtime's anchors (symbols), found once, then the interpreter list and
 * the GIL read through them at each sample. */
#ifndef PYFLAME_ABI_INTERPRETER_H
#define PYFLAME_ABI_INTERPRETER_H

#include <stddef.h>
#include <stdint.h>

#include <pyflame/pyflame.h>

#include "layout.h"

/* The runtime's anchors: addresses in the target, 0 where absent. */
struct py_anchors {
    uint64_t runtime;        /* &_PyRuntime, 0 before 3.7 */
    uint64_t interp_head;    /* &interp_head (2.7, 3.6), 0 if absent */
    uint64_t tstate_current; /* &_PyThreadState_Current (2.7, 3.6) */
};

/* Finds the anchors of the release `l` describes in the target, and
 * checks that it is that release as far as the target tells.  PYFLAME_OK,
 * or a status with the reason in err[]: UNSUPPORTED (another release),
 * NOT_READY (its runtime not loaded yet), READ. */
int pyflame_anchors_find(const struct py_layout *l, const pyflame_host *h,
                         struct py_anchors *a, char *err, size_t errlen);

/* Is the interpreter initialised?  PYFLAME_OK, or NOT_READY or READ with
 * the reason in err[]. */
int pyflame_anchors_ready(const struct py_layout *l, const pyflame_host *h,
                          const struct py_anchors *a, char *err, size_t errlen);

/* The first interpreter into *interp: from _PyRuntime, from interp_head,
 * or else from the thread holding the GIL (0 when none does).  0, or -1
 * if it cannot be read. */
int pyflame_first_interpreter(const struct py_layout *l, const struct py_anchors *a,
                              const pyflame_host *h, uint64_t *interp);

/* The thread holding the GIL of interpreter `interp` into *holder, 0 if it
 * is free; where that GIL is into *at unless NULL (0: found by
 * tstate_current).  PYFLAME_OK or PYFLAME_ERR_READ. */
int pyflame_gil_holder(const struct py_layout *l, const struct py_anchors *a,
                       const pyflame_host *h, uint64_t interp, uint64_t *holder, uint64_t *at);

/* Is the GIL of interpreter `interp` off, as a free-threaded build keeps
 * it unless told otherwise (PYTHON_GIL=1), so that every thread may run
 * Python at once?  1: off, 0: on (or every build has one), or
 * PYFLAME_ERR_READ. */
int pyflame_gil_off(const struct py_layout *l, const pyflame_host *h, uint64_t interp);

/* Do all the interpreters after `interp` share its GIL, at `gil`?  Always
 * before 3.12; since, one made with its own GIL runs its threads beside
 * the main GIL's holder.  0: yes, 1: no, or PYFLAME_ERR_READ. */
int pyflame_gils_differ(const struct py_layout *l, const pyflame_host *h, uint64_t interp,
                        uint64_t gil);

#endif
