/* test_code_cache: the ABI plugins' cache of code objects
 * (abi-plugins/common/code_cache.c), over a made-up target memory holding
 * code objects of a layout of this test's own, in front of a host that
 * counts its reads.
 *
 * A code object's names and line table are read once; each later use
 * reads its header alone, and a header that changed (an address freed and
 * used again) gets a fresh entry.  What is not a code object, or cannot be
 * read, is told.  Entries the sample being built uses are never evicted,
 * even when a bucket is full of them; otherwise the least recently used
 * goes, and past 64 MB of names and line tables every entry the sample
 * does not use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "code_cache.h"

/* Lines looked up in the table (the test links with
 * --wrap=pyflame_py_line_for_offset). */
static unsigned lookups;
int __real_pyflame_py_line_for_offset(enum py_line_format format, const uint8_t *table, size_t len,
                              int firstlineno, long offset);
int __wrap_pyflame_py_line_for_offset(enum py_line_format format, const uint8_t *table, size_t len,
                              int firstlineno, long offset);

int __wrap_pyflame_py_line_for_offset(enum py_line_format format, const uint8_t *table, size_t len,
                              int firstlineno, long offset)
{
    lookups++;
    return __real_pyflame_py_line_for_offset(format, table, len, firstlineno, offset);
}

/* The objects' layout: a header, then for a code object its fields. */
#define OB_TYPE 8
#define OB_SIZE 16
#define BYTES_DATA 24
#define CODE_FILENAME 24
#define CODE_NAME 32
#define CODE_LINETABLE 40
#define CODE_FIRSTLINENO 48
#define CODE_SIZE 64

#define CODE_TYPE 0xC0DE0ull
#define BYTES_TYPE 0xB17E0ull

#define BASE 0x10000000ull
#define SIZE (3u << 20)

/* code_cache.c's bound on what the entries hold, as it documents it. */
#define MAX_CACHE_BYTES (64u << 20)
#define BIG_TABLE (1u << 20) /* the longest line table it reads */

static const struct py_layout LAYOUT = {
    .string_model = PY_STRINGS_BYTES,
    .line_format = PY_LINES_LNOTAB_UNSIGNED,
    .code = {.size = CODE_SIZE, .filename = CODE_FILENAME, .name = CODE_NAME,
             .firstlineno = CODE_FIRSTLINENO, .linetable = CODE_LINETABLE, .code = -1},
    .bytes = {.size = OB_SIZE, .data = BYTES_DATA},
    .object = {.ob_type = OB_TYPE, .ob_size = OB_SIZE},
};

/* The made-up target: objects placed one after another from BASE. */
struct fake_target {
    pyflame_host host; /* ctx: this */
    uint8_t *bytes;
    uint64_t used;     /* bytes placed */
    uint64_t hole;     /* an address that cannot be read, 0: none */
    unsigned reads;
};

static int fake_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
    struct fake_target *f = ctx;
    f->reads++;
    if (addr < BASE || addr + len > BASE + SIZE || (f->hole >= addr && f->hole < addr + len))
        return -1;
    memcpy(buf, f->bytes + (addr - BASE), len);
    return 0;
}

static struct fake_target *fake_new(void)
{
    struct fake_target *f = test_calloc(1, sizeof *f);
    f->bytes = test_calloc(1, SIZE);
    f->host = (pyflame_host){.api_version = PYFLAME_API_VERSION, .ctx = f,
                             .read_memory = fake_read};
    return f;
}

static void fake_free(struct fake_target *f)
{
    test_free(f->bytes);
    test_free(f);
}

static void put_u64(struct fake_target *f, uint64_t addr, uint64_t v)
{
    memcpy(f->bytes + (addr - BASE), &v, sizeof v);
}

static void put_i32(struct fake_target *f, uint64_t addr, int32_t v)
{
    memcpy(f->bytes + (addr - BASE), &v, sizeof v);
}

/* Room for len bytes, 16-aligned. */
static uint64_t place(struct fake_target *f, size_t len)
{
    uint64_t at = BASE + f->used;
    f->used += (len + 15) & ~(size_t)15;
    assert_true(f->used <= SIZE);
    return at;
}

