#include "code_cache.h"

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "linetable.h"
#include "pystring.h"
#include "remote.h"

#define BUCKETS 2048 /* power of two */
#define WAYS 4
#define MAX_LINETABLE (1u << 20)
/* Names and line tables the cached entries may hold together.  Real
 * programs need a few MB; past this, entries the current sample does not
 * use are dropped, so a target of many huge line tables costs re-reading,
 * not memory. */
#define MAX_CACHE_BYTES (64u << 20)

struct code_cache {
    const pyflame_host *host;
    const struct py_layout *layout;
    struct code_types types;
    uint64_t epoch;
    uint64_t next_key;
    struct code_info *temps; /* overflow entries of the current sample */
    size_t bytes;            /* held by the entries in slots */
    struct code_info slots[BUCKETS][WAYS];
};

struct code_cache *pyflame_code_cache_new(const pyflame_host *host,
                                          const struct py_layout *layout,
                                          struct code_types types)
{
    if (layout->code.size > CODE_HEAD_MAX)
        return NULL;
    struct code_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->host = host;
    c->layout = layout;
    c->types = types;
    c->epoch = 1;
    return c;
}

static void clear_entry(struct code_info *e)
{
    free(e->file);
    free(e->name);
    free(e->lines);
    memset(e, 0, sizeof *e);
}

static size_t entry_bytes(const struct code_info *e)
{
    return (e->file ? strlen(e->file) + 1 : 0) + (e->name ? strlen(e->name) + 1 : 0) +
           e->nlines;
}

static void clear_slot(struct code_cache *c, struct code_info *e)
{
    c->bytes -= entry_bytes(e);
    clear_entry(e);
}

/* Over MAX_CACHE_BYTES: drops every entry the current sample does not use. */
static void shrink(struct code_cache *c)
{
    for (size_t b = 0; b < BUCKETS; b++)
        for (size_t w = 0; w < WAYS; w++)
            if (c->slots[b][w].addr && c->slots[b][w].epoch != c->epoch)
                clear_slot(c, &c->slots[b][w]);
}

/* A new empty entry that lives until the next sample; NULL without memory. */
static struct code_info *new_temp(struct code_cache *c)
{
    struct code_info *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->next_temp = c->temps;
    c->temps = t;
    return t;
}

/* Moves a filled slot into a temporary entry; NULL (and the slot cleared)
 * without memory. */
static struct code_info *to_temp(struct code_cache *c, struct code_info *e)
{
    struct code_info *t = new_temp(c);
    if (!t) {
        clear_slot(c, e);
        return NULL;
    }
    c->bytes -= entry_bytes(e);
    struct code_info *next = t->next_temp;
    *t = *e;
    t->next_temp = next;
    memset(e, 0, sizeof *e);
    return t;
}

static void free_temps(struct code_cache *c)
{
    while (c->temps) {
        struct code_info *t = c->temps;
        c->temps = t->next_temp;
        clear_entry(t);
        free(t);
    }
}

void pyflame_code_cache_free(struct code_cache *c)
{
    if (!c)
        return;
    free_temps(c);
    for (size_t b = 0; b < BUCKETS; b++)
        for (size_t w = 0; w < WAYS; w++)
            clear_entry(&c->slots[b][w]);
    free(c);
}

void pyflame_code_cache_begin_sample(struct code_cache *c)
{
    free_temps(c);
    c->epoch++;
}

static size_t bucket_of(uint64_t addr)
{
    return (size_t)(((addr >> 4) * 0x9E3779B97F4A7C15ull) >> 53) & (BUCKETS - 1);
}

/* Reads names and line table into `e` (already holding the identity). */
static int fill(struct code_cache *c, struct code_info *e)
{
    const pyflame_host *h = c->host;
    e->file = pyflame_py_read_text(h, c->layout, c->types.str, e->filename_ptr);
    e->name = pyflame_py_read_text(h, c->layout, c->types.str, e->name_ptr);
    e->lines = pyflame_py_read_bytes(h, c->layout, c->types.bytes, e->linetable_ptr,
                                     MAX_LINETABLE, &e->nlines);
    if (!e->file || !e->name || !e->lines)
        return PYFLAME_ERR_READ;
    e->key = ++c->next_key;
    return PYFLAME_OK;
}

