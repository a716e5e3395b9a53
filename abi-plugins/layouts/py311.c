/* CPython 3.11 structure offsets (x86_64), checked against the
 * release's headers by tests/layout/layout_check.c. */
#include "layout.h"

const struct py_layout py_layout = {
    .abi = "311",
    .major = 3,
    .minor = 11,
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
        .gil = 360,
        .debug_cookie = -1,
    },
    .interp = {
        .next = 0,
        .threads_head = 16,
        .gil_ptr = -1,
    },
    .tstate = {
        .next = 8,
        .interp = 16,
        .frame = 56,
        .cframe_frame = 8,
        .thread_id = 152,
        .native_thread_id = 160,
    },
    .gil = {
        .locked = 16,
        .last_holder = 8,
    },
    .iframe = {
        .size = 72,
        .code = 32,
        .previous = 48,
        .instr = 56,
        .owner = 69,
        .owner_cstack = -1,
    },
    .frame = {
        .size = -1,
        .back = -1,
        .code = -1,
        .lasti = -1,
        .lasti_unit = -1,
    },
    .code = {
        .size = 184,
        .filename = 112,
        .name = 120,
        .firstlineno = 72,
        .linetable = 136,
        .code = 184,
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