static uint64_t make_bytes(struct fake_target *f, const void *data, size_t len)
{
    uint64_t at = place(f, BYTES_DATA + len);
    put_u64(f, at + OB_TYPE, BYTES_TYPE);
    put_u64(f, at + OB_SIZE, len);
    memcpy(f->bytes + (at + BYTES_DATA - BASE), data, len);
    return at;
}

static uint64_t make_code_at(struct fake_target *f, uint64_t at, uint64_t file, uint64_t name,
                             uint64_t lines, int32_t firstlineno)
{
    put_u64(f, at + OB_TYPE, CODE_TYPE);
    put_u64(f, at + CODE_FILENAME, file);
    put_u64(f, at + CODE_NAME, name);
    put_u64(f, at + CODE_LINETABLE, lines);
    put_i32(f, at + CODE_FIRSTLINENO, firstlineno);
    return at;
}

/* Line 10 from offset 0, 11 from 6, 13 from 14. */
static const uint8_t LNOTAB[] = {6, 1, 8, 2};

struct objects {
    uint64_t file, name, other_name, lines;
};

static struct objects make_objects(struct fake_target *f)
{
    return (struct objects){
        .file = make_bytes(f, "app.py", 6),
        .name = make_bytes(f, "work", 4),
        .other_name = make_bytes(f, "rest", 4),
        .lines = make_bytes(f, LNOTAB, sizeof LNOTAB),
    };
}

static uint64_t make_code(struct fake_target *f, const struct objects *o)
{
    return make_code_at(f, place(f, CODE_SIZE), o->file, o->name, o->lines, 10);
}

static const struct code_types TYPES = {.code = CODE_TYPE, .str = BYTES_TYPE,
                                        .bytes = BYTES_TYPE};

/* code_cache.c's bucket of a code object's address. */
static size_t bucket_of(uint64_t addr)
{
    return (size_t)(((addr >> 4) * 0x9E3779B97F4A7C15ull) >> 53) & 2047;
}

/* n code objects whose addresses share one bucket. */
static void make_colliding(struct fake_target *f, const struct objects *o, uint64_t *code,
                           size_t n)
{
    uint64_t first = make_code(f, o);
    code[0] = first;
    for (size_t i = 1; i < n;) {
        uint64_t at = place(f, CODE_SIZE);
        if (bucket_of(at) == bucket_of(first))
            code[i++] = make_code_at(f, at, o->file, o->name, o->lines, 10);
    }
}

/* Gets the code object at addr; how many reads it took into *reads. */
static struct code_info *get(struct code_cache *c, struct fake_target *f, uint64_t addr,
                             unsigned *reads)
{
    struct code_info *ci = NULL;
    unsigned before = f->reads;
    assert_int_equal(pyflame_code_cache_get(c, addr, &ci), PYFLAME_OK);
    *reads = f->reads - before;
    assert_non_null(ci);
    assert_int_equal(ci->addr, addr);
    return ci;
}

static void read_once_then_checked(void **state)
{
    (void)state;
    struct fake_target *f = fake_new();
    struct objects o = make_objects(f);
    uint64_t code = make_code(f, &o);
    struct code_cache *c = pyflame_code_cache_new(&f->host, &LAYOUT, TYPES);
    pyflame_code_cache_begin_sample(c);
    unsigned reads;
    struct code_info *ci = get(c, f, code, &reads);
    assert_true(reads > 1);
    assert_string_equal(ci->file, "app.py");
    assert_string_equal(ci->name, "work");
    assert_int_equal(ci->nlines, sizeof LNOTAB);
    assert_int_equal(ci->firstlineno, 10);
    assert_int_equal(ci->code_bytes, UINT64_MAX); /* the bytecode is apart */
    uint64_t key = ci->key;
    assert_true(key != 0);
    /* Used again: its header alone is read. */
    pyflame_code_cache_begin_sample(c);
    assert_ptr_equal(get(c, f, code, &reads), ci);
    assert_int_equal(reads, 1);
    assert_int_equal(ci->key, key);
    /* Its header changed (the address used again): a fresh entry. */
    put_u64(f, code + CODE_NAME, o.other_name);
    ci = get(c, f, code, &reads);
    assert_true(reads > 1);
    assert_string_equal(ci->name, "rest");
    assert_true(ci->key != key);
    key = ci->key;
    put_i32(f, code + CODE_FIRSTLINENO, 20);
    ci = get(c, f, code, &reads);
    assert_int_equal(ci->firstlineno, 20);
    assert_true(ci->key != key);
    key = ci->key;
    put_u64(f, code + CODE_LINETABLE, make_bytes(f, LNOTAB, 2));
    ci = get(c, f, code, &reads);
    assert_int_equal(ci->nlines, 2);
    assert_true(ci->key != key);
    pyflame_code_cache_free(c);
    fake_free(f);
}

