/* test_read_cache: the ABI plugins' per-sample cache of the target's
 * memory (abi-plugins/common/read_cache.c), in front of a made-up host
 * that counts what it is asked.
 *
 * Reads go through aligned 1 KB lines, one host read per line a sample
 * uses; bigger reads go straight through.  A new sample forgets every
 * line, and reads ahead in one batch, in address order, the lines the last
 * one used.  A refresh forgets them too and reads its lines and the reads
 * after them in one batch; the first refresh of a sample is echoed by the
 * next sample's first batch, which then serves that sample's first refresh
 * without a read of its own, unless the sample read anything in between.
 * Past 4096 lines fetched in a sample, reads go straight through.  A line
 * that cannot be read is asked for by the bytes themselves; a failed read
 * in a batch does not stop the reads after it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "read_cache.h"

/* read_cache.c's line size and fetch limit, as it documents them. */
#define LINE 1024u
#define MAX_FETCHES 4096u

#define BASE 0x100000ull
#define SIZE (8u << 20) /* 8192 lines */

/* The made-up target's memory, and what the cache asked of it. */
struct fake_host {
    pyflame_host host; /* ctx: this */
    uint8_t *bytes;    /* [BASE, BASE + SIZE) */
    uint64_t hole_from, hole_to; /* unreadable */
    unsigned reads, line_reads; /* read_memory calls, those of one whole line */
    size_t last_len;
    unsigned batches, batch_reads; /* read_many calls, the reads in them */
    uint64_t batch_addr[64]; /* of the last batch */
    size_t batch_n;
    char warned[64];
};

static bool readable(const struct fake_host *f, uint64_t addr, size_t len)
{
    return addr >= BASE && addr + len <= BASE + SIZE &&
           (addr + len <= f->hole_from || addr >= f->hole_to);
}

static int fake_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
    struct fake_host *f = ctx;
    f->reads++;
    f->line_reads += len == LINE && addr % LINE == 0;
    f->last_len = len;
    if (!readable(f, addr, len))
        return -1;
    memcpy(buf, f->bytes + (addr - BASE), len);
    return 0;
}

static size_t fake_read_many(void *ctx, const pyflame_read *reads, size_t n)
{
    struct fake_host *f = ctx;
    f->batches++;
    f->batch_n = n;
    for (size_t i = 0; i < n; i++) {
        if (i < 64)
            f->batch_addr[i] = reads[i].addr;
        f->batch_reads++;
        if (!readable(f, reads[i].addr, reads[i].len))
            return i;
        memcpy(reads[i].buf, f->bytes + (reads[i].addr - BASE), reads[i].len);
    }
    return n;
}

static uint64_t fake_symbol(void *ctx, const char *name)
{
    (void)ctx;
    return strcmp(name, "_PyRuntime") == 0 ? 0x4242 : 0;
}

__attribute__((format(printf, 2, 3)))
static void fake_warn(void *ctx, const char *fmt, ...)
{
    struct fake_host *f = ctx;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->warned, sizeof f->warned, fmt, ap);
    va_end(ap);
}

static uint8_t byte_at(uint64_t addr)
{
    return (uint8_t)(addr * 7 + 3);
}

static struct fake_host *fake_new(uint32_t api_version)
{
    struct fake_host *f = test_calloc(1, sizeof *f);
    f->bytes = test_malloc(SIZE);
    for (uint64_t i = 0; i < SIZE; i++)
        f->bytes[i] = byte_at(BASE + i);
    f->host = (pyflame_host){.api_version = api_version, .ctx = f, .read_memory = fake_read,
                             .find_symbol = fake_symbol, .warn = fake_warn,
                             .read_many = api_version >= 2 ? fake_read_many : NULL};
    return f;
}

static void fake_free(struct fake_host *f)
{
    test_free(f->bytes);
    test_free(f);
}

static void poke(struct fake_host *f, uint64_t addr, uint8_t value)
{
    f->bytes[addr - BASE] = value;
}

/* A read through the cache of the byte at addr; -1 when it fails. */
static int peek(struct read_cache *c, uint64_t addr)
{
    const pyflame_host *h = pyflame_read_cache_host(c);
    uint8_t b;
    return h->read_memory(h->ctx, addr, &b, 1) == 0 ? b : -1;
}

/* The host's reads and batches since the last call. */
static unsigned asked(struct fake_host *f)
{
    unsigned n = f->reads + f->batches;
    f->reads = f->batches = 0;
    return n;
}

