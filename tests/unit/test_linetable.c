/* test_linetable: pyflame_py_line_for_offset on CPython 3.11+ location tables.
 *
 * The main check replays tables written by real interpreters: the data
 * files named on the command line come from gen_linetables.py (a ctest
 * fixture), and for every byte offset of every code object the decoder
 * must give the line co_lines() gives.  A missing or empty file fails.
 * Hand-written tables add what the corpus cannot: negative and
 * past-the-end offsets, truncated and corrupt tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linetable.h"

/* gen_linetables.py refuses to write fewer (x2: with and without columns). */
#define MIN_CODES_PER_FILE 50

struct code {
    char name[128];
    int firstlineno;
    uint8_t *table; /* malloc'd to exactly len bytes, so ASan sees overreads */
    size_t len;
    size_t nunits;
    int *lines; /* expected line per code unit (2-byte instruction word) */
};

static struct code *codes;
static size_t ncodes;
static char load_error[512];

static int line_at(const struct code *c, const uint8_t *table, size_t len,
                   long offset)
{
    return pyflame_py_line_for_offset(PY_LINES_LOCATIONS, table, len, c->firstlineno,
                                      offset);
}

/* ---- loading the data files ---- */

static int hex_value(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    return -1;
}

static int parse_code(const char *line, struct code *c)
{
    int at = 0;
    if (sscanf(line, "code %127s %d %zu %n", c->name, &c->firstlineno,
               &c->nunits, &at) != 3 || at == 0)
        return -1;
    const char *hex = line + at;
    size_t n = strcspn(hex, "\n");
    if (n == 1 && hex[0] == '-')
        n = 0;
    if (n % 2)
        return -1;
    c->len = n / 2;
    c->table = malloc(c->len ? c->len : 1);
    if (!c->table)
        return -1;
    for (size_t i = 0; i < c->len; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        c->table[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

static int parse_lines(const char *line, struct code *c)
{
    if (strncmp(line, "lines", 5) != 0)
        return -1;
    c->lines = calloc(c->nunits ? c->nunits : 1, sizeof *c->lines);
    if (!c->lines)
        return -1;
    const char *p = line + 5;
    for (size_t i = 0; i < c->nunits; i++) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 0 || v > INT32_MAX)
            return -1;
        c->lines[i] = (int)v;
        p = end;
    }
    return strspn(p, " \n") == strlen(p) ? 0 : -1;
}

static int load_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(load_error, sizeof load_error, "cannot open %s", path);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0, before = ncodes;
    int rc = 0;
    while (rc == 0 && getline(&line, &cap, f) > 0) {
        if (line[0] == '#')
            continue;
        struct code *v = realloc(codes, (ncodes + 1) * sizeof *codes);
        if (!v) {
            rc = -1;
            break;
        }
        codes = v;
        struct code *c = &codes[ncodes++];
        *c = (struct code){0};
        rc = parse_code(line, c);
        if (rc == 0)
            rc = getline(&line, &cap, f) > 0 ? parse_lines(line, c) : -1;
    }
    free(line);
    fclose(f);
    if (rc != 0)
        snprintf(load_error, sizeof load_error, "%s: malformed entry %zu",
                 path, ncodes - before);
    else if (ncodes - before < MIN_CODES_PER_FILE)
        snprintf(load_error, sizeof load_error,
                 "%s: only %zu code objects", path, ncodes - before), rc = -1;
    return rc;
}

static void free_codes(void)
{
    for (size_t i = 0; i < ncodes; i++) {
        free(codes[i].table);
        free(codes[i].lines);
    }
    free(codes);
}

static void require_data(void)
{
    if (load_error[0])
        fail_msg("linetable data: %s", load_error);
    assert_true(ncodes > 0);
}

/* ---- an independent walk over the entries, for coverage checks ---- */

/* Steps over the entry at *pos; its kind and length in code units are
 * returned.  -1 if the entry is cut short or not at an entry boundary. */
