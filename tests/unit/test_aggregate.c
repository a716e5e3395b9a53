/* test_aggregate: samples aggregated by stack (aggregate.c, index_set.c).
 *
 * Stacks go in leaf first and come out root first, one entry per distinct
 * stack (frames equal in file, name and line), most frequent first, with
 * idle and failed samples counted apart.  The frame key is only a hint:
 * equal non-zero keys promise equal file and name, nothing more.  100,000
 * distinct stacks exercise the hash tables' growth.  Allocation can be
 * made to fail (the test links with --wrap for malloc, calloc, realloc):
 * stacks already known are still counted. */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"

/* Out of memory on demand, for the code under test. */
static bool fail_alloc;
void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);

void *__wrap_malloc(size_t size)
{
    return fail_alloc ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return fail_alloc ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
    return fail_alloc ? NULL : __real_realloc(p, size);
}

static pyflame_frame frame(const char *file, const char *name, uint32_t line,
                           uint64_t key)
{
    return (pyflame_frame){.file = file, .name = name, .line = line, .key = key};
}

static void add(struct aggregate *a, const pyflame_frame *frames, uint32_t n)
{
    assert_int_equal(aggregate_add(a, frames, n, 1), 0);
}

static pyflame_profile profile(struct aggregate *a)
{
    pyflame_profile p;
    assert_int_equal(aggregate_profile(a, &p), 0);
    return p;
}

static void expect_frame(const pyflame_frame *f, const char *file,
                         const char *name, uint32_t line)
{
    assert_string_equal(f->file, file);
    assert_string_equal(f->name, name);
    assert_int_equal(f->line, line);
}

static void empty(void **state)
{
    (void)state;
    struct aggregate *a = aggregate_new();
    assert_non_null(a);
    aggregate_free(a);
    aggregate_free(NULL);
}

/* A profile taken before any stack was added: only idle and failed. */
static void no_stacks(void **state)
{
    (void)state;
    struct aggregate *a = aggregate_new();
    aggregate_add_idle(a, 1);
    aggregate_add_failed(a, 1);
    aggregate_add_idle(a, 1);
    pyflame_profile p = profile(a);
    assert_int_equal(p.samples, 3);
    assert_int_equal(p.idle, 2);
    assert_int_equal(p.failed, 1);
    assert_int_equal(p.nstacks, 0);
    aggregate_free(a);
}

/* A profile taken again after more samples counts them all. */
static void profile_again_after_more_samples(void **state)
{
    (void)state;
    struct aggregate *a = aggregate_new();
    const pyflame_frame f = frame("first.py", "first", 1, 0);
    add(a, &f, 1);
    pyflame_profile p = profile(a);
    assert_int_equal(p.nstacks, 1);
    char name[32];
    for (uint32_t i = 0; i < 1000; i++) { /* moves the frame array */
        snprintf(name, sizeof name, "f%u", (unsigned)i);
        const pyflame_frame g = frame("later.py", name, i, 0);
        add(a, &g, 1);
    }
    add(a, &f, 1);
    pyflame_profile again = profile(a);
    assert_int_equal(again.nstacks, 1001);
    assert_int_equal(again.samples, 1002);
    assert_int_equal(again.stacks[0].count, 2);
    expect_frame(again.stacks[0].frames[0], "first.py", "first", 1);
    aggregate_free(a);
}

static void same_stack_twice_counts_two(void **state)
{
    (void)state;
    struct aggregate *a = aggregate_new();
    /* Equal strings at different addresses are the same frame. */
    char file1[] = "app.py", file2[] = "app.py";
    const pyflame_frame s1[] = {frame(file1, "work", 7, 0), frame("main.py", "<module>", 1, 0)};
    const pyflame_frame s2[] = {frame(file2, "work", 7, 0), frame("main.py", "<module>", 1, 0)};
    add(a, s1, 2);
    add(a, s2, 2);
    pyflame_profile p = profile(a);
    assert_int_equal(p.samples, 2);
    assert_int_equal(p.nstacks, 1);
    assert_int_equal(p.stacks[0].count, 2);
    assert_int_equal(p.stacks[0].nframes, 2);
    aggregate_free(a);
}

