#include "pyobject.h"

#include <stdbool.h>
#include <string.h>

#include "pystring.h"
#include "remote.h"

/* Entries read per system call while walking a dict. */
#define ENTRY_CHUNK 64
/* Largest hash-table index we accept: 2^32 slots of 8 bytes. */
#define MAX_INDEX_LOG2 35

/* Where a dict's entries are: `n` entries of `stride` bytes from
 * `entries`, with the key and value at their offsets; a split dict keeps
 * its values apart, in an array at `values`. */
struct entries {
    uint64_t entries, values;
    size_t n, stride, key, value;
};

/* The entries of a 3.x keys object, with `values` when the dict is split
 * (0 when it is not). */
static int keys_entries(const struct py_objects *o, uint64_t keys, uint64_t values,
                        struct entries *e)
{
    const struct py_layout *l = o->layout;
    uint8_t k[64];
    size_t len = (size_t)l->dict_keys.indices;
    if (l->dict_keys.indices < 0 || len > sizeof k || remote_read(o->host, keys, k, len) != 0)
        return -1;
    int64_t nentries = field_i64(k, l->dict_keys.nentries);
    uint64_t index_bytes;
    bool hashed = true;
    if (l->dict_keys.size >= 0) {
        /* 3.6-3.10: the index width follows from the table size. */
        int64_t size = field_i64(k, l->dict_keys.size);
        if (size <= 0 || size > ((int64_t)1 << 32))
            return -1;
        unsigned width = size <= 0xff ? 1 : size <= 0xffff ? 2 : size <= 0xffffffffLL ? 4 : 8;
        index_bytes = (uint64_t)size * width;
    } else {
        unsigned log2 = k[l->dict_keys.log2_index_bytes];
        if (log2 > MAX_INDEX_LOG2)
            return -1;
        index_bytes = (uint64_t)1 << log2;
        hashed = k[l->dict_keys.kind] == 0; /* DICT_KEYS_GENERAL */
    }
    if (nentries < 0 || nentries > PY_DICT_MAX_ENTRIES)
        return -1;
    e->entries = keys + (uint64_t)l->dict_keys.indices + index_bytes;
    e->n = (size_t)nentries;
    /* Entries of str-only keys drop the cached hash. */
    e->stride = hashed ? 24 : 16;
    e->key = hashed ? 8 : 0;
    e->value = hashed ? 16 : 8;
    e->values = values ? values + (uint64_t)l->dict_keys.values_data : 0;
    return 0;
}

static int dict_entries(const struct py_objects *o, uint64_t dict, struct entries *e)
{
    const struct py_layout *l = o->layout;
    const int32_t offs[] = {l->object.ob_type, l->dict.mask, l->dict.table, l->dict.keys,
                            l->dict.values};
    uint8_t d[64];
    size_t len = fields_end(offs, sizeof offs / sizeof *offs, 8);
    if (len > sizeof d || remote_read(o->host, dict, d, len) != 0)
        return -1;
    if (o->dict_type && field_ptr(d, l->object.ob_type) != o->dict_type)
        return -1;
    if (l->dict.table < 0)
        return keys_entries(o, field_ptr(d, l->dict.keys), field_ptr(d, l->dict.values), e);
    /* 2.7: an open-addressing table of mask + 1 (hash, key, value) slots. */
    int64_t mask = field_i64(d, l->dict.mask);
    if (mask < 0 || mask >= PY_DICT_MAX_ENTRIES)
        return -1;
    *e = (struct entries){.entries = field_ptr(d, l->dict.table), .n = (size_t)mask + 1,
                          .stride = 24, .key = 8, .value = 16};
    return 0;
}

static int each_entry(const struct py_objects *o, const struct entries *e,
                      py_dict_visit visit, void *arg)
{
    uint8_t buf[ENTRY_CHUNK * 24];
    uint64_t values[ENTRY_CHUNK];
    for (size_t i = 0; i < e->n; i += ENTRY_CHUNK) {
        size_t count = e->n - i < ENTRY_CHUNK ? e->n - i : ENTRY_CHUNK;
        if (remote_read(o->host, e->entries + i * e->stride, buf, count * e->stride) != 0 ||
            (e->values &&
             remote_read(o->host, e->values + i * 8, values, count * 8) != 0))
            return -1;
        for (size_t j = 0; j < count; j++) {
            uint64_t key = field_ptr(buf, (int32_t)(j * e->stride + e->key));
            uint64_t value = e->values ? values[j]
                                       : field_ptr(buf, (int32_t)(j * e->stride + e->value));
            /* Empty and deleted slots have no key or no value. */
            if (key && value && visit(arg, key, value))
                return 0;
        }
    }
    return 0;
}

int pyflame_py_dict_each(const struct py_objects *o, uint64_t dict, py_dict_visit visit, void *arg)
{
    struct entries e;
    return dict_entries(o, dict, &e) == 0 ? each_entry(o, &e, visit, arg) : -1;
}

struct find {
    const struct py_objects *o;
    const char *name;
    uint64_t value;
};

static int match_key(void *arg, uint64_t key, uint64_t value)
{
    struct find *f = arg;
    if (!pyflame_py_text_equals(f->o->host, f->o->layout, f->o->str_type, key, f->name))
        return 0;
    f->value = value;
    return 1;
}

/* Looks for `name` among the first `max` entries of `e`. */
static uint64_t find_in(const struct py_objects *o, struct entries e, const char *name,
                        size_t max)
{
    struct find f = {o, name, 0};
    if (e.n > max)
        e.n = max;
    return each_entry(o, &e, match_key, &f) == 0 ? f.value : 0;
}