static void reads_go_through_lines(void **state)
{
    (void)state;
    struct fake_host *f = fake_new(2);
    struct read_cache *c = pyflame_read_cache_new(&f->host);
    pyflame_read_cache_begin_sample(c);
    assert_int_equal(asked(f), 0); /* nothing to read ahead yet */
    const pyflame_host *h = pyflame_read_cache_host(c);
    uint64_t v, want;
    assert_int_equal(h->read_memory(h->ctx, BASE + 100, &v, sizeof v), 0);
    memcpy(&want, f->bytes + 100, sizeof want);
    assert_int_equal(v, want);
    assert_int_equal(f->line_reads, 1);
    assert_int_equal(asked(f), 1);
    /* The same line: no read. */
    assert_int_equal(peek(c, BASE + 900), byte_at(BASE + 900));
    assert_int_equal(asked(f), 0);
    /* Across two lines: the next one is read. */
    assert_int_equal(h->read_memory(h->ctx, BASE + LINE - 4, &v, sizeof v), 0);
    memcpy(&want, f->bytes + LINE - 4, sizeof want);
    assert_int_equal(v, want);
    assert_int_equal(asked(f), 1);
    assert_int_equal(f->line_reads, 2);
    /* More than a line: straight through, the bytes asked for only. */
    uint8_t big[2 * LINE];
    assert_int_equal(h->read_memory(h->ctx, BASE + 10, big, sizeof big), 0);
    assert_int_equal(f->last_len, sizeof big);
    assert_memory_equal(big, f->bytes + 10, sizeof big);
    assert_int_equal(h->read_memory(h->ctx, BASE, big, 0), 0);
    pyflame_read_cache_free(c);
    fake_free(f);
}

/* A new sample sees the target anew; the lines the last one used are
 * read ahead, in one batch, in address order. */
static void samples_read_ahead_what_the_last_used(void **state)
{
    (void)state;
    struct fake_host *f = fake_new(2);
    struct read_cache *c = pyflame_read_cache_new(&f->host);
    pyflame_read_cache_begin_sample(c);
    peek(c, BASE + 5 * LINE);
    peek(c, BASE + 1 * LINE);
    peek(c, BASE + 3 * LINE + 7);
    asked(f);
    poke(f, BASE + 3 * LINE + 7, 0xAB);
    assert_int_equal(peek(c, BASE + 3 * LINE + 7), byte_at(BASE + 3 * LINE + 7));
    pyflame_read_cache_begin_sample(c);
    assert_int_equal(f->batches, 1);
    assert_int_equal(f->batch_n, 3);
    assert_int_equal(f->batch_addr[0], BASE + 1 * LINE);
    assert_int_equal(f->batch_addr[1], BASE + 3 * LINE);
    assert_int_equal(f->batch_addr[2], BASE + 5 * LINE);
    asked(f);
    assert_int_equal(peek(c, BASE + 3 * LINE + 7), 0xAB);
    assert_int_equal(peek(c, BASE + 5 * LINE), byte_at(BASE + 5 * LINE));
    assert_int_equal(asked(f), 0);
    pyflame_read_cache_free(c);
    fake_free(f);
}

/* A line that cannot be read whole (a mapping that ends inside it) is
 * asked for by the bytes themselves. */
static void unreadable_line_reads_the_bytes(void **state)
{
    (void)state;
    struct fake_host *f = fake_new(2);
    f->hole_from = BASE + 100;
    f->hole_to = BASE + LINE;
    struct read_cache *c = pyflame_read_cache_new(&f->host);
    pyflame_read_cache_begin_sample(c);
    assert_int_equal(peek(c, BASE + 50), byte_at(BASE + 50));
    assert_int_equal(f->reads, 2); /* the line, then the byte */
    assert_int_equal(f->last_len, 1);
    assert_int_equal(peek(c, BASE + 200), -1);
    assert_int_equal(peek(c, 0x10), -1); /* nothing there */
    pyflame_read_cache_free(c);
    fake_free(f);
}

/* A batch goes on past a line it could not read; that line alone is
 * read again when asked for. */
static void failed_read_in_a_batch(void **state)
{
    (void)state;
    struct fake_host *f = fake_new(2);
    struct read_cache *c = pyflame_read_cache_new(&f->host);
    pyflame_read_cache_begin_sample(c);
    peek(c, BASE + 1 * LINE);
    peek(c, BASE + 2 * LINE);
    peek(c, BASE + 3 * LINE);
    f->hole_from = BASE + 2 * LINE;
    f->hole_to = BASE + 3 * LINE;
    asked(f);
    pyflame_read_cache_begin_sample(c);
    assert_int_equal(f->batches, 2); /* stopped at the second line, went on */
    assert_int_equal(f->batch_reads, 3); /* each line asked for once */
    asked(f);
    assert_int_equal(peek(c, BASE + 1 * LINE), byte_at(BASE + 1 * LINE));
    assert_int_equal(peek(c, BASE + 3 * LINE), byte_at(BASE + 3 * LINE));
    assert_int_equal(asked(f), 0);
    assert_int_equal(peek(c, BASE + 2 * LINE), -1);
    assert_int_equal(asked(f), 2); /* the line, then the byte */
    pyflame_read_cache_free(c);
    fake_free(f);
}

