/* Where CPython keeps what a stack walker needs, for one minor version.
 *
 * Everything that differs between CPython releases and can be expressed as
 * data lives here: the walker reads these offsets and never tests a version
 * number.  Offsets are in bytes from the start of the named structure; -1
 * means the field does not exist in that release.  Each table is checked
 * against the real headers by tests/layout/layout_check.c. */
#ifndef PYFLAME_ABI_LAYOUT_H
#define PYFLAME_ABI_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

/* How frames are chained. */
enum py_frame_model {
    /* 2.7-3.10: PyFrameObject, linked by f_back; position in f_lasti. */
    PY_FRAMES_OBJECTS = 1,
    /* 3.11+: _PyInterpreterFrame, linked by ->previous; position given by
     * a pointer into the code object's own bytecode. */
    PY_FRAMES_INTERPRETER = 2,
};

/* How a code object maps instruction offsets to line numbers. */
enum py_line_format {
    /* 2.7: co_lnotab, (address, line) increments, both unsigned. */
    PY_LINES_LNOTAB_UNSIGNED = 1,
    /* 3.6-3.9: co_lnotab with signed line increments. */
    PY_LINES_LNOTAB = 2,
    /* 3.10: co_linetable, (length, signed line delta) pairs. */
    PY_LINES_310 = 3,
    /* 3.11+: PEP 657 location table (co_linetable). */
    PY_LINES_LOCATIONS = 4,
};

/* What co_filename and co_name are. */
enum py_string_model {
    PY_STRINGS_UNICODE = 1, /* 3.x str: PEP 393 compact or legacy */
    PY_STRINGS_BYTES = 2,   /* 2.7 str: bytes, shown as UTF-8 */
};

/* One offset a release publishes about itself (3.13+: _Py_DebugOffsets at
 * the start of _PyRuntime, all uint64).  The walker sets the int32 field
 * `field` of its table (offsetof(struct py_layout, ...)) to the value at
 * `at` in the target's copy, less the value at `minus` unless that is -1,
 * once that value lies inside the structure whose size is the value at
 * `group`. */
struct py_published_offset {
    int16_t field, at, minus, group;
};
#define PY_PUBLISHED(layout_field, at, minus, group) \
    {(int16_t)offsetof(struct py_layout, layout_field), (at), (minus), (group)}

struct py_layout {
    /* The name of the plugin made from this table, e.g. "311" (its --abi
     * name, which PYFLAME_ABI_PLUGIN gives it).  A label for the reader:
     * the walker never reads it, only tests/layout checks it against the
     * headers' version.  The walker goes by major and minor. */
    const char *abi;
    int major, minor; /* the CPython release this table describes */
    enum py_frame_model frame_model;
    enum py_line_format line_format;
    enum py_string_model string_model;

    /* Symbols of the runtime; NULL where the release has none. */
    struct {
        const char *runtime;        /* _PyRuntime (3.7+) */
        const char *interp_head;    /* interp_head, static (2.7, 3.6) */
        const char *tstate_current; /* _PyThreadState_Current: the thread
                                       holding the GIL, NULL when free
                                       (2.7, 3.6) */
        const char *code_type, *str_type, *bytes_type; /* type objects */
        const char *dict_type, *long_type;
        const char *int_type; /* 2.7's small int, NULL in 3.x */
    } symbols;

    struct {
        int32_t interp_head; /* interpreters.head */
        int32_t initialized; /* int, non-zero once Py_Initialize is done */
        int32_t gil;         /* struct _gil_runtime_state embedded here (3.11) */
        int32_t debug_cookie; /* _Py_DebugOffsets.cookie "xdebugpy" (3.13+) */
    } runtime;

    /* The offsets the target publishes (3.13+), which the walker follows
     * in place of this table's where they differ: a patch release that
     * moves a field is read right.  The rest of the table is what the
     * published offsets do not say. */
    struct {
        int32_t size;      /* bytes of _Py_DebugOffsets; 0: none published */
        int32_t version;   /* offset of its PY_VERSION_HEX; major and minor
                              must be this table's */
        int32_t free_threaded; /* offset of its flag, which must be this
                                  table's free_threaded; -1 if none */
        uint32_t count;
        const struct py_published_offset *offsets;
    } published;

