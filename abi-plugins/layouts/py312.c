/* CPython 3.12 structure offsets (x86_64), checked against the
 * release's headers by tests/layout/layout_check.c. */
#include "layout.h"

const struct py_layout py_layout = {
    .abi = "312",
    .major = 3,
    .minor = 12,
    .frame_model = PY_FRAMES_INTERPRETER,
    .line_format = PY_LINES_LOCATIONS,
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
        .interp_head = 40,
        .initialized = 16,
        .gil = -1,
        .debug_cookie = -1,
    },
    .interp = {
        .next = 0,
        .threads_head = 72,
        .gil_ptr = 384,
    },
    .tstate = {
        .next = 8,
        .interp = 16,
        .frame = 56,
        .cframe_frame = 0,
        .thread_id = 136,
        .native_thread_id = 144,
    },
    .gil = {
        .locked = 16,
        .last_holder = 8,
    },
    .iframe = {
        .size = 72,
        .code = 0,
        .previous = 8,
        .instr = 56,
        .owner = 70,
        .owner_cstack = 3,
    },
    .frame = {
        .size = -1,
        .back = -1,
        .code = -1,
        .lasti = -1,
        .lasti_unit = -1,
    },
    .code = {
        .size = 192,
        .filename = 112,
        .name = 120,
        .firstlineno = 68,
        .linetable = 136,
        .code = 192,
    },
    .bytes = {
        .size = 16,
        .data = 32,
    },
    .unicode = {
        .state = 32,
        .length = 16,
        .ascii_data = 40,
        .compact_data = 56,
        .data_ptr = 56,
    },
};
