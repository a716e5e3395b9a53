/* test_published_layout: following the layout a target publishes about
 * itself (abi-plugins/common/published_layout.c), over a made-up table of
 * this test's own in front of a host that holds nothing else.
 *
 * Offsets the target publishes replace the plugin's, less another where
 * an entry says so; a table of another release or build, a value outside
 * its structure, a structure of no or absurd size, a table that cannot be
 * read, and a result that would not fit the walker's reads are refused,
 * each with its own status and a reason; the plugin's own table is left
 * as it was when nothing is published. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "published_layout.h"

/* The made-up table: cookie, version and build flag, then two groups,
 * each a size followed by offsets. */
#define T_VERSION 8
#define T_BUILD 16
#define T_THREAD_SIZE 24
#define T_THREAD_NEXT 32
#define T_THREAD_FRAME 40
#define T_CODE_SIZE 48
#define T_CODE_START 56  /* where the bytecode begins */
#define T_CODE_NAME 64
#define T_GIL_AT 72      /* where a structure inside the thread begins */
#define T_GIL_LOCKED 80  /* ...and a field of it, from the thread's start */
#define T_LEN 88

static const struct py_published_offset PUBLISHED[] = {
    PY_PUBLISHED(tstate.next, T_THREAD_NEXT, -1, T_THREAD_SIZE),
    PY_PUBLISHED(tstate.frame, T_THREAD_FRAME, -1, T_THREAD_SIZE),
    PY_PUBLISHED(code.code, T_CODE_START, -1, T_CODE_SIZE),
    PY_PUBLISHED(code.size, T_CODE_START, -1, T_CODE_SIZE),
    PY_PUBLISHED(code.name, T_CODE_NAME, -1, T_CODE_SIZE),
    PY_PUBLISHED(gil.locked, T_GIL_LOCKED, T_GIL_AT, T_THREAD_SIZE),
};

/* A 3.42 of interpreter frames whose every field the walker reads fits:
 * what the published offsets start from. */
static const struct py_layout BASE = {
    .major = 3, .minor = 42,
    .frame_model = PY_FRAMES_INTERPRETER,
    .string_model = PY_STRINGS_UNICODE,
    .published = {.size = T_LEN, .version = T_VERSION, .free_threaded = T_BUILD,
                  .count = sizeof PUBLISHED / sizeof *PUBLISHED, .offsets = PUBLISHED},
    .object = {.ob_type = 8, .ob_size = 16},
    .tstate = {.next = 8, .frame = 16},
    .gil = {.locked = 4},
    .iframe = {.size = 64, .code = 0, .previous = 8, .instr = 16, .owner = 24,
               .stacktop = -1, .slots = -1, .stackpointer = -1, .tlbc_index = -1},
    .code = {.size = 128, .filename = 40, .name = 48, .firstlineno = 56, .linetable = 64,
             .code = 128, .tlbc = -1},
    .bytes = {.size = 16, .data = 32},
    .unicode = {.state = 32, .length = 16, .ascii_data = 40, .compact_data = 56,
                .data_ptr = 56, .kind_shift = 2, .compact_shift = 5, .ascii_shift = 6},
};

#define RUNTIME 0x1000u

static uint8_t table[T_LEN];
static int readable;

static int read_table(void *ctx, uint64_t addr, void *buf, size_t len)
{
    (void)ctx;
    if (!readable || addr < RUNTIME || addr - RUNTIME > sizeof table ||
        len > sizeof table - (addr - RUNTIME))
        return -1;
    memcpy(buf, table + (addr - RUNTIME), len);
    return 0;
}

static const pyflame_host HOST = {.api_version = PYFLAME_API_VERSION, .read_memory = read_table};

static void put(int at, uint64_t v)
{
    memcpy(table + at, &v, sizeof v);
}

/* A 3.42.1 of the default build whose offsets are not the plugin's. */
static int setup(void **state)
{
    (void)state;
    memset(table, 0, sizeof table);
    memcpy(table, "xdebugpy", 8);
    put(T_VERSION, 0x032A01F0);
    put(T_BUILD, 0);
    put(T_THREAD_SIZE, 400);
    put(T_THREAD_NEXT, 24);
    put(T_THREAD_FRAME, 32);
    put(T_CODE_SIZE, 300);
    put(T_CODE_START, 200);
    put(T_CODE_NAME, 72);
    put(T_GIL_AT, 100);
    put(T_GIL_LOCKED, 116);
    readable = 1;
    return 0;
}

static int follow(struct py_layout *l, char *err, size_t errlen)
{
    *l = BASE;
    err[0] = '\0';
    int rc = pyflame_layout_follow_published(l, &HOST, RUNTIME, err, errlen);
    return rc == PYFLAME_OK ? pyflame_layout_sound(l, err, errlen) : rc;
}

