/* CPython 3.13 free-threaded (--disable-gil) structure offsets (x86_64),
 * computed from the headers of 3.13.0. The walker follows what the release
 * publishes of its layout (_Py_DebugOffsets) in the target itself. No
 * interpreter of this release runs here: tests/fake lays out fake targets
 * from the same headers' facts, and checks what the walker reads of them. */
#include "layout.h"

/* Where _Py_DebugOffsets keeps what the walker follows (see layout.h):
 * each field of the table below, from the value at `at`, less the one at
 * `minus`, inside the structure whose size is at `group`. */
static const struct py_published_offset published[] = {
    PY_PUBLISHED(runtime.interp_head, 40, -1, 24), /* runtime_state.interpreters_head */
    PY_PUBLISHED(interp.next, 64, -1, 48), /* interpreter_state.next */
    PY_PUBLISHED(interp.threads_head, 72, -1, 48), /* interpreter_state.threads_head */
    PY_PUBLISHED(interp.modules, 88, -1, 48), /* interpreter_state.imports_modules */
    PY_PUBLISHED(interp.gil_ptr, 112, -1, 48), /* interpreter_state.ceval_gil */
    PY_PUBLISHED(gil.locked, 136, 120, 48), /* ..._locked - gil_runtime_state */
    PY_PUBLISHED(gil.last_holder, 144, 120, 48), /* ..._holder - gil_runtime_state */
    PY_PUBLISHED(gil.enabled, 128, -1, 48), /* interpreter_state.gil_runtime_state_enabled */
    PY_PUBLISHED(tstate.next, 168, -1, 152), /* thread_state.next */
    PY_PUBLISHED(tstate.interp, 176, -1, 152), /* thread_state.interp */
    PY_PUBLISHED(tstate.frame, 184, -1, 152), /* thread_state.current_frame */
    PY_PUBLISHED(tstate.thread_id, 192, -1, 152), /* thread_state.thread_id */
    PY_PUBLISHED(tstate.native_thread_id, 200, -1, 152), /* thread_state.native_thread_id */
    PY_PUBLISHED(iframe.previous, 232, -1, 224), /* interpreter_frame.previous */
    PY_PUBLISHED(iframe.code, 240, -1, 224), /* interpreter_frame.executable */
    PY_PUBLISHED(iframe.instr, 248, -1, 224), /* interpreter_frame.instr_ptr */
    PY_PUBLISHED(iframe.size, 256, -1, 224), /* interpreter_frame.localsplus */
    PY_PUBLISHED(iframe.owner, 264, -1, 224), /* interpreter_frame.owner */
    PY_PUBLISHED(code.filename, 280, -1, 272), /* code_object.filename */
    PY_PUBLISHED(code.name, 288, -1, 272), /* code_object.name */
    PY_PUBLISHED(code.linetable, 304, -1, 272), /* code_object.linetable */
    PY_PUBLISHED(code.firstlineno, 312, -1, 272), /* code_object.firstlineno */
    PY_PUBLISHED(code.code, 344, -1, 272), /* code_object.co_code_adaptive */
    PY_PUBLISHED(code.size, 344, -1, 272), /* code_object.co_code_adaptive */
    PY_PUBLISHED(object.ob_type, 360, -1, 352), /* pyobject.ob_type */
    PY_PUBLISHED(object.ob_size, 416, -1, 400), /* tuple_object.ob_size */
    PY_PUBLISHED(type.flags, 392, -1, 368), /* type_object.tp_flags */
    PY_PUBLISHED(dict.keys, 456, -1, 448), /* dict_object.ma_keys */
    PY_PUBLISHED(dict.values, 464, -1, 448), /* dict_object.ma_values */
    PY_PUBLISHED(pylong.tag, 496, -1, 488), /* long_object.lv_tag */
    PY_PUBLISHED(pylong.digits, 504, -1, 488), /* long_object.ob_digit */
    PY_PUBLISHED(bytes.size, 520, -1, 512), /* bytes_object.ob_size */
    PY_PUBLISHED(bytes.data, 528, -1, 512), /* bytes_object.ob_sval */
    PY_PUBLISHED(unicode.state, 544, -1, 536), /* unicode_object.state */
    PY_PUBLISHED(unicode.length, 552, -1, 536), /* unicode_object.length */
    PY_PUBLISHED(unicode.ascii_data, 560, -1, 536), /* unicode_object.asciiobject_size */
};

const struct py_layout py_layout = {
    .abi = "313t",
    .major = 3,
    .minor = 13,
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
        .dict_type = "PyDict_Type",
        .long_type = "PyLong_Type",
        .int_type = NULL,
    },
    .runtime = {
        .interp_head = 632,
        .initialized = 600,
        .gil = -1,
        .debug_cookie = 0,
    },
    .published = {
        .size = 584,
        .version = 8,
        .free_threaded = 16,
        .count = sizeof published / sizeof *published,
        .offsets = published,
    },
    .free_threaded = 1,
    .object = {
        .ob_type = 24,
        .ob_size = 32,
    },
    .interp = {
        .next = 7264,
        .threads_head = 7344,
        .gil_ptr = 16,
        .modules = 7664,
    },
    .tstate = {
        .next = 8,
        .interp = 16,
        .frame = 72,
        .cframe_frame = -1,
        .thread_id = 152,
        .native_thread_id = 160,
    },
    .gil = {
        .locked = 24,
        .last_holder = 16,
        .enabled = 0,
    },
    .iframe = {
        .size = 72,
        .code = 0,
        .previous = 8,
        .instr = 56,
        .owner = 70,
        .owner_not_python = 3,
        .stacktop = 64,
        .return_op = -1,
        .slots = 64,
        .stackpointer = -1,
        .code_tag_bits = 0,
        .code_int_tag = 0,
        .tlbc_index = -1,
    },
    .frame = {
        .size = -1,
        .back = -1,
        .code = -1,
        .lasti = -1,
        .lasti_unit = -1,
        .localsplus = -1,
    },
    .code = {
        .size = 216,
        .filename = 128,
        .name = 136,
        .firstlineno = 84,
        .linetable = 152,
        .code = 216,
        .tlbc = -1,
        .tlbc_entries = -1,
    },
    .bytes = {
        .size = 32,
        .data = 48,
    },
    .unicode = {
        .state = 48,
        .length = 32,
        .ascii_data = 56,
        .compact_data = 72,
        .data_ptr = 72,
        .kind_shift = 2,
        .compact_shift = 5,
        .ascii_shift = 6,
    },
    .threading = {
        .name_attr = "_name",
    },
    .module = {
        .dict = 32,
    },
    .type = {
        .basicsize = 48,
        .flags = 184,
        .dictoffset = 304,
        .cached_keys = 896,
    },
    .managed = {
        .flag = 16,
        .dict = -8,
        .values = 0,
        .tagged = 0,
        .inline_flag = 4,
        .capacity = 0,
        .valid = 3,
    },
    .dict = {
        .mask = -1,
        .table = -1,
        .keys = 48,
        .values = 56,
    },
    .dict_keys = {
        .size = -1,
        .log2_index_bytes = 9,
        .kind = 10,
        .nentries = 24,
        .indices = 32,
        .values_data = 8,
    },
    .pylong = {
        .int_value = -1,
        .size = -1,
        .tag = 32,
        .digits = 40,
    },
};
