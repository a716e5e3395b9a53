/* CPython 3.15 free-threaded (--disable-gil) structure offsets (x86_64),
 * computed from the headers of 3.15.2. The walker follows what the release
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
    PY_PUBLISHED(interp.modules, 96, -1, 48), /* interpreter_state.imports_modules */
    PY_PUBLISHED(interp.gil_ptr, 120, -1, 48), /* interpreter_state.ceval_gil */
    PY_PUBLISHED(gil.locked, 144, 128, 48), /* ..._locked - gil_runtime_state */
    PY_PUBLISHED(gil.last_holder, 152, 128, 48), /* ..._holder - gil_runtime_state */
    PY_PUBLISHED(gil.enabled, 136, -1, 48), /* interpreter_state.gil_runtime_state_enabled */
    PY_PUBLISHED(tstate.next, 192, -1, 176), /* thread_state.next */
    PY_PUBLISHED(tstate.interp, 200, -1, 176), /* thread_state.interp */
    PY_PUBLISHED(tstate.frame, 208, -1, 176), /* thread_state.current_frame */
    PY_PUBLISHED(tstate.thread_id, 240, -1, 176), /* thread_state.thread_id */
    PY_PUBLISHED(tstate.native_thread_id, 248, -1, 176), /* thread_state.native_thread_id */
    PY_PUBLISHED(iframe.previous, 320, -1, 312), /* interpreter_frame.previous */
    PY_PUBLISHED(iframe.code, 328, -1, 312), /* interpreter_frame.executable */
    PY_PUBLISHED(iframe.instr, 336, -1, 312), /* interpreter_frame.instr_ptr */
    PY_PUBLISHED(iframe.size, 344, -1, 312), /* interpreter_frame.localsplus */
    PY_PUBLISHED(iframe.owner, 352, -1, 312), /* interpreter_frame.owner */
    PY_PUBLISHED(iframe.stackpointer, 360, -1, 312), /* interpreter_frame.stackpointer */
    PY_PUBLISHED(iframe.tlbc_index, 368, -1, 312), /* interpreter_frame.tlbc_index */
    PY_PUBLISHED(code.filename, 384, -1, 376), /* code_object.filename */
    PY_PUBLISHED(code.name, 392, -1, 376), /* code_object.name */
    PY_PUBLISHED(code.linetable, 408, -1, 376), /* code_object.linetable */
    PY_PUBLISHED(code.firstlineno, 416, -1, 376), /* code_object.firstlineno */
    PY_PUBLISHED(code.code, 448, -1, 376), /* code_object.co_code_adaptive */
    PY_PUBLISHED(code.size, 448, -1, 376), /* code_object.co_code_adaptive */
    PY_PUBLISHED(code.tlbc, 456, -1, 376), /* code_object.co_tlbc */
    PY_PUBLISHED(object.ob_type, 472, -1, 464), /* pyobject.ob_type */
    PY_PUBLISHED(object.ob_size, 560, -1, 544), /* tuple_object.ob_size */
    PY_PUBLISHED(type.flags, 504, -1, 480), /* type_object.tp_flags */
    PY_PUBLISHED(type.basicsize, 512, -1, 480), /* type_object.tp_basicsize */
    PY_PUBLISHED(type.dictoffset, 520, -1, 480), /* type_object.tp_dictoffset */
    PY_PUBLISHED(dict.keys, 632, -1, 624), /* dict_object.ma_keys */
    PY_PUBLISHED(dict.values, 640, -1, 624), /* dict_object.ma_values */
    PY_PUBLISHED(pylong.tag, 672, -1, 664), /* long_object.lv_tag */
    PY_PUBLISHED(pylong.digits, 680, -1, 664), /* long_object.ob_digit */
    PY_PUBLISHED(bytes.size, 696, -1, 688), /* bytes_object.ob_size */
    PY_PUBLISHED(bytes.data, 704, -1, 688), /* bytes_object.ob_sval */
    PY_PUBLISHED(unicode.state, 720, -1, 712), /* unicode_object.state */
    PY_PUBLISHED(unicode.length, 728, -1, 712), /* unicode_object.length */
    PY_PUBLISHED(unicode.ascii_data, 736, -1, 712), /* unicode_object.asciiobject_size */
    PY_PUBLISHED(unicode.compact_data, 744, -1, 712), /* unicode_object.compactunicodeobject_size */
    PY_PUBLISHED(unicode.data_ptr, 744, -1, 712), /* unicode_object.compactunicodeobject_size */
};

const struct py_layout py_layout = {
    .abi = "315t",
    .major = 3,
    .minor = 15,
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
        .interp_head = 936,
        .initialized = 904,
        .gil = -1,
        .debug_cookie = 0,
    },
    .published = {
        .size = 888,
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
        .threads_head = 7336,
        .gil_ptr = 16,
        .modules = 7592,
    },
    .tstate = {
        .next = 8,
        .interp = 16,
        .frame = 72,
        .cframe_frame = -1,
        .thread_id = 176,
        .native_thread_id = 184,
    },
    .gil = {
        .locked = 24,
        .last_holder = 16,
        .enabled = 0,
    },
    .iframe = {
        .size = 80,
        .code = 0,
        .previous = 8,
        .instr = 56,
        .owner = 78,
        .owner_not_python = 3, /* FRAME_OWNED_BY_INTERPRETER */
        .stacktop = -1,
        .return_op = 33,
        .slots = -1,
        .stackpointer = 64,
        .code_tag_bits = 3,
        .code_int_tag = 3,
        .tlbc_index = 72,
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
        .size = 232,
        .filename = 128,
        .name = 136,
        .firstlineno = 84,
        .linetable = 152,
        .code = 232,
        .tlbc = 224,
        .tlbc_entries = 8,
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
        .kind_shift = 8,
        .compact_shift = 11,
        .ascii_shift = 12,
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
        .cached_keys = 904,
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
