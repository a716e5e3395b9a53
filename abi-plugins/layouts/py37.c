/* CPython 3.7 structure offsets (x86_64), checked against the
 * release's headers by tests/layout/layout_check.c. */
#include "layout.h"

const struct py_layout py_layout = {
    .abi = "37",
    .major = 3,
    .minor = 7,
    .frame_model = PY_FRAMES_OBJECTS,
    .line_format = PY_LINES_LNOTAB,
    .string_model = PY_STRINGS_UNICODE,
    .symbols = {
        .runtime = "_PyRuntime",
        .interp_head = NULL,
        .tstate_current = NULL,
        .code_type = "PyCode_Type",
        .str_type = "PyUnicode_Type",
        .bytes_type = "PyBytes_Type",
    },
    .runtime = {
        .interp_head = 24,
        .initialized = 0,
        .gil = 1264,
        .debug_cookie = -1,
    },
    .interp = {
        .next = 0,
        .threads_head = 8,
        .gil_ptr = -1,
    },
    .tstate = {
        .next = 8,
        .interp = 16,
        .frame = 24,
        .cframe_frame = -1,
        .thread_id = 176,
        .native_thread_id = -1,
    },
    .gil = {
        .locked = 16,
        .last_holder = 8,
    },
    .iframe = {
        .size = -1,
        .code = -1,
        .previous = -1,
        .instr = -1,
        .owner = -1,
        .owner_cstack = -1,
    },
    .frame = {
        .size = 108,
        .back = 24,
        .code = 32,
        .lasti = 104,
        .lasti_unit = 1,
    },
    .code = {
        .size = 120,
        .filename = 96,
        .name = 104,
        .firstlineno = 36,
        .linetable = 112,
        .code = -1,
    },
    .bytes = {
        .size = 16,
        .data = 32,
    },
    .unicode = {
        .state = 32,
        .length = 16,
        .ascii_data = 48,
        .compact_data = 72,
        .data_ptr = 72,
    },
};