static int next_entry(const uint8_t *t, size_t len, size_t *pos,
                      unsigned *kind, unsigned *units)
{
    size_t p = *pos;
    if (p >= len || !(t[p] & 0x80))
        return -1;
    *kind = (t[p] >> 3) & 15;
    *units = (t[p] & 7) + 1u;
    p++;
    unsigned varints = *kind == 13 ? 1 : *kind == 14 ? 4 : 0;
    size_t bytes = *kind < 10 ? 1 : *kind < 13 ? 2 : 0;
    for (unsigned k = 0; k < varints; k++) {
        while (p < len && (t[p] & 64))
            p++;
        if (p++ >= len)
            return -1;
    }
    if (p + bytes > len)
        return -1;
    *pos = p + bytes;
    return 0;
}

/* ---- tests over real tables ---- */

static void real_tables_agree_with_co_lines(void **state)
{
    (void)state;
    require_data();
    size_t checked = 0;
    for (size_t i = 0; i < ncodes; i++) {
        const struct code *c = &codes[i];
        for (size_t u = 0; u < c->nunits; u++) {
            for (long odd = 0; odd < 2; odd++) {
                int got = line_at(c, c->table, c->len, (long)(2 * u) + odd);
                if (got != c->lines[u])
                    fail_msg("%s (firstlineno %d): offset %ld: line %d, "
                             "CPython says %d", c->name, c->firstlineno,
                             (long)(2 * u) + odd, got, c->lines[u]);
                checked++;
            }
        }
        /* Past the last instruction there is no line. */
        assert_int_equal(line_at(c, c->table, c->len, (long)(2 * c->nunits)), 0);
        assert_int_equal(line_at(c, c->table, c->len, 1L << 40), 0);
        /* A frame that has not started is on its first line. */
        assert_int_equal(line_at(c, c->table, c->len, -1), c->firstlineno);
        assert_int_equal(line_at(c, c->table, c->len, -2), c->firstlineno);
    }
    print_message("%zu offsets in %zu code objects agree with CPython\n",
                  checked, ncodes);
    assert_true(checked > 1000);
}

/* The corpus must exercise every entry kind, multi-chunk varints (line
 * jumps of 2048 or more, both ways) and late first lines. */
static void real_tables_cover_the_format(void **state)
{
    (void)state;
    require_data();
    unsigned long kinds[16] = {0};
    long max_up = 0, max_down = 0;
    int max_first = 0;
    for (size_t i = 0; i < ncodes; i++) {
        const struct code *c = &codes[i];
        size_t pos = 0, units = 0;
        unsigned kind, n;
        while (pos < c->len) {
            assert_int_equal(next_entry(c->table, c->len, &pos, &kind, &n), 0);
            kinds[kind]++;
            units += n;
        }
        assert_int_equal(units, c->nunits);
        int prev = 0;
        for (size_t u = 0; u < c->nunits; u++) {
            if (c->lines[u] == 0)
                continue;
            if (prev) {
                long d = (long)c->lines[u] - prev;
                max_up = d > max_up ? d : max_up;
                max_down = -d > max_down ? -d : max_down;
            }
            prev = c->lines[u];
        }
        max_first = c->firstlineno > max_first ? c->firstlineno : max_first;
    }
    for (unsigned k = 0; k < 16; k++)
        if (!kinds[k])
            fail_msg("no entry of kind %u in the corpus", k);
    assert_true(max_up >= 2048);
    assert_true(max_down >= 2048);
    assert_true(max_first > 1000);
}

/* A table cut anywhere still answers for the entries it holds whole, gives
 * 0 past them, and reads no byte beyond its end (ASan build). */