static void offsets_follow_the_target(void **state)
{
    (void)state;
    struct py_layout l;
    char err[256];
    assert_int_equal(follow(&l, err, sizeof err), PYFLAME_OK);
    assert_int_equal(l.tstate.next, 24);
    assert_int_equal(l.tstate.frame, 32);
    assert_int_equal(l.code.code, 200);
    assert_int_equal(l.code.size, 200);
    assert_int_equal(l.code.name, 72);
    assert_int_equal(l.gil.locked, 16); /* 116 less where the GIL begins, 100 */
    /* What the table does not publish stays the plugin's. */
    assert_int_equal(l.code.filename, 40);
    assert_int_equal(l.iframe.size, 64);
}

static void another_release_is_refused(void **state)
{
    (void)state;
    struct py_layout l;
    char err[256];
    put(T_VERSION, 0x032B00F0);
    assert_int_equal(follow(&l, err, sizeof err), PYFLAME_ERR_UNSUPPORTED);
    assert_non_null(strstr(err, "3.43"));
    assert_non_null(strstr(err, "3.42"));
}

static void another_build_is_refused(void **state)
{
    (void)state;
    struct py_layout l;
    char err[256];
    put(T_BUILD, 1);
    assert_int_equal(follow(&l, err, sizeof err), PYFLAME_ERR_UNSUPPORTED);
    assert_non_null(strstr(err, "free-threaded"));
}

static void a_value_outside_its_structure_is_refused(void **state)
{
    (void)state;
    struct py_layout l;
    char err[256];
    put(T_THREAD_FRAME, 400); /* the thread state is 400 bytes */
    assert_int_equal(follow(&l, err, sizeof err), PYFLAME_ERR_UNSUPPORTED);
    assert_non_null(strstr(err, "400"));
}

static void structures_of_no_or_absurd_size_are_refused(void **state)
{
    (void)state;
    struct py_layout l;
    char err[256];
    put(T_CODE_SIZE, 0);
    assert_int_equal(follow(&l, err, sizeof err), PYFLAME_ERR_UNSUPPORTED);
    put(T_CODE_SIZE, UINT64_MAX);
    assert_int_equal(follow(&l, err, sizeof err), PYFLAME_ERR_UNSUPPORTED);
}

static void a_field_before_its_base_is_refused(void **state)
{
    (void)state;
    struct py_layout l;
    char err[256];
    put(T_GIL_AT, 117); /* beyond the field it is subtracted from */
    assert_int_equal(follow(&l, err, sizeof err), PYFLAME_ERR_UNSUPPORTED);
}

/* Inside its structure, but past what the walker reads of it: the code
 * object's name after where its header (the bytecode) begins. */
static void a_layout_the_walker_cannot_read_is_refused(void **state)
{
    (void)state;
    struct py_layout l;
    char err[256];
    put(T_CODE_NAME, 250);
    assert_int_equal(follow(&l, err, sizeof err), PYFLAME_ERR_UNSUPPORTED);
    assert_non_null(strstr(err, "does not fit"));
    put(T_CODE_NAME, 72);
    put(T_CODE_SIZE, 4000);
    put(T_CODE_START, 3000); /* a header longer than any the walker reads */
    assert_int_equal(follow(&l, err, sizeof err), PYFLAME_ERR_UNSUPPORTED);
}

static void an_unreadable_table_is_a_read_error(void **state)
{
    (void)state;
    struct py_layout l;
    char err[256];
    readable = 0;
    assert_int_equal(follow(&l, err, sizeof err), PYFLAME_ERR_READ);
    assert_true(err[0] != '\0');
}

static void nothing_published_leaves_the_table(void **state)
{
    (void)state;
    struct py_layout l = BASE;
    l.published.size = 0;
    readable = 0; /* and nothing is read */
    char err[64] = "";
    assert_int_equal(pyflame_layout_follow_published(&l, &HOST, RUNTIME, err, sizeof err),
                     PYFLAME_OK);
    assert_int_equal(l.tstate.frame, BASE.tstate.frame);
    assert_int_equal(l.code.size, BASE.code.size);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(offsets_follow_the_target, setup),
        cmocka_unit_test_setup(another_release_is_refused, setup),
        cmocka_unit_test_setup(another_build_is_refused, setup),
        cmocka_unit_test_setup(a_value_outside_its_structure_is_refused, setup),
        cmocka_unit_test_setup(structures_of_no_or_absurd_size_are_refused, setup),
        cmocka_unit_test_setup(a_field_before_its_base_is_refused, setup),
        cmocka_unit_test_setup(a_layout_the_walker_cannot_read_is_refused, setup),
        cmocka_unit_test_setup(an_unreadable_table_is_a_read_error, setup),
        cmocka_unit_test_setup(nothing_published_leaves_the_table, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
