/* Text for the SVG: UTF-8 clean-up, XML escaping, label fitting, numbers
 * and colours.
 *
 * Licensed under the Apache License, Version 2.0. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "../common/text.h"
#include "svg.h"

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

/* Characters XML 1.0 allows in text and attribute values. */
static int xml_char(uint32_t cp)
{
    if (cp < 0x20)
        return cp == '\t' || cp == '\n' || cp == '\r';
    return cp != 0xfffe && cp != 0xffff;
}

int svg_buf_add(struct svg_buf *b, const char *s, size_t n)
{
    if (grow_array((void **)&b->p, &b->cap, b->len + n + 1, 1) != 0)
        return -1;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

int svg_buf_add_text(struct svg_buf *b, const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    while (*u) {
        /* The longest run that can be copied as it is. */
        size_t run = 0, len;
        uint32_t cp;
        while (u[run] && (len = utf8_next(u + run, &cp)) && xml_char(cp) && cp >= 0x20)
            run += len;
        if (run && svg_buf_add(b, (const char *)u, run))
            return -1;
        u += run;
        if (!*u)
            break;
        /* One bad character: control characters (line breaks too, so that
         * a name stays on one line), or one byte of broken UTF-8. */
        len = utf8_next(u, &cp);
        if (svg_buf_add(b, replacement, 3))
            return -1;
        u += len ? len : 1;
    }
    return 0;
}

void svg_buf_free(struct svg_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

void svg_put_xml(FILE *out, const char *s, size_t n)
{
    size_t from = 0;
    for (size_t i = 0; i < n; i++) {
        const char *esc;
        switch (s[i]) {
        case '&': esc = "&amp;"; break;
        case '<': esc = "&lt;"; break;
        case '>': esc = "&gt;"; break;
        case '"': esc = "&quot;"; break;
        case '\'': esc = "&apos;"; break;
        default: continue;
        }
        fwrite(s + from, 1, i - from, out);
        fputs(esc, out);
        from = i + 1;
    }
    fwrite(s + from, 1, n - from, out);
}

/* Estimated advance of a character in the 12 px label font: East Asian
 * scripts are about square, the rest about 0.6 em. */
static double char_px(uint32_t cp)
{
    if (cp >= 0x2e80 && !(cp >= 0xd800 && cp <= 0xf8ff) && !(cp >= 0xfe70 && cp <= 0xfeff))
        return 12.0;
    if (cp == 'i' || cp == 'l' || cp == 'j' || cp == '.' || cp == ':' || cp == ' ' ||
        cp == '(' || cp == ')' || cp == '|' || cp == '\'')
        return 4.0;
    return 7.3;
}

size_t svg_label_fit(const char *s, size_t n, double px, int *whole)
{
    const unsigned char *u = (const unsigned char *)s;
    double used = 0;
    size_t i = 0;
    while (i < n) {
        uint32_t cp = 0xfffd;
        size_t len = utf8_next(u + i, &cp);
        if (!len) /* not clean: should not happen, count it as one byte */
            len = 1;
        if (used + char_px(cp) > px) {
            *whole = 0;
            return i;
        }
        used += char_px(cp);
        i += len;
    }
    *whole = 1;
    return n;
}

const char *svg_thousands(char buf[32], uint64_t v)
{
    char digits[24];
    int n = snprintf(digits, sizeof digits, "%" PRIu64, v);
    char *p = buf;
    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            *p++ = ',';
        *p++ = digits[i];
    }
    *p = '\0';
    return buf;
}

/* FNV-1a, 64 bits: the same name gives the same colour in every graph. */
static uint64_t name_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ull;
    }
    /* Mix the high bits down: the low bits of FNV alone vary little for
     * names that differ only in their last characters. */
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return h;
}

void svg_colour(char buf[32], enum svg_kind kind, const char *name)
{
    switch (kind) {
    case SVG_NODE_IDLE:
        snprintf(buf, 32, "rgb(190,190,190)");
        return;
    case SVG_NODE_FAILED:
        snprintf(buf, 32, "rgb(140,140,140)");
        return;
    case SVG_NODE_ROOT:
        snprintf(buf, 32, "rgb(236,120,60)");
        return;
    case SVG_NODE_PYTHON:
        break;
    }
    /* Warm: red high, green from dark red to orange-yellow (always well
     * below red, so never lime), little blue. */
    uint64_t h = name_hash(name);
    unsigned r = 215 + (unsigned)(h % 41);
    unsigned g = 30 + (unsigned)((h >> 16) % (r - 65));
    unsigned b = (unsigned)((h >> 40) % 56);
    snprintf(buf, 32, "rgb(%u,%u,%u)", r, g, b);
}