    /* Built without the GIL (--disable-gil, 3.13+): larger object
     * headers, and every thread may run Python at once.  0 or 1. */
    int32_t free_threaded;

    /* Every object's header: where ob_type is, and ob_size in a
     * variable-size object.  Free-threaded builds put more in front. */
    struct {
        int32_t ob_type;
        int32_t ob_size;
    } object;

    struct {
        int32_t next;         /* PyInterpreterState *next */
        int32_t threads_head; /* threads.head */
        int32_t gil_ptr;      /* ceval.gil: pointer to the GIL (3.12+) */
        int32_t modules;      /* sys.modules (imports.modules in 3.12+) */
    } interp;

    struct {
        int32_t next;
        int32_t interp;
        /* The current frame is read at `frame`; when `cframe_frame` is not
         * -1, `frame` holds a _PyCFrame pointer and the frame pointer is at
         * `cframe_frame` inside it (3.11, 3.12). */
        int32_t frame;
        int32_t cframe_frame;
        int32_t thread_id;        /* pthread_t, threading.get_ident() */
        int32_t native_thread_id; /* OS thread id */
    } tstate;

    struct {
        int32_t locked;      /* int */
        int32_t last_holder; /* PyThreadState * */
        /* int: 0 while the GIL is off, the rule in a free-threaded build;
         * -1 where every build has one. */
        int32_t enabled;
    } gil;

    struct {
        int32_t size;     /* bytes read per frame: everything below localsplus */
        int32_t code;     /* f_code / f_executable */
        int32_t previous;
        int32_t instr;    /* prev_instr / instr_ptr: points into the code */
        int32_t owner;    /* char */
        /* The lowest owner value of frames that run no Python: C-stack
         * shims (3.12+), the interpreter's entry and base frames (3.14+,
         * whose values come after the others); -1 if none. */
        int32_t owner_not_python;
        /* int: the depth of the frame's value stack while it is suspended
         * in a call, -1 while it runs (3.12+); -1 if not kept so. */
        int32_t stacktop;
        /* Opcode of RETURN_VALUE, the last instruction a frame returned
         * from ran, where no stacktop tells a running frame (3.11); -1. */
        int32_t return_op;
        /* int: how many localsplus slots (locals, cells, then the value
         * stack) are live while the frame is suspended in a call; the slots
         * follow the `size` bytes of the frame (stacktop, 3.11+). */
        int32_t slots;
        /* _PyStackRef *: where the frame's value stack ends while it is
         * suspended in a call, NULL while it runs; its live slots run from
         * `size` to there (3.14+, in place of stacktop and slots); -1. */
        int32_t stackpointer;
        /* The code is a tagged reference (_PyStackRef, 3.14+): these low
         * bits of the pointer are tags, and a value whose tag bits equal
         * code_int_tag is no object at all; 0 and 0 where it is a pointer. */
        int32_t code_tag_bits;
        int32_t code_int_tag;
        /* int32: which copy of the bytecode the frame runs, an index into
         * the code's per-thread copies (free-threaded 3.14+); -1. */
        int32_t tlbc_index;
    } iframe;

    /* PyFrameObject (PY_FRAMES_OBJECTS). */
    struct {
        int32_t size;  /* bytes read per frame: up to and including f_lasti */
        int32_t back;  /* f_back */
        int32_t code;  /* f_code */
        int32_t lasti; /* int: last instruction, -1 before the first */
        int32_t lasti_unit; /* bytes per f_lasti step: 1, or 2 in 3.10 */
        /* f_localsplus: locals, cells, then the value stack, as many slots
         * as the frame's ob_size. */
        int32_t localsplus;
    } frame;

    struct {
        int32_t size;      /* bytes read per code object: its fixed header */
        int32_t filename;
        int32_t name;
        int32_t firstlineno; /* int */
        int32_t linetable;   /* bytes object: co_lnotab or co_linetable */
        int32_t code;        /* first instruction (co_code_adaptive, 3.11+:
                                the object then counts its code units in
                                ob_size); -1 when the bytecode is apart */
        /* Per-thread copies of the bytecode (free-threaded 3.14+): a
         * pointer at `tlbc` to an array whose pointers to each copy begin
         * `tlbc_entries` bytes in; -1 and -1 without. */
        int32_t tlbc;
        int32_t tlbc_entries;
    } code;

