/* test_speedscope: the speedscope plugin's samples on disk (timeline.c,
 * entry_log.c) and the plugin as the core drives it.
 *
 * - The spans of small runs worked out by hand from timeline.h's promise,
 *   and of long random ones (clock set back now and then, -x or not) the
 *   properties it promises: spans that follow each other, each weighing
 *   its gap or the typical spacing, that spacing a median of the gaps.
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

#define MS 1000000ull /* ns */

/* The spans of the samples taken at times t[0..n) (ms from any start):
 * what timeline.c makes of them. */
static void spans_of(const uint64_t *t_ms, size_t n, uint64_t interval_ms, bool exclude_idle,
                     struct span *out)
{
    struct timeline tl;
    assert_int_equal(timeline_open(&tl, interval_ms * MS, exclude_idle), 0);
    for (size_t k = 0; k < n; k++)
        assert_int_equal(timeline_add(&tl, 1700000000000000000ull + t_ms[k] * MS), 0);
    assert_int_equal(timeline_count(&tl), n);
    assert_int_equal(timeline_finish(&tl), 0);
    for (size_t k = 0; k < n; k++)
        assert_int_equal(timeline_span(&tl, k, &out[k]), 0);
    struct span none;
    assert_int_equal(timeline_span(&tl, n, &none), -1);
    timeline_free(&tl);
}

/* A small run worked out by hand from timeline.h's promise: times and
 * the expected (offset, weight) of each sample, all in ms. */
struct worked {
    const char *what;
    uint64_t interval;
    bool exclude_idle;
    size_t n;
    uint64_t t[8];
    struct span want[8];
};

static const struct worked WORKED[] = {
    /* Gaps 2, 1, 4 and one not later: the median gap is 2 ms, above the
     * interval: it stands for the repeated time and for the last one. */
    {"each sample until the next", 1, false, 5,
     {0, 2, 3, 3, 7}, {{0, 2}, {2, 1}, {3, 2}, {5, 4}, {9, 2}}},
    /* The clock set back 8 ms after 12: that sample takes the median
     * (gaps 2, 2, 3). */
    {"the clock set back", 1, false, 5,
     {10, 12, 4, 6, 9}, {{0, 2}, {2, 2}, {4, 2}, {6, 3}, {9, 2}}},
    /* Gaps 1, 2, 3: the median, 2 ms, is below the 5 ms asked for. */
    {"the interval when the median is below it", 5, false, 4,
     {0, 1, 3, 6}, {{0, 1}, {1, 2}, {3, 3}, {6, 5}}},
    /* No gap at all: the interval. */
    {"no gap", 1, false, 3, {5, 5, 5}, {{0, 1}, {1, 1}, {2, 1}}},
    {"one sample", 3, true, 1, {40}, {{0, 3}}},
    /* Without -x, the 97 ms before the last sample are time the target
     * ran as last seen... */
    {"a long gap without -x", 1, false, 5,
     {0, 1, 2, 3, 100}, {{0, 1}, {1, 1}, {2, 1}, {3, 97}, {100, 1}}},
    /* ... with -x they may hide left-out idle samples: at most twice the
     * typical spacing (gaps 1, 1, 1, 97: 1 ms) plus 10 ms. */
    {"a long gap with -x", 1, true, 5,
     {0, 1, 2, 3, 100}, {{0, 1}, {1, 1}, {2, 1}, {3, 12}, {15, 1}}},
    /* The cap itself counts whole: 12 ms stays, 13 ms is cut to 12. */
    {"gaps at the cap with -x", 1, true, 6,
     {0, 1, 2, 14, 15, 28}, {{0, 1}, {1, 1}, {2, 12}, {14, 1}, {15, 12}, {27, 1}}},
};

static void timeline_worked_cases(void **state)
{
    (void)state;
    struct span got[8];
    spans_of(NULL, 0, 1, false, got); /* no sample: no span */
    for (size_t c = 0; c < sizeof WORKED / sizeof *WORKED; c++) {
        const struct worked *w = &WORKED[c];
        print_message("%s\n", w->what);
        spans_of(w->t, w->n, w->interval, w->exclude_idle, got);
        for (size_t k = 0; k < w->n; k++) {
            assert_int_equal(got[k].offset, w->want[k].offset * MS);
            assert_int_equal(got[k].weight, w->want[k].weight * MS);
        }
    }
}

