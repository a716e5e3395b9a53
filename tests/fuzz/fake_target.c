#include "fake_target.h"

#include <stdlib.h>
#include <string.h>

/* Symbols at fixed image offsets.  The order gives the bit of each in
 * fake_target.absent, so the fuzzer can hide any of them. */
static const struct {
    const char *name;
    uint32_t offset;
} SYMBOLS[] = {
    {"Py_Version", 0x00},
    {"_PyThreadState_Current", 0x08},
    {"interp_head", 0x10},
    {"PyCode_Type", 0x18},
    {"PyUnicode_Type", 0x20},
    {"PyString_Type", 0x28},
    {"PyBytes_Type", 0x30},
    {"PyDict_Type", 0x38},
    {"PyLong_Type", 0x40},
    {"PyInt_Type", 0x48},
    {"_PyRuntime", FAKE_RUNTIME_OFFSET},
};
#define NSYMBOLS (sizeof SYMBOLS / sizeof *SYMBOLS)

/* Names not in the table (a future walker may ask for more) still resolve,
 * to one of 16 words from 0x80: FNV-1a of the name picks which. */
static uint32_t other_symbol(const char *name)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 16777619u;
    return 0x80 + 8 * (h % 16);
}

static uint64_t find_symbol(void *ctx, const char *name)
{
    const struct fake_target *t = ctx;
    for (size_t i = 0; i < NSYMBOLS; i++)
        if (strcmp(SYMBOLS[i].name, name) == 0)
            return (t->absent >> i) & 1 ? 0 : FAKE_BASE + SYMBOLS[i].offset;
    return FAKE_BASE + other_symbol(name);
}

static int read_memory(void *ctx, uint64_t addr, void *buf, size_t len)
{
    struct fake_target *t = ctx;
    if (t->armed && t->reads++ == t->after) {
        t->armed = false;
        t->changed = fake_target_swap(t, t->tear_a, t->tear_b);
    }
    if (addr < FAKE_BASE || addr - FAKE_BASE > t->size ||
        len > t->size - (addr - FAKE_BASE))
        return -1;
    if (len)
        memcpy(buf, t->image + (addr - FAKE_BASE), len);
    return 0;
}

__attribute__((format(printf, 2, 3)))
static void warn(void *ctx, const char *fmt, ...)
{
    (void)ctx;
    (void)fmt; /* the walker has nothing to tell a fuzzer */
}

int fake_target_init(struct fake_target *t, const uint8_t *data, size_t len,
                     uint32_t absent)
{
    t->image = malloc(len ? len : 1);
    if (!t->image)
        return -1;
    if (len)
        memcpy(t->image, data, len);
    t->size = len;
    t->absent = absent;
    fake_target_arm(t, 0, 0, 0);
    return 0;
}

void fake_target_free(struct fake_target *t)
{
    free(t->image);
    t->image = NULL;
}

/* Like the core's: reads in order, stopping at the first that fails. */
static size_t read_many(void *ctx, const pyflame_read *reads, size_t n)
{
    size_t done = 0;
    while (done < n && read_memory(ctx, reads[done].addr, reads[done].buf, reads[done].len) == 0)
        done++;
    return done;
}

pyflame_host fake_target_host(struct fake_target *t)
{
    return (pyflame_host){
        .api_version = PYFLAME_API_VERSION,
        .ctx = t,
        .read_memory = read_memory,
        .find_symbol = find_symbol,
        .warn = warn,
        .read_many = read_many,
    };
}

bool fake_target_swap(struct fake_target *t, size_t a, size_t b)
{
    uint8_t wa[8], wb[8];
    if (t->size < 8 || a > t->size - 8 || b > t->size - 8)
        return false;
    /* Through copies: the two words may overlap. */
    memcpy(wa, t->image + a, 8);
    memcpy(wb, t->image + b, 8);
    memcpy(t->image + a, wb, 8);
    memcpy(t->image + b, wa, 8);
    return memcmp(wa, wb, 8) != 0;
}

void fake_target_arm(struct fake_target *t, unsigned after, size_t a, size_t b)
{
    t->armed = after > 0;
    t->changed = false;
    t->after = after;
    t->reads = 0;
    t->tear_a = a;
    t->tear_b = b;
}

bool fake_target_disarm(struct fake_target *t)
{
    t->armed = false;
    return t->changed;
}
