/* test_command_line: a command line as the SVG title shows it
 * (command_line.c).
 *
 * Arguments are joined by single spaces; what does not fit is cut between
 * two UTF-8 characters, with nothing after the cut and no space before
 * nothing; nothing is written past the buffer.  A process's own line comes
 * from /proc, as its main() saw it; a process that is gone has none. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "command_line.h"

#define SENTINEL 0x5a
#define MAX_LEN 64

static int main_argc;
static char **main_argv;

/* command_line(0, argv) into a buffer of len bytes, with the bytes past it
 * checked untouched; the result as a string, "(null)" for NULL. */
static const char *joined(char *const argv[], size_t len)
{
    static char out[MAX_LEN + 16];
    char buf[MAX_LEN + 16];
    assert_true(len <= MAX_LEN);
    memset(buf, SENTINEL, sizeof buf);
    const char *got = command_line(0, argv, buf, len);
    for (size_t i = len; i < sizeof buf; i++)
        if (buf[i] != SENTINEL)
            fail_msg("byte %zu written, past a buffer of %zu", i, len);
    if (!got)
        return "(null)";
    assert_ptr_equal(got, buf);
    assert_true(strlen(buf) < len);
    memcpy(out, buf, strlen(buf) + 1);
    return out;
}

static void joins_with_spaces(void **state)
{
    (void)state;
    char *argv[] = {"python3", "-c", "print(1 + 2)", NULL};
    assert_string_equal(joined(argv, MAX_LEN), "python3 -c print(1 + 2)");
    char *empty_first[] = {"", "x", NULL};
    assert_string_equal(joined(empty_first, MAX_LEN), "x");
    char *empty_between[] = {"a", "", "b", "", NULL};
    assert_string_equal(joined(empty_between, MAX_LEN), "a b");
    char *none[] = {NULL};
    assert_string_equal(joined(none, MAX_LEN), "(null)");
    char *only_empty[] = {"", NULL};
    assert_string_equal(joined(only_empty, MAX_LEN), "(null)");
    char buf[1] = {SENTINEL};
    assert_null(command_line(0, argv, buf, 0));
    assert_int_equal(buf[0], SENTINEL);
}

static void cuts_to_fit(void **state)
{
    (void)state;
    char *argv[] = {"abc", "defgh", "i", NULL};
    assert_string_equal(joined(argv, 12), "abc defgh i");
    assert_string_equal(joined(argv, 11), "abc defgh");
    assert_string_equal(joined(argv, 8), "abc def");
    /* No space before nothing, nothing after a cut. */
    assert_string_equal(joined(argv, 5), "abc");
    assert_string_equal(joined(argv, 4), "abc");
    assert_string_equal(joined(argv, 3), "ab");
    assert_string_equal(joined(argv, 1), "(null)");
}

static void never_cuts_a_character(void **state)
{
    (void)state;
    /* é: 2 bytes, €: 3, 𝄞: 4. */
    char *argv[] = {"ab", "\xc3\xa9\xc3\xa9", "c", NULL};
    assert_string_equal(joined(argv, 8), "ab \xc3\xa9\xc3\xa9");
    assert_string_equal(joined(argv, 7), "ab \xc3\xa9");
    assert_string_equal(joined(argv, 6), "ab \xc3\xa9");
    assert_string_equal(joined(argv, 5), "ab");
    char *wide[] = {"\xe2\x82\xac\xf0\x9d\x84\x9e", NULL};
    for (size_t len = 1; len <= 8; len++) {
        size_t want = len > 7 ? 7 : len > 3 ? 3 : 0;
        const char *got = joined(wide, len);
        if (want == 0) {
            assert_string_equal(got, "(null)");
        } else {
            assert_int_equal(strlen(got), want);
            assert_memory_equal(got, wide[0], want);
        }
    }
}

static void reads_a_process_from_proc(void **state)
{
    (void)state;
    char want[4096] = "", buf[4096];
    for (int i = 0; i < main_argc; i++)
        snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s", i ? " " : "",
                 main_argv[i]);
    assert_string_equal(command_line(getpid(), NULL, buf, sizeof buf), want);
    /* Cut the same way. */
    char small[4];
    assert_non_null(command_line(getpid(), NULL, small, sizeof small));
    assert_memory_equal(small, want, 3);

    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0)
        _exit(0);
    assert_int_equal(waitpid(child, NULL, 0), child);
    assert_null(command_line(child, NULL, buf, sizeof buf));
}

int main(int argc, char **argv)
{
    main_argc = argc;
    main_argv = argv;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(joins_with_spaces),
        cmocka_unit_test(cuts_to_fit),
        cmocka_unit_test(never_cuts_a_character),
        cmocka_unit_test(reads_a_process_from_proc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
