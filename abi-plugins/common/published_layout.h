/* The layout a CPython release publishes about itself (3.13+: the
 * _Py_DebugOffsets table at the start of _PyRuntime), followed in place of
 * a plugin's compiled-in offsets; and the check that a layout, compiled in
 * or published, fits the walker's reads. */
#ifndef PYFLAME_ABI_PUBLISHED_LAYOUT_H
#define PYFLAME_ABI_PUBLISHED_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include <pyflame/pyflame.h>

#include "layout.h"

/* Reads the table at `runtime` in the target and sets each field of *l
 * that l->published lists from it, after checking the table's version (and
 * build: free-threaded or not) against l's and every value against the
 * size of its structure.  Nothing to do where l publishes nothing.  The
 * result is as yet unchecked: pyflame_layout_sound() next.
 * PYFLAME_OK, or UNSUPPORTED / READ with the reason in err[]. */
int pyflame_layout_follow_published(struct py_layout *l, const pyflame_host *h,
                                    uint64_t runtime, char *err, size_t errlen);

/* Does every field the walker reads lie inside the bytes it reads of its
 * structure, and those within its buffers?  PYFLAME_OK or UNSUPPORTED. */
int pyflame_layout_sound(const struct py_layout *l, char *err, size_t errlen);

#endif