/* A refresh forgets every line and reads those of its spans, and then
 * the reads after them, in one batch. */
static void refresh_reads_in_one_batch(void **state)
{
    (void)state;
    struct fake_host *f = fake_new(2);
    struct read_cache *c = pyflame_read_cache_new(&f->host);
    pyflame_read_cache_begin_sample(c);
    assert_int_equal(peek(c, BASE + 10), byte_at(BASE + 10));
    poke(f, BASE + 10, 0x11);
    asked(f);
    struct span spans[] = {{BASE + 10, 4}, {BASE + 4 * LINE - 2, 4}, {BASE, 0}};
    uint64_t after_value = 0;
    pyflame_read after = {BASE + 100 * LINE, &after_value, sizeof after_value};
    assert_int_equal(pyflame_read_cache_refresh(c, spans, 3, &after, 1), 0);
    assert_int_equal(f->batches, 1);
    assert_int_equal(f->batch_n, 4); /* three lines, then the read after */
    assert_int_equal(f->batch_addr[3], BASE + 100 * LINE);
    uint64_t want;
    memcpy(&want, f->bytes + 100 * LINE, sizeof want);
    assert_int_equal(after_value, want);
    asked(f);
    assert_int_equal(peek(c, BASE + 10), 0x11);
    assert_int_equal(peek(c, BASE + 4 * LINE + 1), byte_at(BASE + 4 * LINE + 1));
    assert_int_equal(asked(f), 0);
    /* A read after that fails, or too many of them: the refresh says so. */
    pyflame_read bad = {0x10, &after_value, sizeof after_value};
    assert_int_equal(pyflame_read_cache_refresh(c, spans, 1, &bad, 1), -1);
    pyflame_read many[READ_AFTER_MAX + 1];
    for (size_t i = 0; i < READ_AFTER_MAX + 1; i++)
        many[i] = after;
    assert_int_equal(pyflame_read_cache_refresh(c, spans, 1, many, READ_AFTER_MAX + 1), -1);
    pyflame_read_cache_free(c);
    fake_free(f);
}

/* One sample's first refresh, the echo (see above): with the next
 * sample's first batch it reads what that sample's first refresh will
 * want, so that refresh costs no read of its own. */
static void first_refresh_is_echoed(void **state)
{
    (void)state;
    struct fake_host *f = fake_new(2);
    struct read_cache *c = pyflame_read_cache_new(&f->host);
    struct span spans[] = {{BASE + 2 * LINE, 16}};
    uint64_t after_value;
    pyflame_read after = {BASE + 50 * LINE, &after_value, sizeof after_value};
    pyflame_read_cache_begin_sample(c);
    peek(c, BASE + 7 * LINE);
    assert_int_equal(pyflame_read_cache_refresh(c, spans, 1, &after, 1), 0);
    /* The next sample: its first batch reads the echo too... */
    pyflame_read_cache_begin_sample(c);
    assert_int_equal(f->batches, 2);
    assert_int_equal(f->batch_n, 3); /* the line used, then the echo's line and read */
    assert_int_equal(f->batch_addr[0], BASE + 7 * LINE);
    assert_int_equal(f->batch_addr[1], BASE + 2 * LINE);
    assert_int_equal(f->batch_addr[2], BASE + 50 * LINE);
    poke(f, BASE + 2 * LINE, 0x22);
    poke(f, BASE + 50 * LINE, 0x33);
    asked(f);
    /* ...which serves its first refresh, as it was at that batch. */
    after_value = 0;
    assert_int_equal(pyflame_read_cache_refresh(c, spans, 1, &after, 1), 0);
    assert_int_equal(asked(f), 0);
    assert_int_equal(after_value & 0xff, byte_at(BASE + 50 * LINE));
    assert_int_equal(peek(c, BASE + 2 * LINE), byte_at(BASE + 2 * LINE));
    assert_int_equal(asked(f), 0);
    /* A second refresh in the same sample reads for itself. */
    assert_int_equal(pyflame_read_cache_refresh(c, spans, 1, &after, 1), 0);
    assert_int_equal(asked(f), 1);
    assert_int_equal(after_value & 0xff, 0x33);
    assert_int_equal(peek(c, BASE + 2 * LINE), 0x22);
    pyflame_read_cache_free(c);
    fake_free(f);
}

/* The echo does not serve a refresh after the sample read the target on
 * its own (what it read may be newer than the echo), nor one that wants
 * more than the echo holds, nor a sample after one that made no refresh. */