static void not_code_or_unreadable(void **state)
{
    (void)state;
    struct fake_target *f = fake_new();
    struct objects o = make_objects(f);
    uint64_t code = make_code(f, &o);
    struct code_cache *c = pyflame_code_cache_new(&f->host, &LAYOUT, TYPES);
    pyflame_code_cache_begin_sample(c);
    struct code_info *ci;
    assert_int_equal(pyflame_code_cache_get(c, o.file, &ci), CODE_NOT_CODE);
    assert_int_equal(pyflame_code_cache_get(c, 0x10, &ci), PYFLAME_ERR_READ);
    /* Its name cannot be read: no entry, and none half made. */
    f->hole = o.name + BYTES_DATA;
    assert_int_equal(pyflame_code_cache_get(c, code, &ci), PYFLAME_ERR_READ);
    f->hole = 0;
    unsigned reads;
    ci = get(c, f, code, &reads);
    assert_true(reads > 1);
    assert_string_equal(ci->name, "work");
    pyflame_code_cache_free(c);
    /* Without the code type known, anything readable is taken for one. */
    struct code_types untyped = TYPES;
    untyped.code = 0;
    c = pyflame_code_cache_new(&f->host, &LAYOUT, untyped);
    pyflame_code_cache_begin_sample(c);
    assert_int_equal(pyflame_code_cache_get(c, o.file, &ci), PYFLAME_ERR_READ); /* no names */
    pyflame_code_cache_free(c);
    /* A header bigger than the cache reads: no cache. */
    struct py_layout huge = LAYOUT;
    huge.code.size = 4096;
    assert_null(pyflame_code_cache_new(&f->host, &huge, TYPES));
    fake_free(f);
}

/* 3.11+: the code object counts its code units; a line is told only for an
 * offset inside its code, and the last one asked for is remembered. */
static void lines_within_the_code(void **state)
{
    (void)state;
    struct fake_target *f = fake_new();
    struct objects o = make_objects(f);
    struct py_layout l311 = LAYOUT;
    l311.code.code = 56;
    uint64_t code = make_code(f, &o);
    put_u64(f, code + OB_SIZE, 10); /* 10 code units: 20 bytes */
    uint64_t bad = make_code(f, &o);
    put_u64(f, bad + OB_SIZE, (uint64_t)-1);
    struct code_cache *c = pyflame_code_cache_new(&f->host, &l311, TYPES);
    pyflame_code_cache_begin_sample(c);
    unsigned reads;
    struct code_info *ci = get(c, f, code, &reads);
    assert_int_equal(ci->code_bytes, 20);
    enum py_line_format fmt = PY_LINES_LNOTAB_UNSIGNED;
    assert_int_equal(pyflame_code_info_line(ci, fmt, -1), 10); /* not started */
    assert_int_equal(pyflame_code_info_line(ci, fmt, 0), 10);
    assert_int_equal(pyflame_code_info_line(ci, fmt, 6), 11);
    lookups = 0;
    assert_int_equal(pyflame_code_info_line(ci, fmt, 14), 13);
    assert_int_equal(pyflame_code_info_line(ci, fmt, 14), 13); /* remembered */
    assert_int_equal(lookups, 1);
    assert_int_equal(pyflame_code_info_line(ci, fmt, 20), 0); /* past its end */
    assert_int_equal(lookups, 1);
    assert_int_equal(pyflame_code_info_line(ci, fmt, 6), 11);
    assert_int_equal(lookups, 2);
    struct code_info *none;
    assert_int_equal(pyflame_code_cache_get(c, bad, &none), PYFLAME_ERR_READ);
    pyflame_code_cache_free(c);
    fake_free(f);
}

