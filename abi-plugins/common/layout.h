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

struct py_layout {
    const char *abi;  /* --abi name, e.g. "311" */
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
    } symbols;

    struct {
        int32_t interp_head; /* interpreters.head */
        int32_t initialized; /* int, non-zero once Py_Initialize is done */
        int32_t gil;         /* struct _gil_runtime_state embedded here (3.11) */
        int32_t debug_cookie; /* _Py_DebugOffsets.cookie "xdebugpy" (3.13+) */
    } runtime;

    struct {
        int32_t next;         /* PyInterpreterState *next */
        int32_t threads_head; /* threads.head */
        int32_t gil_ptr;      /* ceval.gil: pointer to the GIL (3.12+) */
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
    } gil;

    struct {
        int32_t size;     /* bytes read per frame: everything below localsplus */
        int32_t code;     /* f_code / f_executable */
        int32_t previous;
        int32_t instr;    /* prev_instr / instr_ptr: points into the code */
        int32_t owner;    /* char */
        int32_t owner_cstack; /* owner value of C-stack shim frames, -1 if none */
    } iframe;

    /* PyFrameObject (PY_FRAMES_OBJECTS). */
    struct {
        int32_t size;  /* bytes read per frame: up to and including f_lasti */
        int32_t back;  /* f_back */
        int32_t code;  /* f_code */
        int32_t lasti; /* int: last instruction, -1 before the first */
        int32_t lasti_unit; /* bytes per f_lasti step: 1, or 2 in 3.10 */
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
    } unicode;
};

#endif
