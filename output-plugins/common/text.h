/* Text helpers shared by the output plugins of this tree (linked into each
 * of them; not part of the public plugin API). */
#ifndef PYFLAME_OUTPUT_TEXT_H
#define PYFLAME_OUTPUT_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <pyflame/pyflame.h>

/* Length of the valid UTF-8 sequence at s (1 to 4 bytes; s is
 * NUL-terminated) with its code point in *cp, or 0 when the bytes there
 * are not valid UTF-8. */
size_t utf8_next(const unsigned char *s, uint32_t *cp);

/* Writes str as a JSON string: quotes, backslashes and control characters
 * escaped, valid UTF-8 as is, any other byte as \ufffd. */
void json_put_string(FILE *out, const char *str);

/* Writes frame f as Uber's Pyflame's text formats do (folded,
 * timestamped): file:function:line, or file:function without `lines`; a
 * label of the core's ("thread NAME (TID)") as its name alone.  The frame
 * separator ';' and line breaks in a name become '_'. */
void folded_put_frame(FILE *out, const pyflame_frame *f, int lines);

#endif
