/* Reading Python strings out of the target as UTF-8. */
#ifndef PYFLAME_ABI_PYSTRING_H
#define PYFLAME_ABI_PYSTRING_H

#include <stddef.h>
#include <stdint.h>

#include <pyflame/pyflame.h>

#include "layout.h"

/* Longest name kept, in characters; longer ones are cut. */
#define PY_STRING_MAX_CHARS 4096

/* Bytes of a str (layout unicode.compact_data) and of a bytes object
 * (bytes.data) read before their text, at most. */
#define PY_STR_HEAD_MAX 128
#define PY_BYTES_HEAD_MAX 64

/* Reads the str object at `addr` into a new malloc'd, NUL-terminated UTF-8
 * string.  Characters that cannot be encoded (lone surrogates) become
 * U+FFFD.  `str_type` is the address of PyUnicode_Type, or 0 to skip the
 * type check.  Returns NULL if the object cannot be read or is not a str. */
char *pyflame_py_read_string(const pyflame_host *host, const struct py_layout *layout,
                             uint64_t str_type, uint64_t addr);

/* Reads the text of a str object of the target's Python (a 3.x str, or
 * 2.7 bytes taken as UTF-8) into a new malloc'd, valid UTF-8 string, cut
 * at PY_STRING_MAX_CHARS.  NULL if it cannot be read. */
char *pyflame_py_read_text(const pyflame_host *host, const struct py_layout *layout,
                           uint64_t str_type, uint64_t addr);

/* Is the str object at `addr` (a 3.x str, or 2.7 bytes) equal to the
 * ASCII text `ascii`?  Unreadable objects and those of another type are
 * not.  Reads only the header when the lengths differ. */
int pyflame_py_text_equals(const pyflame_host *host, const struct py_layout *layout,
                           uint64_t str_type, uint64_t addr, const char *ascii);

/* Copies `len` bytes of supposed UTF-8 into a new NUL-terminated string,
 * each byte that is not part of a valid sequence (or is NUL) replaced by
 * U+FFFD. */
char *pyflame_utf8_sanitize(const uint8_t *bytes, size_t len);

/* Reads the bytes object at `addr`: its contents go to a new malloc'd
 * buffer of *len bytes.  Objects over `max_len` bytes are refused.  Returns
 * NULL on failure. */
uint8_t *pyflame_py_read_bytes(const pyflame_host *host, const struct py_layout *layout,
                               uint64_t bytes_type, uint64_t addr, size_t max_len,
                               size_t *len);

/* Appends code point `cp` to `out` as UTF-8; returns the bytes written
 * (1-4).  Invalid code points are written as U+FFFD. */
size_t pyflame_utf8_encode(uint32_t cp, char *out);

#endif
