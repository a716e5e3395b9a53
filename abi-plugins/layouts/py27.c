/* CPython 2.7 structure offsets (x86_64), checked against the
 * release's headers by tests/layout/layout_check.c. */
#include "layout.h"

const struct py_layout py_layout = {
    .abi = "27",
    .major = 2,
    .minor = 7,
    .frame_model = PY_FRAMES_OBJECTS,
    .line_format = PY_LINES_LNOTAB_UNSIGNED,
    .string_model = PY_STRINGS_BYTES,
    .symbols = {
        .runtime = NULL,
        .interp_head = "interp_head",
        .tstate_current = "_PyThreadState_Current",
        .code_type = "PyCode_Type",
        .str_type = "PyString_Type",
        .bytes_type = "PyString_Type",
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
        .next = 0,
        .interp = 8,
        .frame = 16,
        .cframe_frame = -1,
        .thread_id = 144,
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
        .size = 112,
        .filename = 80,
        .name = 88,
        .firstlineno = 96,
        .linetable = 104,
        .code = -1,
    },
    .bytes = {
        .size = 16,
        .data = 36,
    },
    .unicode = {
        .state = -1,
        .length = -1,
        .ascii_data = -1,
        .compact_data = -1,
        .data_ptr = -1,
    },
};