static void truncated_real_tables(void **state)
{
    (void)state;
    require_data();
    for (size_t i = 0; i < ncodes; i++) {
        const struct code *c = &codes[i];
        /* Byte just past the entry holding each unit. */
        size_t *entry_end = malloc((c->nunits ? c->nunits : 1) * sizeof *entry_end);
        assert_non_null(entry_end);
        size_t pos = 0, u = 0;
        unsigned kind, n;
        while (pos < c->len) {
            assert_int_equal(next_entry(c->table, c->len, &pos, &kind, &n), 0);
            for (unsigned k = 0; k < n && u < c->nunits; k++)
                entry_end[u++] = pos;
        }
        assert_int_equal(u, c->nunits);

        size_t cut_step = c->len > 300 ? c->len / 97 : 1;
        size_t unit_step = c->nunits > 300 ? c->nunits / 89 : 1;
        for (size_t cut = 0; cut < c->len; cut += cut_step) {
            uint8_t *t = malloc(cut ? cut : 1);
            assert_non_null(t);
            memcpy(t, c->table, cut);
            for (u = 0; u < c->nunits; u += unit_step) {
                int want = entry_end[u] <= cut ? c->lines[u] : 0;
                int got = line_at(c, t, cut, (long)(2 * u));
                if (got != want)
                    fail_msg("%s cut to %zu bytes: offset %zu: line %d, want %d",
                             c->name, cut, 2 * u, got, want);
            }
            free(t);
        }
        free(entry_end);
    }
}

/* ---- hand-written tables ---- */

#define ENTRY(kind, units) (uint8_t)(0x80 | (kind) << 3 | ((units) - 1))

/* Every kind once, firstlineno 100. */
static const uint8_t hand_table[] = {
    ENTRY(13, 1), 6,             /* no columns, +3      unit 0    -> 103 */
    ENTRY(15, 2),                /* no location         units 1-2 -> 0   */
    ENTRY(10, 1), 4, 9,          /* one line, +0        unit 3    -> 103 */
    ENTRY(14, 1), 5, 0, 1, 2,    /* long form, -2       unit 4    -> 101 */
    ENTRY(3, 3), 0x12,           /* short form, +0      units 5-7 -> 101 */
    ENTRY(12, 1), 1, 2,          /* one line, +2        unit 8    -> 103 */
    ENTRY(11, 8), 1, 2,          /* one line, +1        units 9-16 -> 104 */
    ENTRY(13, 1), 112, 93, 1,    /* +3000 (zigzag 6000, three chunks) -> 3104 */
    ENTRY(14, 1), 113, 93, 1, 0, 1, 1, /* -3000: back to 104 (unit 18) */
};
static const int hand_lines[] = {103, 0, 0, 103, 101, 101, 101, 101, 103,
                                 104, 104, 104, 104, 104, 104, 104, 104,
                                 3104, 104};

static void hand_written_table(void **state)
{
    (void)state;
    const size_t n = sizeof hand_lines / sizeof *hand_lines;
    for (size_t u = 0; u < n; u++) {
        assert_int_equal(pyflame_py_line_for_offset(PY_LINES_LOCATIONS, hand_table,
                                                    sizeof hand_table, 100, (long)(2 * u)),
                         hand_lines[u]);
        assert_int_equal(pyflame_py_line_for_offset(PY_LINES_LOCATIONS, hand_table,
                                                    sizeof hand_table, 100, (long)(2 * u + 1)),
                         hand_lines[u]);
    }
    assert_int_equal(pyflame_py_line_for_offset(PY_LINES_LOCATIONS, hand_table,
                                                sizeof hand_table, 100, (long)(2 * n)), 0);
}

static void negative_offsets_give_first_line(void **state)
{
    (void)state;
    const long offsets[] = {-1, -2, -1000, -(1L << 40)};
    for (size_t i = 0; i < sizeof offsets / sizeof *offsets; i++) {
        assert_int_equal(pyflame_py_line_for_offset(PY_LINES_LOCATIONS, hand_table,
                                                    sizeof hand_table, 100, offsets[i]), 100);
        assert_int_equal(pyflame_py_line_for_offset(PY_LINES_LOCATIONS, hand_table,
                                                    sizeof hand_table, 4321, offsets[i]), 4321);
        /* Also with an empty table. */
        assert_int_equal(pyflame_py_line_for_offset(PY_LINES_LOCATIONS, hand_table, 0, 7,
                                                    offsets[i]), 7);
    }
}