static void any_difference_is_another_stack(void **state)
{
    (void)state;
    struct aggregate *a = aggregate_new();
    const pyflame_frame base = frame("app.py", "work", 7, 0);
    const pyflame_frame variants[] = {
        base,
        frame("app.py", "work", 8, 0),  /* another line */
        frame("app2.py", "work", 7, 0), /* another file */
        frame("app.py", "work2", 7, 0), /* another function */
        frame("app.py", "work", 0, 0),  /* line unknown */
    };
    const size_t n = sizeof variants / sizeof *variants;
    for (size_t i = 0; i < n; i++)
        add(a, &variants[i], 1);
    /* Depth matters too: [base] vs [base, base] vs a longer prefix. */
    const pyflame_frame twice[] = {base, base};
    add(a, twice, 2);
    const pyflame_frame deeper[] = {base, frame("main.py", "main", 3, 0)};
    add(a, deeper, 2);
    pyflame_profile p = profile(a);
    assert_int_equal(p.nstacks, n + 2);
    for (size_t i = 0; i < p.nstacks; i++)
        assert_int_equal(p.stacks[i].count, 1);
    aggregate_free(a);
}

static void leaf_first_in_root_first_out(void **state)
{
    (void)state;
    struct aggregate *a = aggregate_new();
    const pyflame_frame leaf_first[] = {
        frame("c.py", "leaf", 30, 0),
        frame("b.py", "middle", 20, 0),
        frame("a.py", "root", 10, 0),
    };
    add(a, leaf_first, 3);
    /* The same frames in the opposite order are another stack. */
    const pyflame_frame reversed[] = {leaf_first[2], leaf_first[1], leaf_first[0]};
    add(a, reversed, 3);
    add(a, reversed, 3);
    pyflame_profile p = profile(a);
    assert_int_equal(p.nstacks, 2);
    const pyflame_stack_count *s = &p.stacks[1]; /* counted once */
    assert_int_equal(s->count, 1);
    assert_int_equal(s->nframes, 3);
    expect_frame(s->frames[0], "a.py", "root", 10);
    expect_frame(s->frames[1], "b.py", "middle", 20);
    expect_frame(s->frames[2], "c.py", "leaf", 30);
    expect_frame(p.stacks[0].frames[0], "c.py", "leaf", 30);
    aggregate_free(a);
}

static void most_frequent_first(void **state)
{
    (void)state;
    struct aggregate *a = aggregate_new();
    const pyflame_frame f[] = {
        frame("x.py", "once", 1, 0), frame("x.py", "thrice", 2, 0),
        frame("x.py", "twice", 3, 0), frame("x.py", "thrice_too", 4, 0),
    };
    static const int plan[] = {0, 1, 2, 3, 1, 2, 3, 1, 3};
    for (size_t i = 0; i < sizeof plan / sizeof *plan; i++)
        add(a, &f[plan[i]], 1);
    pyflame_profile p = profile(a);
    assert_int_equal(p.nstacks, 4);
    static const uint64_t counts[] = {3, 3, 2, 1};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(p.stacks[i].count, counts[i]);
    /* Equal counts keep the order first seen, so output is reproducible. */
    assert_string_equal(p.stacks[0].frames[0]->name, "thrice");
    assert_string_equal(p.stacks[1].frames[0]->name, "thrice_too");
    assert_string_equal(p.stacks[2].frames[0]->name, "twice");
    assert_string_equal(p.stacks[3].frames[0]->name, "once");
    aggregate_free(a);
}

static void idle_and_failed_are_counted_apart(void **state)
{
    (void)state;
    struct aggregate *a = aggregate_new();
    const pyflame_frame f = frame("x.py", "f", 1, 0);
    aggregate_add_idle(a, 1);
    add(a, &f, 1);
    aggregate_add_failed(a, 1);
    aggregate_add_idle(a, 1);
    aggregate_add_failed(a, 1);
    aggregate_add_failed(a, 1);
    add(a, &f, 1);
    pyflame_profile p = profile(a);
    assert_int_equal(p.samples, 7);
    assert_int_equal(p.idle, 2);
    assert_int_equal(p.failed, 3);
    assert_int_equal(p.nstacks, 1);
    assert_int_equal(p.stacks[0].count, 2);
    aggregate_free(a);
}