static uint64_t dict_find(const struct py_objects *o, uint64_t dict, const char *name,
                          size_t max)
{
    struct entries e;
    return dict_entries(o, dict, &e) == 0 ? find_in(o, e, name, max) : 0;
}

uint64_t pyflame_py_dict_get(const struct py_objects *o, uint64_t dict, const char *name)
{
    return dict_find(o, dict, name, PY_DICT_MAX_ENTRIES);
}

int pyflame_py_int_value(const struct py_objects *o, uint64_t addr, uint64_t *out)
{
    const struct py_layout *l = o->layout;
    const int32_t offs[] = {l->object.ob_type, l->pylong.int_value, l->pylong.size, l->pylong.tag};
    uint8_t h[64]; /* room for a free-threaded build's larger header */
    size_t len = fields_end(offs, sizeof offs / sizeof *offs, 8);
    if (len > sizeof h || remote_read(o->host, addr, h, len) != 0)
        return -1;
    uint64_t type = field_ptr(h, l->object.ob_type);
    if (l->pylong.int_value >= 0) {
        /* 2.7: int or long, told apart by type alone. */
        if (!o->int_type)
            return -1;
        if (type == o->int_type) {
            *out = (uint64_t)field_i64(h, l->pylong.int_value);
            return 0;
        }
    }
    if (o->long_type && type != o->long_type)
        return -1;
    uint64_t ndigits;
    bool negative;
    if (l->pylong.tag >= 0) {
        uint64_t tag = field_ptr(h, l->pylong.tag);
        ndigits = tag >> 3;
        negative = (tag & 3) == 2;
    } else {
        int64_t size = field_i64(h, l->pylong.size);
        negative = size < 0;
        ndigits = negative ? (uint64_t)0 - (uint64_t)size : (uint64_t)size;
    }
    uint32_t digits[3];
    if (ndigits > 3 ||
        (ndigits && remote_read(o->host, addr + (uint64_t)l->pylong.digits, digits,
                                ndigits * sizeof *digits) != 0))
        return -1;
    uint64_t v = 0;
    for (size_t i = ndigits; i-- > 0;) {
        if (v >> 34) /* would not fit in 64 bits */
            return -1;
        v = (v << 30) | (digits[i] & 0x3fffffffu);
    }
    *out = negative ? (uint64_t)0 - v : v;
    return 0;
}

/* The attribute `name` of an instance whose dict the interpreter manages
 * (3.11+); `t` holds the type's fields. */
static uint64_t managed_attr(const struct py_objects *o, uint64_t obj, const uint8_t *t,
                             uint64_t flags, const char *name)
{
    const struct py_layout *l = o->layout;
    const pyflame_host *h = o->host;
    uint64_t dict = 0, values = 0;
    if (remote_read_ptr(h, obj + (uint64_t)(int64_t)l->managed.dict, &dict) != 0)
        return 0;
    if (l->managed.tagged && (dict & 1)) {
        values = dict + 1; /* stored as the values' address minus one */
        dict = 0;
    }
    if (dict)
        return dict_find(o, dict, name, PY_ATTR_MAX_ENTRIES);
    if (l->managed.values && !values &&
        remote_read_ptr(h, obj + (uint64_t)(int64_t)l->managed.values, &values) != 0)
        return 0;
    size_t capacity = PY_ATTR_MAX_ENTRIES;
    if (!values && l->managed.inline_flag && (flags & l->managed.inline_flag)) {
        int64_t basicsize = field_i64(t, l->type.basicsize);
        uint8_t prefix[8];
        if (basicsize <= 0 || basicsize > (1 << 20))
            return 0;
        values = obj + (uint64_t)basicsize;
        if (remote_read(h, values, prefix, sizeof prefix) != 0 || !prefix[l->managed.valid])
            return 0;
        capacity = prefix[l->managed.capacity];
    }
    struct entries e;
    if (!values || keys_entries(o, field_ptr(t, l->type.cached_keys), values, &e) != 0)
        return 0;
    return find_in(o, e, name, capacity);
}

uint64_t pyflame_py_object_attr(const struct py_objects *o, uint64_t obj, const char *name)
{
    const struct py_layout *l = o->layout;
    const int32_t offs[] = {l->type.basicsize, l->type.flags, l->type.dictoffset,
                            l->type.cached_keys};
    uint8_t t[1024];
    uint64_t type;
    size_t len = fields_end(offs, sizeof offs / sizeof *offs, 8);
    if (len > sizeof t || remote_read_ptr(o->host, obj + (uint64_t)l->object.ob_type, &type) != 0 ||
        remote_read(o->host, type, t, len) != 0)
        return 0;
    uint64_t flags = field_ptr(t, l->type.flags);
    if (l->managed.flag && (flags & l->managed.flag))
        return managed_attr(o, obj, t, flags, name);
    /* Otherwise the dict pointer sits tp_dictoffset bytes into the object
     * (negative offsets, counted from the end of variable-size objects,
     * are not needed for the objects we read). */
    int64_t offset = field_i64(t, l->type.dictoffset);
    uint64_t dict;
    if (offset <= 0 || offset > (1 << 20) ||
        remote_read_ptr(o->host, obj + (uint64_t)offset, &dict) != 0)
        return 0;
    return dict_find(o, dict, name, PY_ATTR_MAX_ENTRIES);
}
