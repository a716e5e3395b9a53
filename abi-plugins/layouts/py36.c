/* CPython 3.6 structure offsets (x86_64), checked against the
 * release's headers by tests/layout/layout_check.c. */
#include "layout.h"

const struct py_layout py_layout = {
    .abi = "36",
    .major = 3,
    .minor = 6,
    .frame_model = PY_FRAMES_OBJECTS,
    .line_format = PY_LINES_LNOTAB,
    .string_model = PY_STRINGS_UNICODE,
    .symbols = {
        .runtime = NULL,
        .interp_head = "interp_head",
        .tstate_current = "_PyThreadState_Current",
        .code_type = "PyCode_Type",
        .str_type = "PyUnicode_Type",
        .bytes_type = "PyBytes_Type",
    },
    .runtime = {
        .interp_head = -1,
        .initialized = -1,
        .gil = -1,
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
        .thread_id = 152,
        .native_thread_id = -1,
    },
    .gil = {
        .locked = -1,
        .last_holder = -1,
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
        .size = 124,
        .back = 24,
        .code = 32,
        .lasti = 120,
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