static void echo_not_served(void **state)
{
    (void)state;
    struct span spans[] = {{BASE + 2 * LINE, 16}}, more[] = {{BASE + 2 * LINE, 2 * LINE}};
    uint64_t v;
    pyflame_read after = {BASE + 50 * LINE, &v, sizeof v};
    for (int c_ = 0; c_ < 3; c_++) {
        struct fake_host *f = fake_new(2);
        struct read_cache *c = pyflame_read_cache_new(&f->host);
        pyflame_read_cache_begin_sample(c);
        assert_int_equal(pyflame_read_cache_refresh(c, spans, 1, &after, 1), 0);
        if (c_ == 2) {
            pyflame_read_cache_begin_sample(c); /* no refresh in this one */
            peek(c, BASE + 2 * LINE);
        }
        pyflame_read_cache_begin_sample(c);
        if (c_ == 0)
            peek(c, BASE + 90 * LINE); /* read late, on its own */
        asked(f);
        assert_int_equal(pyflame_read_cache_refresh(c, c_ == 1 ? more : spans, 1, &after, 1), 0);
        assert_int_equal(asked(f), 1);
        pyflame_read_cache_free(c);
        fake_free(f);
    }
}

/* Past MAX_FETCHES lines in one sample, reads go straight through; a new
 * sample may fetch lines again. */
static void fetches_are_bounded(void **state)
{
    (void)state;
    struct fake_host *f = fake_new(2);
    struct read_cache *c = pyflame_read_cache_new(&f->host);
    pyflame_read_cache_begin_sample(c);
    uint64_t line = 0;
    /* Refreshes free the slots (a refresh forgets every line), not the
     * sample's count of lines fetched. */
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < 256; i++, line++)
            assert_int_equal(peek(c, BASE + line * LINE), byte_at(BASE + line * LINE));
        assert_int_equal(pyflame_read_cache_refresh(c, NULL, 0, NULL, 0), 0);
    }
    assert_int_equal(f->line_reads, MAX_FETCHES);
    assert_int_equal(peek(c, BASE + line * LINE + 3), byte_at(BASE + line * LINE + 3));
    assert_int_equal(f->last_len, 1);
    pyflame_read_cache_free(c);
    /* In a sample of its own, a line again. */
    c = pyflame_read_cache_new(&f->host);
    pyflame_read_cache_begin_sample(c);
    f->line_reads = 0;
    peek(c, BASE + line * LINE + 3);
    assert_int_equal(f->line_reads, 1);
    pyflame_read_cache_free(c);
    fake_free(f);
}

/* A host of API 1 has no batches: read one by one, the same lines. */
static void host_without_batches(void **state)
{
    (void)state;
    struct fake_host *f = fake_new(1);
    struct read_cache *c = pyflame_read_cache_new(&f->host);
    const pyflame_host *h = pyflame_read_cache_host(c);
    assert_null(h->read_many);
    pyflame_read_cache_begin_sample(c);
    peek(c, BASE + 1 * LINE);
    peek(c, BASE + 6 * LINE);
    asked(f);
    pyflame_read_cache_begin_sample(c);
    assert_int_equal(f->reads, 2);
    assert_int_equal(f->batches, 0);
    asked(f);
    assert_int_equal(peek(c, BASE + 6 * LINE), byte_at(BASE + 6 * LINE));
    assert_int_equal(asked(f), 0);
    pyflame_read_cache_free(c);
    fake_free(f);
}

/* What is not a read goes to the real host as it is. */
static void the_rest_is_forwarded(void **state)
{
    (void)state;
    struct fake_host *f = fake_new(2);
    struct read_cache *c = pyflame_read_cache_new(&f->host);
    const pyflame_host *h = pyflame_read_cache_host(c);
    assert_int_equal(h->api_version, 2);
    assert_int_equal(h->find_symbol(h->ctx, "_PyRuntime"), 0x4242);
    h->warn(h->ctx, "odd %s %d", "thing", 7);
    assert_string_equal(f->warned, "odd thing 7");
    uint8_t b[2];
    pyflame_read r[] = {{BASE + 1, &b[0], 1}, {BASE + 2, &b[1], 1}};
    assert_int_equal(h->read_many(h->ctx, r, 2), 2);
    assert_int_equal(b[1], byte_at(BASE + 2));
    pyflame_read_cache_free(c);
    fake_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_go_through_lines),
        cmocka_unit_test(samples_read_ahead_what_the_last_used),
        cmocka_unit_test(unreadable_line_reads_the_bytes),
        cmocka_unit_test(failed_read_in_a_batch),
        cmocka_unit_test(refresh_reads_in_one_batch),
        cmocka_unit_test(first_refresh_is_echoed),
        cmocka_unit_test(echo_not_served),
        cmocka_unit_test(fetches_are_bounded),
        cmocka_unit_test(host_without_batches),
        cmocka_unit_test(the_rest_is_forwarded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
