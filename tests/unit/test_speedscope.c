/* test_speedscope: the speedscope plugin's samples on disk (timeline.c,
 * entry_log.c) and the plugin as the core drives it.
 *
 * - The spans of random sample times (clock set back now and then, -x or
 *   not) match a reference that sorts every gap in memory.
 * - A thread's log reads back what went in, across many chunks.
 * - A small run gives the exact weights, start and end the format promises,
 *   the threadless samples merged into the only thread's profile.
 * - Memory: 200,000 more samples of 4 threads leave the heap as it was
 *   (within 64 KB), where keeping them in memory would take 8 MB. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pyflame/output.h>

#include "../../output-plugins/speedscope/entry_log.h"
#include "../../output-plugins/speedscope/timeline.h"

extern const pyflame_output_plugin pyflame_output_entry;

#ifdef PYFLAME_UNIT_SANITIZED
size_t __sanitizer_get_current_allocated_bytes(void); /* ASan's own malloc */
#endif

static size_t heap_in_use(void)
{
#ifdef PYFLAME_UNIT_SANITIZED
    return __sanitizer_get_current_allocated_bytes();
#else
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
#endif
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The spans as timeline.h defines them, worked out with every gap sorted. */
static void reference_spans(const uint64_t *t, size_t n, uint64_t interval, bool exclude_idle,
                            struct span *out)
{
    uint64_t *gaps = malloc(n * sizeof *gaps);
    size_t ngaps = 0;
    for (size_t k = 0; k + 1 < n; k++)
        if (t[k + 1] > t[k])
            gaps[ngaps++] = t[k + 1] - t[k];
    qsort(gaps, ngaps, sizeof *gaps, cmp_u64);
    uint64_t typical = ngaps && gaps[ngaps / 2] > interval ? gaps[ngaps / 2] : interval;
    uint64_t cap = exclude_idle ? typical * 2 + 10000000 : UINT64_MAX, at = 0;
    for (size_t k = 0; k < n; k++) {
        uint64_t w = k + 1 < n && t[k + 1] > t[k] ? t[k + 1] - t[k] : typical;
        out[k] = (struct span){at, w < cap ? w : cap};
        at += out[k].weight;
    }
    free(gaps);
}

static void check_timeline(size_t n, uint64_t interval, bool exclude_idle, unsigned seed)
{
    uint64_t *t = malloc((n ? n : 1) * sizeof *t), now = 1700000000000000000ull;
    struct span *want = malloc((n ? n : 1) * sizeof *want);
    srand(seed);
    for (size_t k = 0; k < n; k++) {
        int r = rand() % 100;
        if (r < 3)
            now -= (uint64_t)(rand() % 5000000); /* the clock set back */
        else if (r < 8)
            now += 30000000 + (uint64_t)rand() % 100000000; /* left-out samples */
        else if (r > 10)
            now += 900000 + (uint64_t)(rand() % 300000);
        t[k] = now; /* r 8..10: the same time again */
    }
    reference_spans(t, n, interval, exclude_idle, want);

    struct timeline tl;
    assert_int_equal(timeline_open(&tl, interval, exclude_idle), 0);
    for (size_t k = 0; k < n; k++)
        assert_int_equal(timeline_add(&tl, t[k]), 0);
    assert_int_equal(timeline_count(&tl), n);
    assert_int_equal(timeline_finish(&tl), 0);
    struct span got;
    for (size_t k = 0; k < n; k++) {
        assert_int_equal(timeline_span(&tl, k, &got), 0);
        assert_int_equal(got.offset, want[k].offset);
        assert_int_equal(got.weight, want[k].weight);
    }
    /* Out of order, as a sparse thread asks. */
    for (size_t k = n; k-- > 0;) {
        assert_int_equal(timeline_span(&tl, k, &got), 0);
        assert_int_equal(got.weight, want[k].weight);
    }
    assert_int_equal(timeline_span(&tl, n, &got), -1);
    timeline_free(&tl);
    free(t);
    free(want);
}

static void timeline_matches_sorted_gaps(void **state)
{
    (void)state;
    check_timeline(0, 1000000, false, 1);
    check_timeline(1, 1000000, false, 2);
    check_timeline(2, 5000000, true, 3);
    check_timeline(1000, 1000000, false, 4);
    check_timeline(1000, 1000000, true, 5);
    check_timeline(100000, 1000, false, 6);
    check_timeline(100001, 1000, true, 7);
}

static void entry_log_reads_back(void **state)
{
    (void)state;
    struct spool *s = entry_spool_new();
    assert_non_null(s);
    struct entry_log a = {0}, b = {0};
    const uint32_t n = 50000;
    for (uint32_t i = 0; i < n; i++) {
        /* Two logs interleaved in one spool, b with a third of the ticks. */
        assert_int_equal(entry_log_add(&a, s, (struct entry){i, i * 7}), 0);
        if (i % 3 == 0)
            assert_int_equal(entry_log_add(&b, s, (struct entry){i, i + 1}), 0);
    }
    assert_int_equal(entry_log_flush(&a, s), 0);
    assert_int_equal(entry_log_flush(&b, s), 0);
    assert_true(a.nchunks > 10);
    struct entry_reader r;
    struct entry e;
    uint32_t seen = 0;
    entry_reader_start(&r, &a, s);
    for (; entry_reader_next(&r, &e); seen++) {
        assert_int_equal(e.tick, seen);
        assert_int_equal(e.node, seen * 7);
    }
    assert_false(r.failed);
    assert_int_equal(seen, n);
    seen = 0;
    entry_reader_start(&r, &b, s);
    for (; entry_reader_next(&r, &e); seen++) {
        assert_int_equal(e.tick, seen * 3);
        assert_int_equal(e.node, seen * 3 + 1);
    }
    assert_int_equal(seen, (n + 2) / 3);
    entry_log_free(&a);
    entry_log_free(&b);
    spool_free(s);
}

static void *open_plugin(FILE *out, double interval_s)
{
    static const pyflame_host host = {.api_version = PYFLAME_API_VERSION};
    pyflame_output_config cfg = {.out = out, .interval_s = interval_s, .pid = 42};
    void *state = pyflame_output_entry.open(&host, &cfg);
    assert_non_null(state);
    return state;
}

/* A failed sample between three of one thread's: one profile, the weights
 * the gaps (the last one the median gap, 2 ms). */
static void weights_and_merge(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    void *p = open_plugin(out, 0.001);
    pyflame_frame frames[2] = {{.file = "a.py", .name = "leaf", .line = 3},
                               {.file = "a.py", .name = "main", .line = 9}};
    pyflame_thread th = {.os_tid = 5, .ident = 77, .name = "MainThread",
                         .nframes = 2, .frames = frames};
    const uint64_t t0 = 1000000000000ull, ms = 1000000;
    pyflame_sample smp = {.time_ns = t0, .status = PYFLAME_OK, .nthreads = 1, .threads = &th};
    assert_int_equal(pyflame_output_entry.write_sample(p, &smp), PYFLAME_OK);
    smp.time_ns = t0 + 2 * ms;
    assert_int_equal(pyflame_output_entry.write_sample(p, &smp), PYFLAME_OK);
    pyflame_sample failed = {.time_ns = t0 + 3 * ms, .status = PYFLAME_ERR_READ};
    assert_int_equal(pyflame_output_entry.write_sample(p, &failed), PYFLAME_OK);
    smp.time_ns = t0 + 7 * ms;
    assert_int_equal(pyflame_output_entry.write_sample(p, &smp), PYFLAME_OK);
    assert_int_equal(pyflame_output_entry.close(p), PYFLAME_OK);
    fclose(out);
    assert_non_null(strstr(text, "{\"name\":\"main\",\"file\":\"a.py\",\"line\":9}"));
    assert_non_null(strstr(text, "\"name\":\"thread MainThread (5)\",\"unit\":\"microseconds\","
                                 "\"startValue\":0,\"endValue\":9000,"));
    assert_non_null(strstr(text, "\"samples\":[[0,1],[0,1],[2],[0,1]],\n"
                                 " \"weights\":[2000,1000,4000,2000]}]"));
    assert_null(strstr(text, "\"pyflame\",\"unit\"")); /* merged */
    free(text);
}

static void feed(void *p, uint64_t *now, size_t n)
{
    static pyflame_frame frames[20];
    static const char *names[] = {"a", "b", "c", "d", "e"};
    pyflame_thread th[4];
    for (size_t i = 0; i < n; i++) {
        for (int f = 0; f < 20; f++)
            frames[f] = (pyflame_frame){.file = "x.py", .name = names[(f + i) % 5],
                                        .line = (uint32_t)(f + i % 3)};
        for (int k = 0; k < 4; k++)
            th[k] = (pyflame_thread){.os_tid = 100 + k, .ident = 200 + k,
                                     .nframes = 10 + (uint32_t)k, .frames = frames};
        pyflame_sample smp = {.time_ns = *now, .status = PYFLAME_OK, .nthreads = 4,
                              .threads = th};
        *now += 1000000;
        assert_int_equal(pyflame_output_entry.write_sample(p, &smp), PYFLAME_OK);
    }
}

static void memory_stays_bounded(void **state)
{
    (void)state;
    FILE *out = fopen("/dev/null", "w");
    assert_non_null(out);
    void *p = open_plugin(out, 0.001);
    uint64_t now = 1000000000000ull;
    feed(p, &now, 20000); /* every distinct stack and thread seen, buffers grown */
    size_t before = heap_in_use();
    feed(p, &now, 200000);
    size_t after = heap_in_use();
    print_message("heap: %zu bytes before, %zu after 200,000 more samples\n", before, after);
    assert_true(after < before + 64 * 1024);
    assert_int_equal(pyflame_output_entry.close(p), PYFLAME_OK);
    fclose(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(timeline_matches_sorted_gaps),
        cmocka_unit_test(entry_log_reads_back),
        cmocka_unit_test(weights_and_merge),
        cmocka_unit_test(memory_stays_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