    struct {
        int32_t size; /* ob_size */
        int32_t data; /* ob_sval (PyBytesObject, or 2.7's PyStringObject) */
    } bytes;

    struct {
        int32_t state;        /* the kind/compact/ascii bit-field word */
        int32_t length;       /* characters */
        int32_t ascii_data;   /* data of a compact ASCII string */
        int32_t compact_data; /* data of another compact string */
        int32_t data_ptr;     /* data.any of a non-compact string */
        /* Bits of the state word: where the 3-bit kind, the compact flag
         * and the ascii flag begin. */
        int32_t kind_shift, compact_shift, ascii_shift;
    } unicode;

    /* What Python thread names are read through: threading._active maps
     * each thread's ident (an int) to its Thread object, whose name is an
     * instance attribute.  Used only when thread names are asked for. */
    struct {
        const char *name_attr; /* "_name"; 2.7 mangles "__name" */
    } threading;

    struct {
        int32_t dict; /* PyModuleObject.md_dict */
    } module;

    /* Type objects: how instances keep their attributes. */
    struct {
        int32_t basicsize;   /* tp_basicsize */
        int32_t flags;       /* tp_flags (unsigned long) */
        int32_t dictoffset;  /* tp_dictoffset: > 0 puts the dict there */
        int32_t cached_keys; /* PyHeapTypeObject.ht_cached_keys (3.x) */
    } type;

    /* Instances whose dict the interpreter manages (3.11+): the type has
     * `flag` set; a pointer at `dict` bytes from the object (negative: in
     * the pre-header) holds the dict.  Without one, the attributes sit in
     * a values array that goes with the type's cached keys. */
    struct {
        uint64_t flag;         /* Py_TPFLAGS_MANAGED_DICT, 0 before 3.11 */
        int32_t dict;
        int32_t values;        /* 3.11: values pointer at this offset, 0 if none */
        int32_t tagged;        /* 3.12: `dict` may hold the values' address - 1 (odd) */
        uint64_t inline_flag;  /* 3.13: Py_TPFLAGS_INLINE_VALUES: values
                                  start at tp_basicsize bytes */
        int32_t capacity;      /* 3.13: PyDictValues.capacity, byte; -1 if none */
        int32_t valid;         /* 3.13: PyDictValues.valid, byte; -1 if none */
    } managed;

    /* Dicts.  2.7 has an open-addressing table (`table`, `mask`); 3.x
     * dicts point to a keys object, and to a values array when split. */
    struct {
        int32_t mask;   /* 2.7: ma_mask; -1 in 3.x */
        int32_t table;  /* 2.7: ma_table; -1 in 3.x */
        int32_t keys;   /* 3.x: ma_keys */
        int32_t values; /* 3.x: ma_values */
    } dict;

    /* PyDictKeysObject (3.x).  Its entries follow the index table, whose
     * size is dk_size times 1, 2, 4 or 8 bytes (3.6-3.10) or
     * 1 << dk_log2_index_bytes (3.11+). */
    struct {
        int32_t size;             /* dk_size (3.6-3.10), -1 after */
        int32_t log2_index_bytes; /* uint8 (3.11+), -1 before */
        int32_t kind;             /* uint8 (3.11+): 0 general, else entries
                                     without their hash */
        int32_t nentries;
        int32_t indices;
        int32_t values_data;      /* first value in a split dict's values */
    } dict_keys;

    /* Integers (threading idents).  30-bit digits everywhere we read. */
    struct {
        int32_t int_value; /* 2.7 PyIntObject.ob_ival, -1 in 3.x */
        int32_t size;      /* ob_size: digits, negative if the value is */
        int32_t tag;       /* 3.12+: lv_tag (digits << 3 | sign), -1 before */
        int32_t digits;
    } pylong;
};

#endif