static void empty_and_corrupt_tables(void **state)
{
    (void)state;
    assert_int_equal(pyflame_py_line_for_offset(PY_LINES_LOCATIONS, hand_table, 0, 5, 0), 0);
    /* Not starting at an entry boundary. */
    static const uint8_t no_boundary[] = {0x05, ENTRY(13, 1), 2};
    assert_int_equal(pyflame_py_line_for_offset(PY_LINES_LOCATIONS, no_boundary,
                                                sizeof no_boundary, 5, 0), 0);
    /* A varint whose every byte says "more follows". */
    static const uint8_t endless[] = {ENTRY(13, 1), 0x7f, 0x7f, 0x7f, 0x7f};
    assert_int_equal(pyflame_py_line_for_offset(PY_LINES_LOCATIONS, endless,
                                                sizeof endless, 5, 0), 0);
    /* Entries whose operands are missing. */
    static const uint8_t cut_long[] = {ENTRY(14, 1), 2, 0};
    assert_int_equal(pyflame_py_line_for_offset(PY_LINES_LOCATIONS, cut_long,
                                                sizeof cut_long, 5, 0), 0);
    static const uint8_t cut_short[] = {ENTRY(2, 1)};
    assert_int_equal(pyflame_py_line_for_offset(PY_LINES_LOCATIONS, cut_short,
                                                sizeof cut_short, 5, 0), 0);
    /* A line before line 1 is no line. */
    static const uint8_t before_start[] = {ENTRY(13, 1), 21}; /* -10 */
    assert_int_equal(pyflame_py_line_for_offset(PY_LINES_LOCATIONS, before_start,
                                                sizeof before_start, 5, 0), 0);
    /* An overlong varint (more than 32 bits) must not crash. */
    static const uint8_t overlong[] = {ENTRY(13, 1), 0x7f, 0x7f, 0x7f, 0x7f,
                                       0x7f, 0x7f, 0x7f, 0x3f, ENTRY(13, 1), 2};
    int line = pyflame_py_line_for_offset(PY_LINES_LOCATIONS, overlong, sizeof overlong, 5, 2);
    assert_true(line >= 0);
}

/* Random bytes: any answer will do, as long as nothing is read out of
 * bounds (ASan build) and the answer is a line or 0. */
static void random_tables_do_not_crash(void **state)
{
    (void)state;
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (int round = 0; round < 20000; round++) {
        size_t len = (size_t)(round % 64);
        uint8_t *t = malloc(len ? len : 1);
        assert_non_null(t);
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            t[i] = (uint8_t)(x | (round & 1 ? 0x80 : 0)); /* half look valid */
        }
        int line = pyflame_py_line_for_offset(PY_LINES_LOCATIONS, t, len, 10,
                                              (long)(x % 256));
        assert_true(line >= 0);
        free(t);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2)
        snprintf(load_error, sizeof load_error,
                 "no data file given (run through ctest: gen_linetables.py "
                 "writes them)");
    for (int i = 1; i < argc && !load_error[0]; i++)
        load_file(argv[i]);

    const struct CMUnitTest tests[] = {
        cmocka_unit_test(real_tables_agree_with_co_lines),
        cmocka_unit_test(real_tables_cover_the_format),
        cmocka_unit_test(truncated_real_tables),
        cmocka_unit_test(hand_written_table),
        cmocka_unit_test(negative_offsets_give_first_line),
        cmocka_unit_test(empty_and_corrupt_tables),
        cmocka_unit_test(random_tables_do_not_crash),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    free_codes();
    return failed;
}