/* Callers reuse their buffers: the aggregate must keep its own copies. */
static void strings_are_copied(void **state)
{
    (void)state;
    struct aggregate *a = aggregate_new();
    char file[32], name[32];
    for (int i = 0; i < 3; i++) {
        snprintf(file, sizeof file, "file%d.py", i);
        snprintf(name, sizeof name, "func%d", i);
        const pyflame_frame f = frame(file, name, 5, 0);
        for (int k = 0; k <= i; k++)
            add(a, &f, 1);
    }
    memset(file, 'X', sizeof file - 1);
    memset(name, 'Y', sizeof name - 1);
    pyflame_profile p = profile(a);
    assert_int_equal(p.nstacks, 3);
    expect_frame(p.stacks[0].frames[0], "file2.py", "func2", 5);
    expect_frame(p.stacks[1].frames[0], "file1.py", "func1", 5);
    expect_frame(p.stacks[2].frames[0], "file0.py", "func0", 5);
    aggregate_free(a);
}

static void key_is_only_a_hint(void **state)
{
    (void)state;
    struct aggregate *a = aggregate_new();
    /* Same key (so same file and name), other lines: other frames. */
    const pyflame_frame k1_line1 = frame("k.py", "f", 1, 42);
    const pyflame_frame k1_line2 = frame("k.py", "f", 2, 42);
    /* Other keys, or none, for the same file/name/line: the same frame. */
    const pyflame_frame k2_line1 = frame("k.py", "f", 1, 43);
    const pyflame_frame k0_line1 = frame("k.py", "f", 1, 0);
    /* Same key and line, other flags: another frame. */
    pyflame_frame k1_line1_label = k1_line1;
    k1_line1_label.flags = PYFLAME_FRAME_LABEL;
    add(a, &k1_line1, 1);
    add(a, &k1_line2, 1);
    add(a, &k1_line1_label, 1);
    add(a, &k1_line1, 1);
    add(a, &k2_line1, 1);
    add(a, &k0_line1, 1);
    add(a, &k1_line1_label, 1);
    pyflame_profile p = profile(a);
    assert_int_equal(p.nstacks, 3);
    assert_int_equal(p.stacks[0].count, 4);
    expect_frame(p.stacks[0].frames[0], "k.py", "f", 1);
    assert_int_equal(p.stacks[0].frames[0]->flags, 0);
    assert_int_equal(p.stacks[1].count, 2);
    assert_int_equal(p.stacks[1].frames[0]->flags, PYFLAME_FRAME_LABEL);
    expect_frame(p.stacks[2].frames[0], "k.py", "f", 2);
    aggregate_free(a);
}

/* Many keys, revisited: whatever the aggregate remembers per key, each
 * frame must come out with the file and name given with its key. */
static void many_keys(void **state)
{
    (void)state;
    enum { KEYS = 20000 };
    struct aggregate *a = aggregate_new();
    char file[32], name[32];
    for (int round = 0; round < 2; round++) {
        for (uint32_t k = 0; k < KEYS; k++) {
            snprintf(file, sizeof file, "mod%u.py", (unsigned)k);
            snprintf(name, sizeof name, "fn%u", (unsigned)k);
            /* Keys that differ only in high bits, too. */
            uint64_t key = (k % 2 ? (uint64_t)k << 40 : k) + 1;
            const pyflame_frame f = frame(file, name, k % 7 + 1, key);
            add(a, &f, 1);
        }
    }
    pyflame_profile p = profile(a);
    assert_int_equal(p.nstacks, KEYS);
    for (size_t i = 0; i < p.nstacks; i++) {
        const pyflame_frame *f = p.stacks[i].frames[0];
        assert_int_equal(p.stacks[i].count, 2);
        unsigned k;
        assert_int_equal(sscanf(f->file, "mod%u.py", &k), 1);
        snprintf(name, sizeof name, "fn%u", k);
        assert_string_equal(f->name, name);
        assert_int_equal(f->line, k % 7 + 1);
    }
    aggregate_free(a);
}

/* Stack i, root first: main.py:main, then lib.py:fnM_L for L = 1, 2 (M =
 * i % 101) down to depth 1 + i % 3; the leaf is on line i + 1, so all
 * stacks are distinct.  Stack i is added 1 + i % 4 times, interleaved. */
