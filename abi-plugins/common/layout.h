/* Where CPython keeps what a stack walker needs, for one minor version.
 *
 * Everything that differs between CPython releases and can be expressed as
 * data lives here: the walker reads these offsets and never tests a version
 * number.  Offsets are in bytes from the start of the named structure; -1
 * means the field does not exist in that release.  Each table is checked
 * against the real headers by tests/layout/layout_check.c. */
#ifndef PYFLAME_ABI_LAYOUT_H
#define PYFLAME_ABI_LAYOUT_H

#include <stdint.h>

/* How frames are chained. */
enum py_frame_model {
    /* 3.11+: _PyInterpreterFrame, linked by ->previous. */
    PY_FRAMES_INTERPRETER = 1,
};

/* How a code object maps instruction offsets to line numbers. */
enum py_line_format {
    /* 3.11+: PEP 657 location table (co_linetable). */
    PY_LINES_LOCATIONS = 1,
};

struct py_layout {
    const char *abi;  /* --abi name, e.g. "311" */
    int major, minor; /* the CPython release this table describes */
    enum py_frame_model frame_model;
    enum py_line_format line_format;

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

    struct {
        int32_t size;      /* bytes read per code object: its fixed header */
        int32_t filename;
        int32_t name;
        int32_t firstlineno; /* int */
        int32_t linetable;   /* bytes object */
        int32_t code;        /* first instruction (co_code_adaptive) */
    } code;

    struct {
        int32_t size; /* ob_size */
        int32_t data; /* ob_sval */
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
