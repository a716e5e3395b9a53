/* test_utf8: pyflame_utf8_encode (abi-plugins/common/pystring.c).
 *
 * Known vectors at every length boundary, then every code point up to
 * U+10FFFF compared with glibc's own encoder (wcrtomb in C.UTF-8).  Lone
 * surrogates and values past U+10FFFF must come out as U+FFFD, and nothing
 * may be written past the length returned. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <locale.h>
#include <string.h>
#include <wchar.h>

#include "pystring.h"

#define SENTINEL 0x5a

static void expect(uint32_t cp, const char *bytes)
{
    char out[8];
    memset(out, SENTINEL, sizeof out);
    size_t n = pyflame_utf8_encode(cp, out);
    size_t want = strlen(bytes);
    if (n != want || memcmp(out, bytes, want) != 0)
        fail_msg("U+%04X: got %zu bytes, want %zu", (unsigned)cp, n, want);
    for (size_t i = n; i < sizeof out; i++)
        assert_int_equal((unsigned char)out[i], SENTINEL);
}

static void length_boundaries(void **state)
{
    (void)state;
    char nul[1] = {1};
    assert_int_equal(pyflame_utf8_encode(0, nul), 1);
    assert_int_equal(nul[0], 0);
    expect(0x41, "A");
    expect(0x7F, "\x7f");
    expect(0x80, "\xc2\x80");
    expect(0xE9, "\xc3\xa9");
    expect(0x7FF, "\xdf\xbf");
    expect(0x800, "\xe0\xa0\x80");
    expect(0x20AC, "\xe2\x82\xac");
    expect(0xD7FF, "\xed\x9f\xbf");
    expect(0xE000, "\xee\x80\x80");
    expect(0xFFFD, "\xef\xbf\xbd");
    expect(0xFFFF, "\xef\xbf\xbf");
    expect(0x10000, "\xf0\x90\x80\x80");
    expect(0x1F600, "\xf0\x9f\x98\x80");
    expect(0x10FFFF, "\xf4\x8f\xbf\xbf");
}

static void invalid_code_points(void **state)
{
    (void)state;
    static const uint32_t invalid[] = {
        0xD800, 0xDBFF, 0xDC00, 0xDFFF,               /* surrogates */
        0x110000, 0x1FFFFF, 0x200000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
    };
    for (size_t i = 0; i < sizeof invalid / sizeof *invalid; i++)
        expect(invalid[i], "\xef\xbf\xbd");
}

static void every_code_point_matches_glibc(void **state)
{
    (void)state;
    if (!setlocale(LC_CTYPE, "C.UTF-8"))
        fail_msg("no C.UTF-8 locale to compare with");
    unsigned long refused = 0;
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        char want[MB_LEN_MAX], got[8];
        mbstate_t st;
        memset(&st, 0, sizeof st);
        size_t wn = wcrtomb(want, (wchar_t)cp, &st);
        if (wn == (size_t)-1) { /* glibc refuses exactly the surrogates */
            assert_true(cp >= 0xD800 && cp <= 0xDFFF);
            memcpy(want, "\xef\xbf\xbd", 3);
            wn = 3;
            refused++;
        }
        memset(got, SENTINEL, sizeof got);
        size_t n = pyflame_utf8_encode(cp, got);
        if (n != wn || memcmp(got, want, n) != 0)
            fail_msg("U+%04X: differs from glibc", (unsigned)cp);
        assert_int_equal((unsigned char)got[n], SENTINEL);
    }
    assert_int_equal(refused, 0x800);
    setlocale(LC_CTYPE, "C");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(length_boundaries),
        cmocka_unit_test(invalid_code_points),
        cmocka_unit_test(every_code_point_matches_glibc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
