/* CPython 3.9 structure offsets (x86_64), checked against the
 * release's headers by tests/layout/layout_check.c. */
#include "layout.h"

const struct py_layout py_layout = {
    .abi = "39",
    .major = 3,
    .minor = 9,
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
        .interp_head = 32,
        .initialized = 12,
        .gil = 352,
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
        .size = 128,
        .filename = 104,
        .name = 112,
        .firstlineno = 40,
        .linetable = 120,
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