/* A bucket full of entries the sample uses: one more is kept apart for
 * that sample, none is evicted. */
static void entries_in_use_stay(void **state)
{
    (void)state;
    struct fake_target *f = fake_new();
    struct objects o = make_objects(f);
    uint64_t code[6];
    make_colliding(f, &o, code, 6);
    struct code_cache *c = pyflame_code_cache_new(&f->host, &LAYOUT, TYPES);
    pyflame_code_cache_begin_sample(c);
    struct code_info *ci[6];
    unsigned reads;
    for (int i = 0; i < 6; i++)
        ci[i] = get(c, f, code[i], &reads);
    for (int i = 0; i < 6; i++) {
        assert_int_equal(ci[i]->addr, code[i]);
        assert_string_equal(ci[i]->name, "work");
        for (int j = 0; j < i; j++)
            assert_ptr_not_equal(ci[i], ci[j]);
    }
    /* The next sample: the ones apart are gone, and read again. */
    pyflame_code_cache_begin_sample(c);
    get(c, f, code[5], &reads);
    assert_true(reads > 1);
    pyflame_code_cache_free(c);
    fake_free(f);
}

/* A full bucket gives up its least recently used entry. */
static void least_recently_used_goes(void **state)
{
    (void)state;
    struct fake_target *f = fake_new();
    struct objects o = make_objects(f);
    uint64_t code[5];
    make_colliding(f, &o, code, 5);
    struct code_cache *c = pyflame_code_cache_new(&f->host, &LAYOUT, TYPES);
    unsigned reads;
    pyflame_code_cache_begin_sample(c);
    for (int i = 0; i < 4; i++)
        get(c, f, code[i], &reads);
    pyflame_code_cache_begin_sample(c);
    for (int i = 1; i < 5; i++)
        get(c, f, code[i], &reads); /* the fifth evicts the first */
    pyflame_code_cache_begin_sample(c);
    for (int i = 1; i < 5; i++) {
        get(c, f, code[i], &reads);
        assert_int_equal(reads, 1);
    }
    get(c, f, code[0], &reads);
    assert_true(reads > 1);
    pyflame_code_cache_free(c);
    fake_free(f);
}

/* Past MAX_CACHE_BYTES, the entries a sample does not use go; the sample's
 * own stay (the last one apart, for that sample). */
static void memory_is_bounded(void **state)
{
    (void)state;
    struct fake_target *f = fake_new();
    struct objects o = make_objects(f);
    uint8_t *table = test_calloc(1, BIG_TABLE);
    o.lines = make_bytes(f, table, BIG_TABLE);
    test_free(table);
    enum { N = MAX_CACHE_BYTES / BIG_TABLE + 1 };
    uint64_t code[N];
    for (int i = 0; i < N; i++)
        code[i] = make_code(f, &o);
    struct code_cache *c = pyflame_code_cache_new(&f->host, &LAYOUT, TYPES);
    unsigned reads;
    pyflame_code_cache_begin_sample(c);
    for (int i = 0; i < N; i++)
        assert_int_equal(get(c, f, code[i], &reads)->nlines, BIG_TABLE);
    /* The next sample uses the first, then the last, which was kept apart
     * (over the bound), and is read again: the others go. */
    pyflame_code_cache_begin_sample(c);
    get(c, f, code[0], &reads);
    assert_int_equal(reads, 1);
    get(c, f, code[N - 1], &reads);
    assert_true(reads > 1);
    get(c, f, code[0], &reads);
    assert_int_equal(reads, 1);
    get(c, f, code[1], &reads);
    assert_true(reads > 1);
    pyflame_code_cache_free(c);
    fake_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(read_once_then_checked),
        cmocka_unit_test(not_code_or_unreadable),
        cmocka_unit_test(lines_within_the_code),
        cmocka_unit_test(entries_in_use_stay),
        cmocka_unit_test(least_recently_used_goes),
        cmocka_unit_test(memory_is_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