/* What timeline.h promises of any run, checked without working the spans
 * out again: they follow each other from 0; a sample weighs the gap to
 * the next (with -x at most twice the typical spacing plus 10 ms), or the
 * typical spacing when the next is not later and for the last one; the
 * typical spacing is a median of the gaps, or the interval if more. */
static void check_properties(const uint64_t *t, size_t n, uint64_t interval, bool exclude_idle,
                             struct timeline *tl)
{
    struct span last, sp;
    assert_int_equal(timeline_span(tl, n - 1, &last), 0);
    const uint64_t typical = last.weight, cap = typical * 2 + 10 * MS;
    assert_true(typical >= interval);
    size_t ngaps = 0, at_most = 0, at_least = 0, same_time = 0;
    bool typical_is_a_gap = false;
    uint64_t at = 0, gaps_total = 0;
    for (size_t k = 0; k < n; k++) {
        assert_int_equal(timeline_span(tl, k, &sp), 0);
        assert_int_equal(sp.offset, at);
        at += sp.weight;
        if (k + 1 == n)
            break;
        if (t[k + 1] <= t[k]) {
            assert_int_equal(sp.weight, typical);
            same_time++;
            continue;
        }
        uint64_t gap = t[k + 1] - t[k];
        assert_int_equal(sp.weight, exclude_idle && gap > cap ? cap : gap);
        ngaps++;
        gaps_total += gap;
        at_most += gap <= typical;
        at_least += gap >= typical;
        typical_is_a_gap |= gap == typical;
    }
    /* The whole run: every gap (-x: at most), the rest at the typical
     * spacing. */
    if (exclude_idle)
        assert_true(at <= gaps_total + (same_time + 1) * typical);
    else
        assert_int_equal(at, gaps_total + (same_time + 1) * typical);
    if (ngaps == 0) {
        assert_int_equal(typical, interval);
    } else if (typical > interval) {
        assert_true(typical_is_a_gap);
        assert_true(2 * at_most >= ngaps && 2 * at_least >= ngaps);
    } else {
        assert_true(2 * at_most >= ngaps); /* the median is not above */
    }
}

static void check_timeline(size_t n, uint64_t interval, bool exclude_idle, unsigned seed)
{
    uint64_t *t = malloc(n * sizeof *t), now = 1700000000000000000ull;
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
    struct timeline tl;
    assert_int_equal(timeline_open(&tl, interval, exclude_idle), 0);
    for (size_t k = 0; k < n; k++)
        assert_int_equal(timeline_add(&tl, t[k]), 0);
    assert_int_equal(timeline_finish(&tl), 0);
    check_properties(t, n, interval, exclude_idle, &tl);
    /* Out of order, as a sparse thread asks: the same spans. */
    struct span got, again;
    for (size_t k = n; k-- > 0;) {
        assert_int_equal(timeline_span(&tl, k, &got), 0);
        assert_int_equal(timeline_span(&tl, (k * 7919) % n, &again), 0);
        assert_int_equal(timeline_span(&tl, k, &again), 0);
        assert_int_equal(got.offset, again.offset);
        assert_int_equal(got.weight, again.weight);
    }
    assert_int_equal(timeline_span(&tl, n, &got), -1);
    timeline_free(&tl);
    free(t);
}

static void timeline_properties(void **state)
{
    (void)state;
    check_timeline(2, 5000000, true, 3);
    check_timeline(1000, 1000000, false, 4);
    check_timeline(1000, 1000000, true, 5);
    check_timeline(100000, 1000, false, 6);
    check_timeline(100001, 1000, true, 7);
    check_timeline(100001, 5000000, true, 8); /* the interval above the median */
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
        cmocka_unit_test(timeline_worked_cases),
        cmocka_unit_test(timeline_properties),
        cmocka_unit_test(entry_log_reads_back),
        cmocka_unit_test(weights_and_merge),
        cmocka_unit_test(memory_stays_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
