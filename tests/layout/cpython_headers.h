/* CPython's headers for cpython_truth.h, and what they lack: included
 * first (Python.h comes before any system header), then the user's
 * TRUTH macros, then cpython_truth.h. */
#ifndef PYFLAME_TESTS_CPYTHON_HEADERS_H
#define PYFLAME_TESTS_CPYTHON_HEADERS_H

#define Py_BUILD_CORE 1
#include <Python.h>
#include <frameobject.h>
#include <stddef.h>
#include <string.h>

#if PY_VERSION_HEX >= 0x030B0000
#include <internal/pycore_frame.h>
#include <opcode.h>
#endif
#if PY_VERSION_HEX >= 0x03090000
#include <internal/pycore_interp.h>
#include <internal/pycore_runtime.h>
#elif PY_VERSION_HEX >= 0x03080000
#include <internal/pycore_pystate.h>
#elif PY_VERSION_HEX >= 0x03070000
#include <internal/pystate.h>
#endif
#if PY_VERSION_HEX >= 0x03080000 && PY_VERSION_HEX < 0x030C0000
#include <internal/pycore_gil.h>
#elif PY_VERSION_HEX >= 0x03070000 && PY_VERSION_HEX < 0x03080000
#include <internal/gil.h>
#endif

#if PY_VERSION_HEX >= 0x030B0000
#include <internal/pycore_dict.h>
#include <internal/pycore_object.h>
#else
#include <longintrepr.h>
#endif
#if PY_VERSION_HEX >= 0x030A0000
#include <internal/pycore_moduleobject.h>
#endif

#include "layout.h"

#define TRUTH_STR_(x) #x
#define TRUTH_XSTR(x) TRUTH_STR_(x)
/* The name of a symbol the headers declare (a compile error if they do
 * not), macros expanded: 2.7's PyBytes_Type is PyString_Type. */
#define DECLARED(sym) ((void)&(sym), TRUTH_XSTR(sym))
#define FIELD_END(type, member) (offsetof(type, member) + sizeof(((type *)0)->member))
#define MAX2(a, b) ((a) > (b) ? (a) : (b))
#define MAX4(a, b, c, d) MAX2(MAX2(a, b), MAX2(c, d))

#if PY_VERSION_HEX < 0x030A0000
/* PyModuleObject is private to Objects/moduleobject.c before 3.10 (then
 * Include/internal/pycore_moduleobject.h): its head, as 2.7-3.9 define it
 * there. */
typedef struct {
    PyObject_HEAD
    PyObject *md_dict;
} PyModuleObject;
#endif

#if PY_MAJOR_VERSION == 3 && PY_VERSION_HEX < 0x030B0000
/* struct _dictkeysobject is private to Objects/dict-common.h in 3.6-3.10
 * (not installed; Include/internal/pycore_dict.h from 3.11): its fields as
 * those releases define them there.  3.6 has a union of int8_t..int64_t
 * arrays for dk_indices, at the same 8-aligned offset. */
struct dict_keys_mirror {
    Py_ssize_t dk_refcnt;
    Py_ssize_t dk_size;
    Py_ssize_t (*dk_lookup)(void);
    Py_ssize_t dk_usable;
    Py_ssize_t dk_nentries;
    char dk_indices[];
};
#endif

#if PY_MAJOR_VERSION == 3
/* The word holding PyASCIIObject's state bit-field, found by setting its
 * bits in a real one: a bit-field has no offsetof(). */
static long unicode_state_word(void)
{
    PyASCIIObject o;
    memset(&o, 0, sizeof o);
    o.state.kind = 1;
    o.state.compact = 1;
    o.state.ascii = 1;
    const unsigned char *p = (const unsigned char *)&o;
    size_t i = 0;
    while (i < sizeof o && !p[i])
        i++;
    return (long)(i & ~(size_t)3);
}

enum unicode_state_field { UNICODE_KIND, UNICODE_COMPACT, UNICODE_ASCII };

/* The lowest bit of one field of the state bit-field, counted from the
 * start of the 32-bit word unicode_state_word() finds (little-endian). */
static long unicode_state_shift(enum unicode_state_field which)
{
    PyASCIIObject o;
    memset(&o, 0, sizeof o);
    if (which == UNICODE_KIND)
        o.state.kind = 1;
    else if (which == UNICODE_COMPACT)
        o.state.compact = 1;
    else
        o.state.ascii = 1;
    uint32_t word;
    memcpy(&word, (const unsigned char *)&o + unicode_state_word(), sizeof word);
    long bit = 0;
    while (bit < 32 && !(word >> bit & 1))
        bit++;
    return bit;
}
#endif

#endif