/* The way to refill in a bucket: empty first, then the least recently used
 * that the current sample does not use; NULL if all are in use. */
static struct code_info *victim(struct code_cache *c, struct code_info *ways)
{
    struct code_info *best = NULL;
    for (size_t w = 0; w < WAYS; w++) {
        struct code_info *e = &ways[w];
        if (e->addr == 0)
            return e;
        if (e->epoch != c->epoch && (!best || e->epoch < best->epoch))
            best = e;
    }
    return best;
}

int pyflame_code_cache_get(struct code_cache *c, uint64_t addr,
                           struct code_info **out)
{
    const struct py_layout *l = c->layout;
    uint8_t head[CODE_HEAD_MAX];
    if (remote_read(c->host, addr, head, (size_t)l->code.size) != 0)
        return PYFLAME_ERR_READ;
    if (c->types.code && field_ptr(head, l->object.ob_type) != c->types.code)
        return CODE_NOT_CODE;

    struct code_info want = {
        .addr = addr,
        .filename_ptr = field_ptr(head, l->code.filename),
        .name_ptr = field_ptr(head, l->code.name),
        .linetable_ptr = field_ptr(head, l->code.linetable),
        .firstlineno = field_i32(head, l->code.firstlineno),
        .memo_offset = LONG_MIN,
    };
    want.code_bytes = UINT64_MAX; /* unknown: the bytecode is a separate object */
    if (l->code.code >= 0) {
        /* 3.11+: the code object holds its bytecode and counts it. */
        int64_t units = field_i64(head, l->object.ob_size);
        if (units < 0 || units > (1 << 26))
            return PYFLAME_ERR_READ;
        want.code_bytes = (uint64_t)units * 2; /* _Py_CODEUNIT is 2 bytes */
    }

    struct code_info *ways = c->slots[bucket_of(addr)];
    for (size_t w = 0; w < WAYS; w++) {
        struct code_info *e = &ways[w];
        if (e->addr == addr && e->filename_ptr == want.filename_ptr &&
            e->name_ptr == want.name_ptr &&
            e->linetable_ptr == want.linetable_ptr &&
            e->firstlineno == want.firstlineno &&
            e->code_bytes == want.code_bytes) {
            e->epoch = c->epoch;
            *out = e;
            return PYFLAME_OK;
        }
    }

    struct code_info *e = victim(c, ways);
    bool in_slot = e != NULL;
    if (e) {
        clear_slot(c, e);
    } else {
        if (!(e = new_temp(c)))
            return PYFLAME_ERR_NOMEM;
        want.next_temp = e->next_temp;
    }
    *e = want;
    if (fill(c, e) != PYFLAME_OK) {
        struct code_info *keep_next = e->next_temp;
        clear_entry(e);
        e->next_temp = keep_next;
        return PYFLAME_ERR_READ;
    }
    e->epoch = c->epoch;
    if (in_slot && (c->bytes += entry_bytes(e)) > MAX_CACHE_BYTES) {
        shrink(c);
        /* All of it is this sample's: the new entry lives one sample. */
        if (c->bytes > MAX_CACHE_BYTES && !(e = to_temp(c, e)))
            return PYFLAME_ERR_NOMEM;
    }
    *out = e;
    return PYFLAME_OK;
}

int pyflame_code_info_line(struct code_info *ci, enum py_line_format format, long offset)
{
    if (offset != ci->memo_offset) {
        ci->memo_line = 0;
        if (offset < 0 || (uint64_t)offset < ci->code_bytes)
            ci->memo_line = pyflame_py_line_for_offset(format, ci->lines, ci->nlines,
                                                       ci->firstlineno, offset);
        ci->memo_offset = offset;
    }
    return ci->memo_line;
}
