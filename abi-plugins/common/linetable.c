#include "linetable.h"

/* 3.11+ location table (Objects/locations.md in CPython): a sequence of
 * entries, each starting with a byte whose top bit is set, holding a 4-bit
 * kind and the entry's length in code units (2-byte _Py_CODEUNITs). */
/* Kinds 0-9 are the short form: same line, one byte of columns. */
enum {
    LOC_ONE_LINE0 = 10,  /* 10-12: line += kind - 10, two column bytes */
    LOC_ONE_LINE2 = 12,
    LOC_NO_COLUMNS = 13, /* line delta as signed varint */
    LOC_LONG = 14,       /* line delta, end line, column, end column */
    LOC_NONE = 15,       /* no location */
};

struct cursor {
    const uint8_t *p, *end;
    int bad;
};

static unsigned read_byte(struct cursor *c)
{
    if (c->p >= c->end) {
        c->bad = 1;
        return 0;
    }
    return *c->p++;
}

/* Varints of 6-bit chunks, bit 6 set means "more follows". */
static uint32_t read_varint(struct cursor *c)
{
    unsigned b = read_byte(c);
    uint32_t value = b & 63;
    unsigned shift = 6;
    while ((b & 64) && !c->bad) {
        b = read_byte(c);
        if (shift < 32)
            value |= (uint32_t)(b & 63) << shift;
        shift += 6;
    }
    return value;
}

static int32_t read_svarint(struct cursor *c)
{
    uint32_t u = read_varint(c);
    return (u & 1) ? -(int32_t)(u >> 1) : (int32_t)(u >> 1);
}

static int locations_line(const uint8_t *table, size_t len, int firstlineno,
                          long offset)
{
    struct cursor c = {table, table + len, 0};
    long target = offset / 2; /* in code units */
    long addr = 0;
    long line = firstlineno;

    while (c.p < c.end && !c.bad) {
        unsigned first = read_byte(&c);
        if (!(first & 0x80))
            return 0; /* not at an entry boundary: corrupt */
        unsigned kind = (first >> 3) & 15;
        long length = (first & 7) + 1;
        int has_line = 1;

        if (kind == LOC_NONE) {
            has_line = 0;
        } else if (kind == LOC_LONG) {
            line += read_svarint(&c);
            read_varint(&c); /* end line delta */
            read_varint(&c); /* column + 1 */
            read_varint(&c); /* end column + 1 */
        } else if (kind == LOC_NO_COLUMNS) {
            line += read_svarint(&c);
        } else if (kind >= LOC_ONE_LINE0 && kind <= LOC_ONE_LINE2) {
            line += kind - LOC_ONE_LINE0;
            read_byte(&c);
            read_byte(&c);
        } else {
            read_byte(&c); /* short form: column information only */
        }
        if (c.bad)
            return 0;
        if (target < addr + length)
            return has_line && line > 0 && line <= INT32_MAX ? (int)line : 0;
        addr += length;
    }
    return 0;
}

/* 2.7-3.9 co_lnotab: (address increment, line increment) byte pairs; the
 * line increment is signed from 3.6 on (Objects/lnotab_notes.txt). */
static int lnotab_line(const uint8_t *table, size_t len, int firstlineno,
                       long offset, int signed_lines)
{
    long line = firstlineno, addr = 0;
    for (size_t i = 0; i + 1 < len; i += 2) {
        addr += table[i];
        if (addr > offset)
            break;
        line += signed_lines ? (int8_t)table[i + 1] : table[i + 1];
    }
    return line > 0 && line <= INT32_MAX ? (int)line : 0;
}

/* 3.10 co_linetable: (length in bytes, signed line delta) byte pairs; a
 * delta of -128 means the range has no line. */
static int linetable_310_line(const uint8_t *table, size_t len, int firstlineno,
                              long offset)
{
    long line = firstlineno, start = 0;
    for (size_t i = 0; i + 1 < len; i += 2) {
        long end = start + table[i];
        int8_t delta = (int8_t)table[i + 1];
        int has_line = delta != -128;
        if (has_line)
            line += delta;
        if (offset >= start && offset < end)
            return has_line && line > 0 && line <= INT32_MAX ? (int)line : 0;
        start = end;
    }
    return 0;
}

int pyflame_py_line_for_offset(enum py_line_format format, const uint8_t *table,
                               size_t len, int firstlineno, long offset)
{
    if (offset < 0)
        return firstlineno > 0 ? firstlineno : 0;
    if (!table)
        return 0;
    switch (format) {
    case PY_LINES_LNOTAB_UNSIGNED:
        return lnotab_line(table, len, firstlineno, offset, 0);
    case PY_LINES_LNOTAB:
        return lnotab_line(table, len, firstlineno, offset, 1);
    case PY_LINES_310:
        return linetable_310_line(table, len, firstlineno, offset);
    case PY_LINES_LOCATIONS:
        return locations_line(table, len, firstlineno, offset);
    }
    return 0;
}
