#include "text.h"

#include <inttypes.h>

size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
    unsigned c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    /* Continuation bytes cannot start a character; 0xc0, 0xc1 and 0xf5
     * up could only start overlong or out-of-range sequences. */
    size_t len = c < 0xc2 ? 0 : c <= 0xdf ? 2 : c <= 0xef ? 3 : c <= 0xf4 ? 4 : 0;
    if (!len)
        return 0;
    static const uint32_t min_of[] = {0, 0, 0x80, 0x800, 0x10000};
    uint32_t v = c & (0x7fu >> len), min = min_of[len];
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) /* also stops at the terminating NUL */
            return 0;
        v = (v << 6) | (s[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return len;
}

void json_put_string(FILE *out, const char *str)
{
    const unsigned char *p = (const unsigned char *)str;
    putc('"', out);
    while (*p) {
        unsigned char b = *p;
        uint32_t cp;
        size_t n;
        if (b == '"' || b == '\\') {
            putc('\\', out);
            putc(b, out);
            p++;
        } else if (b < 0x20) {
            switch (b) {
            case '\b': fputs("\\b", out); break;
            case '\f': fputs("\\f", out); break;
            case '\n': fputs("\\n", out); break;
            case '\r': fputs("\\r", out); break;
            case '\t': fputs("\\t", out); break;
            default: fprintf(out, "\\u%04x", b); break;
            }
            p++;
        } else if ((n = utf8_next(p, &cp)) != 0) {
            fwrite(p, 1, n, out);
            p += n;
        } else {
            fputs("\\ufffd", out);
            p++;
        }
    }
    putc('"', out);
}

/* A name, with the characters that would break the format replaced. */
static void folded_put_name(FILE *out, const char *s)
{
    for (; *s; s++)
        putc(*s == ';' || *s == '\n' || *s == '\r' ? '_' : *s, out);
}

void folded_put_frame(FILE *out, const pyflame_frame *f, int lines)
{
    if (f->flags & PYFLAME_FRAME_LABEL) {
        folded_put_name(out, f->name);
        return;
    }
    folded_put_name(out, f->file);
    putc(':', out);
    folded_put_name(out, f->name);
    if (lines)
        fprintf(out, ":%" PRIu32, f->line);
}