static void many_distinct_stacks(void **state)
{
    (void)state;
    enum { STACKS = 100000 };
    struct aggregate *a = aggregate_new();
    char names[3][32];
    uint64_t total = 0;
    for (uint32_t round = 0; round < 4; round++) {
        for (uint32_t i = 0; i < STACKS; i++) {
            if (i % 4 < round)
                continue;
            uint32_t depth = 1 + i % 3, m = i % 101;
            pyflame_frame f[3];
            for (uint32_t level = 0; level < depth; level++) {
                snprintf(names[level], sizeof names[level], "fn%u_%u",
                         (unsigned)m, (unsigned)level);
                f[depth - 1 - level] = frame(
                    level ? "lib.py" : "main.py", level ? names[level] : "main",
                    level == depth - 1 ? i + 1 : level + 1,
                    i % 2 ? 0 : level ? (uint64_t)m * 8 + level + 1 : 1);
            }
            add(a, f, depth);
            total++;
        }
    }
    pyflame_profile p = profile(a);
    assert_int_equal(p.nstacks, STACKS);
    assert_int_equal(p.samples, total);
    unsigned char *seen = calloc(STACKS, 1);
    assert_non_null(seen);
    uint64_t sum = 0;
    for (size_t s = 0; s < p.nstacks; s++) {
        const pyflame_stack_count *st = &p.stacks[s];
        if (s)
            assert_true(p.stacks[s - 1].count >= st->count);
        const pyflame_frame *leaf = st->frames[st->nframes - 1];
        assert_true(leaf->line >= 1 && leaf->line <= STACKS);
        uint32_t i = leaf->line - 1;
        assert_int_equal(seen[i], 0);
        seen[i] = 1;
        assert_int_equal(st->nframes, 1 + i % 3);
        assert_int_equal(st->count, 1 + i % 4);
        assert_string_equal(st->frames[0]->file, "main.py");
        assert_string_equal(st->frames[0]->name, "main");
        for (uint32_t level = 1; level < st->nframes; level++) {
            char want[32];
            snprintf(want, sizeof want, "fn%u_%u", (unsigned)(i % 101), (unsigned)level);
            expect_frame(st->frames[level], "lib.py", want,
                         level == st->nframes - 1 ? i + 1 : level + 1);
        }
        sum += st->count;
    }
    assert_int_equal(sum, total);
    free(seen);
    aggregate_free(a);
}

/* 32 stacks fill each table to where the next element makes it grow.
 * Without memory, a known stack is still found and counted; a new one
 * fails and leaves the rest as it was. */
static void known_stacks_need_no_memory(void **state)
{
    (void)state;
    enum { STACKS = 32 };
    struct aggregate *a = aggregate_new();
    assert_non_null(a);
    char names[STACKS][16];
    for (uint32_t i = 0; i < STACKS; i++) {
        snprintf(names[i], sizeof names[i], "f%u", (unsigned)i);
        pyflame_frame f = frame("m.py", names[i], i + 1, 0);
        add(a, &f, 1);
    }
    pyflame_frame known = frame("m.py", "f0", 1, 0), novel = frame("m.py", "new", 99, 0);
    fail_alloc = true;
    int known_rc = aggregate_add(a, &known, 1, 1), novel_rc = aggregate_add(a, &novel, 1, 1);
    fail_alloc = false;
    assert_int_equal(known_rc, 0);
    assert_int_equal(novel_rc, -1);
    add(a, &novel, 1);
    pyflame_profile p = profile(a);
    assert_int_equal(p.nstacks, STACKS + 1);
    assert_int_equal(p.samples, STACKS + 2);
    assert_int_equal(p.stacks[0].count, 2);
    expect_frame(p.stacks[0].frames[0], "m.py", "f0", 1);
    for (size_t s = 1; s < p.nstacks; s++)
        assert_int_equal(p.stacks[s].count, 1);
    aggregate_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty),
        cmocka_unit_test(no_stacks),
        cmocka_unit_test(profile_again_after_more_samples),
        cmocka_unit_test(same_stack_twice_counts_two),
        cmocka_unit_test(any_difference_is_another_stack),
        cmocka_unit_test(leaf_first_in_root_first_out),
        cmocka_unit_test(most_frequent_first),
        cmocka_unit_test(idle_and_failed_are_counted_apart),
        cmocka_unit_test(strings_are_copied),
        cmocka_unit_test(key_is_only_a_hint),
        cmocka_unit_test(many_keys),
        cmocka_unit_test(many_distinct_stacks),
        cmocka_unit_test(known_stacks_need_no_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
