/* Reading plain Python objects out of the target: dicts, ints and instance
 * attributes, as far as finding thread names needs them.  Every layout
 * difference comes from the layout table; every size read is bounded. */
#ifndef PYFLAME_ABI_PYOBJECT_H
#define PYFLAME_ABI_PYOBJECT_H

#include <stdint.h>

#include <pyflame/pyflame.h>

#include "layout.h"

/* Dicts bigger than this are not read (sys.modules of a large program has
 * a few thousand entries). */
#define PY_DICT_MAX_ENTRIES (1u << 16)
/* Entries searched for an instance attribute: a Thread has about twenty;
 * a huge __dict__ (or one shared by thousands of objects) is not searched
 * to its end, since every key costs a read. */
#define PY_ATTR_MAX_ENTRIES 256u

struct py_objects {
    const pyflame_host *host;
    const struct py_layout *layout;
    /* Type object addresses, 0 when unknown (then not checked). */
    uint64_t str_type, dict_type, long_type, int_type;
};

/* Called with each key and value of a dict; non-zero stops the walk. */
typedef int (*py_dict_visit)(void *arg, uint64_t key, uint64_t value);

/* Visits every entry of the dict at `dict`.  Returns 0, or -1 if the dict
 * cannot be read (entries already visited stay visited). */
int pyflame_py_dict_each(const struct py_objects *o, uint64_t dict, py_dict_visit visit,
                         void *arg);

/* The value stored under the str key `name` (ASCII) in the dict at `dict`:
 * 0 if the dict has no such key or cannot be read. */
uint64_t pyflame_py_dict_get(const struct py_objects *o, uint64_t dict, const char *name);

/* The value of the int at `addr`, two's complement if negative.  Returns
 * -1 if it is not an int or does not fit in 64 bits. */
int pyflame_py_int_value(const struct py_objects *o, uint64_t addr, uint64_t *out);

/* The instance attribute `name` (ASCII) of the object at `obj`, from its
 * __dict__ however the release keeps it; 0 if absent or unreadable. */
uint64_t pyflame_py_object_attr(const struct py_objects *o, uint64_t obj, const char *name);

#endif
