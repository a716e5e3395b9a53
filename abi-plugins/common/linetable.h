/* Decoders from instruction offset to source line, one per CPython line
 * table format.  Pure functions over a copied table: unit-tested against
 * tables produced by real interpreters. */
#ifndef PYFLAME_ABI_LINETABLE_H
#define PYFLAME_ABI_LINETABLE_H

#include <stddef.h>
#include <stdint.h>

#include "layout.h"

/* The line executed at byte offset `offset` of the bytecode, or 0 when the
 * table has no line for it (or is malformed).  `firstlineno` is
 * co_firstlineno; a negative offset (a frame that has not started) maps to
 * it, as CPython does. */
int pyflame_py_line_for_offset(enum py_line_format format, const uint8_t *table,
                               size_t len, int firstlineno, long offset);

#endif
