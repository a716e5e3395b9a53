/* The line-table decoders of CPython 2.7 to 3.10 (co_lnotab, and 3.10's
 * co_linetable) against tables produced by the real interpreters, written
 * by gen_old_linetables.py: for every code object, every byte offset must
 * map to the line CPython gives it.  Plus a few hand-made tables for what
 * real ones rarely contain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "linetable.h"

static int nfiles;
static char **files;

static int parse_hex(const char *hex, uint8_t **out, size_t *len)
{
    if (strcmp(hex, "-") == 0) {
        *out = malloc(1);
        *len = 0;
        return *out ? 0 : -1;
    }
    size_t n = strlen(hex) / 2;
    *out = malloc(n ? n : 1);
    if (!*out)
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned b;
        if (sscanf(hex + 2 * i, "%2x", &b) != 1)
            return -1;
        (*out)[i] = (uint8_t)b;
    }
    *len = n;
    return 0;
}

static enum py_line_format format_named(const char *name)
{
    if (strcmp(name, "lnotab_unsigned") == 0)
        return PY_LINES_LNOTAB_UNSIGNED;
    if (strcmp(name, "lnotab") == 0)
        return PY_LINES_LNOTAB;
    if (strcmp(name, "310") == 0)
        return PY_LINES_310;
    fail_msg("unknown format '%s'", name);
    return 0;
}

/* Checks one file; returns the number of offsets compared. */
static long check_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open %s", path);
    char *line = NULL;
    size_t cap = 0;
    char fmtname[32];
    assert_true(getline(&line, &cap, f) > 0);
    assert_int_equal(sscanf(line, "format %31s", fmtname), 1);
    enum py_line_format fmt = format_named(fmtname);
    long compared = 0, codes = 0;
    while (getline(&line, &cap, f) > 0) {
        char name[256], hex[1 << 16];
        int first;
        long nbytes;
        assert_int_equal(sscanf(line, "code %255s %d %ld %65535s", name, &first, &nbytes, hex), 4);
        uint8_t *table = NULL;
        size_t len = 0;
        assert_int_equal(parse_hex(hex, &table, &len), 0);
        assert_true(getline(&line, &cap, f) > 0);
        assert_memory_equal(line, "lines ", 6);
        char *p = line + 6;
        for (long offset = 0; offset < nbytes; offset++) {
            char *end;
            long want = strtol(p, &end, 10);
            assert_true(end != p);
            p = end;
            int got = pyflame_py_line_for_offset(fmt, table, len, first, offset);
            if (got != want)
                fail_msg("%s: %s (first line %d), offset %ld: got line %d, CPython says %ld",
                         path, name, first, offset, got, want);
            compared++;
        }
        free(table);
        codes++;
    }
    free(line);
    fclose(f);
    assert_true(codes >= 10);
    return compared;
}

static void real_tables(void **state)
{
    (void)state;
    if (nfiles == 0)
        fail_msg("no table files given: nothing would be compared");
    for (int i = 0; i < nfiles; i++) {
        long n = check_file(files[i]);
        print_message("%s: %ld offsets agree\n", files[i], n);
        assert_true(n > 1000);
    }
}

/* A line increment of 0x80 or more: signed from 3.6, unsigned in 2.7. */
static void lnotab_sign_of_line_increments(void **state)
{
    (void)state;
    const uint8_t table[] = {4, 0xfe, 4, 3};
    assert_int_equal(pyflame_py_line_for_offset(PY_LINES_LNOTAB, table, sizeof table, 10, 0), 10);
    assert_int_equal(pyflame_py_line_for_offset(PY_LINES_LNOTAB, table, sizeof table, 10, 4), 8);
    assert_int_equal(pyflame_py_line_for_offset(PY_LINES_LNOTAB, table, sizeof table, 10, 8), 11);
    assert_int_equal(
        pyflame_py_line_for_offset(PY_LINES_LNOTAB_UNSIGNED, table, sizeof table, 10, 4), 264);
    /* An odd byte at the end is ignored, as CPython does. */
    const uint8_t odd[] = {4, 1, 9};
    assert_int_equal(pyflame_py_line_for_offset(PY_LINES_LNOTAB, odd, sizeof odd, 10, 100), 11);
}

/* 3.10: -128 is "no line"; zero-length entries still move the line. */
static void linetable_310_no_line_and_empty_ranges(void **state)
{
    (void)state;
    const uint8_t table[] = {4, 0, 0, 5, 2, 0x80, 6, 1};
    assert_int_equal(pyflame_py_line_for_offset(PY_LINES_310, table, sizeof table, 20, 0), 20);
    assert_int_equal(pyflame_py_line_for_offset(PY_LINES_310, table, sizeof table, 20, 4), 0);
    assert_int_equal(pyflame_py_line_for_offset(PY_LINES_310, table, sizeof table, 20, 6), 26);
    /* past the end */
    assert_int_equal(pyflame_py_line_for_offset(PY_LINES_310, table, sizeof table, 20, 12), 0);
    assert_int_equal(pyflame_py_line_for_offset(PY_LINES_310, table, 0, 20, 0), 0);
    assert_int_equal(pyflame_py_line_for_offset(PY_LINES_310, table, sizeof table, 20, -1), 20);
}

int main(int argc, char **argv)
{
    nfiles = argc - 1;
    files = argv + 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(real_tables),
        cmocka_unit_test(lnotab_sign_of_line_increments),
        cmocka_unit_test(linetable_310_no_line_and_empty_ranges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
