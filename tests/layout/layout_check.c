/* Compares one ABI plugin's layout table with the CPython headers it
 * describes.  Built once per version whose headers are installed, with
 * -DLAYOUT_FILE pointing at abi-plugins/layouts/pyXY.c.  Prints each field
 * and exits non-zero if any offset differs.
 *
 * The structures moved between headers over the releases; the #if blocks
 * below only say where to find them. */
#define Py_BUILD_CORE 1
#include <Python.h>
#include <frameobject.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#if PY_VERSION_HEX >= 0x030B0000
#include <internal/pycore_frame.h>
#endif
#if PY_VERSION_HEX >= 0x03090000
#include <internal/pycore_interp.h>
#include <internal/pycore_runtime.h>
#elif PY_VERSION_HEX >= 0x03080000
#include <internal/pycore_pystate.h>
#elif PY_VERSION_HEX >= 0x03070000
#include <internal/pystate.h>
#endif
#if PY_VERSION_HEX >= 0x03080000 && PY_VERSION_HEX < 0x030C0000
#include <internal/pycore_gil.h>
#elif PY_VERSION_HEX >= 0x03070000 && PY_VERSION_HEX < 0x03080000
#include <internal/gil.h>
#endif

#if PY_VERSION_HEX >= 0x030B0000
#include <internal/pycore_dict.h>
#include <internal/pycore_object.h>
#else
#include <longintrepr.h>
#endif
#if PY_VERSION_HEX >= 0x030A0000
#include <internal/pycore_moduleobject.h>
#endif

#include "layout.h"
#include LAYOUT_FILE

static int failures;

static void check(const char *field, long have, long want)
{
    printf("%-28s table %5ld headers %5ld%s\n", field, have, want,
           have == want ? "" : "   MISMATCH");
    if (have != want)
        failures++;
}

static void check_str(const char *field, const char *have, const char *want)
{
    int same = (!have && !want) || (have && want && strcmp(have, want) == 0);
    printf("%-28s table %-22s expected %s%s\n", field, have ? have : "(none)",
           want ? want : "(none)", same ? "" : "   MISMATCH");
    if (!same)
        failures++;
}

#define CHECK(field, want) check(#field, (long)py_layout.field, (long)(want))
#define CHECK_STR(field, want) check_str(#field, py_layout.field, (want))
#define MAX2(a, b) ((a) > (b) ? (a) : (b))
#define MAX4(a, b, c, d) MAX2(MAX2(a, b), MAX2(c, d))

int main(void)
{
    CHECK(major, PY_MAJOR_VERSION);
    CHECK(minor, PY_MINOR_VERSION);

#if PY_MAJOR_VERSION == 2
    CHECK(string_model, PY_STRINGS_BYTES);
    CHECK_STR(symbols.str_type, "PyString_Type");
    CHECK_STR(symbols.bytes_type, "PyString_Type");
#else
    CHECK(string_model, PY_STRINGS_UNICODE);
    CHECK_STR(symbols.str_type, "PyUnicode_Type");
    CHECK_STR(symbols.bytes_type, "PyBytes_Type");
#endif
    CHECK_STR(symbols.code_type, "PyCode_Type");

    /* Finding the interpreters and the GIL. */
#if PY_VERSION_HEX >= 0x03070000
    CHECK_STR(symbols.runtime, "_PyRuntime");
    CHECK_STR(symbols.interp_head, NULL);
    CHECK_STR(symbols.tstate_current, NULL);
    CHECK(runtime.interp_head, offsetof(_PyRuntimeState, interpreters.head));
    CHECK(runtime.initialized, offsetof(_PyRuntimeState, initialized));
#else
    CHECK_STR(symbols.runtime, NULL);
    CHECK_STR(symbols.interp_head, "interp_head");
    CHECK_STR(symbols.tstate_current, "_PyThreadState_Current");
    CHECK(runtime.interp_head, -1);
    CHECK(runtime.initialized, -1);
#endif
#if PY_VERSION_HEX >= 0x030C0000
    CHECK(runtime.gil, -1);
    CHECK(interp.gil_ptr, offsetof(PyInterpreterState, ceval.gil));
#elif PY_VERSION_HEX >= 0x03070000
    CHECK(runtime.gil, offsetof(_PyRuntimeState, ceval.gil));
    CHECK(interp.gil_ptr, -1);
#else
    CHECK(runtime.gil, -1);
    CHECK(interp.gil_ptr, -1);
#endif
#if PY_VERSION_HEX >= 0x03070000
    CHECK(gil.locked, offsetof(struct _gil_runtime_state, locked));
    CHECK(gil.last_holder, offsetof(struct _gil_runtime_state, last_holder));
#else
    CHECK(gil.locked, -1);
    CHECK(gil.last_holder, -1);
#endif
#if PY_VERSION_HEX >= 0x030D0000
    CHECK(runtime.debug_cookie, offsetof(_PyRuntimeState, debug_offsets.cookie));
#else
    CHECK(runtime.debug_cookie, -1);
#endif

    CHECK(interp.next, offsetof(PyInterpreterState, next));
#if PY_VERSION_HEX >= 0x030B0000
    CHECK(interp.threads_head, offsetof(PyInterpreterState, threads.head));
#else
    CHECK(interp.threads_head, offsetof(PyInterpreterState, tstate_head));
#endif

    /* Threads. */
    CHECK(tstate.next, offsetof(PyThreadState, next));
    CHECK(tstate.interp, offsetof(PyThreadState, interp));
#if PY_VERSION_HEX >= 0x030D0000
    CHECK(tstate.frame, offsetof(PyThreadState, current_frame));
    CHECK(tstate.cframe_frame, -1);
#elif PY_VERSION_HEX >= 0x030B0000
    CHECK(tstate.frame, offsetof(PyThreadState, cframe));
    CHECK(tstate.cframe_frame, offsetof(_PyCFrame, current_frame));
#else
    CHECK(tstate.frame, offsetof(PyThreadState, frame));
    CHECK(tstate.cframe_frame, -1);
#endif
    CHECK(tstate.thread_id, offsetof(PyThreadState, thread_id));
#if PY_VERSION_HEX >= 0x030B0000
    CHECK(tstate.native_thread_id, offsetof(PyThreadState, native_thread_id));
#else
    CHECK(tstate.native_thread_id, -1);
#endif

    /* Frames. */
#if PY_VERSION_HEX >= 0x030B0000
    CHECK(frame_model, PY_FRAMES_INTERPRETER);
    CHECK(iframe.size, offsetof(_PyInterpreterFrame, localsplus));
#if PY_VERSION_HEX < 0x030D0000
    CHECK(iframe.code, offsetof(_PyInterpreterFrame, f_code));
    CHECK(iframe.instr, offsetof(_PyInterpreterFrame, prev_instr));
#else
    CHECK(iframe.code, offsetof(_PyInterpreterFrame, f_executable));
    CHECK(iframe.instr, offsetof(_PyInterpreterFrame, instr_ptr));
#endif
    CHECK(iframe.previous, offsetof(_PyInterpreterFrame, previous));
    CHECK(iframe.owner, offsetof(_PyInterpreterFrame, owner));
#if PY_VERSION_HEX >= 0x030C0000
    CHECK(iframe.owner_cstack, FRAME_OWNED_BY_CSTACK);
#else
    CHECK(iframe.owner_cstack, -1);
#endif
    CHECK(frame.size, -1);
    CHECK(frame.back, -1);
    CHECK(frame.code, -1);
    CHECK(frame.lasti, -1);
    CHECK(frame.lasti_unit, -1);
#else
    CHECK(frame_model, PY_FRAMES_OBJECTS);
    CHECK(iframe.size, -1);
    CHECK(iframe.code, -1);
    CHECK(iframe.instr, -1);
    CHECK(iframe.previous, -1);
    CHECK(iframe.owner, -1);
    CHECK(iframe.owner_cstack, -1);
    CHECK(frame.size, offsetof(PyFrameObject, f_lasti) + sizeof(int));
    CHECK(frame.back, offsetof(PyFrameObject, f_back));
    CHECK(frame.code, offsetof(PyFrameObject, f_code));
    CHECK(frame.lasti, offsetof(PyFrameObject, f_lasti));
#if PY_VERSION_HEX >= 0x030A0000
    CHECK(frame.lasti_unit, sizeof(_Py_CODEUNIT)); /* f_lasti counts code units */
#else
    CHECK(frame.lasti_unit, 1); /* f_lasti is a byte offset */
#endif
#endif

    /* Code objects and their line tables. */
    CHECK(code.filename, offsetof(PyCodeObject, co_filename));
    CHECK(code.name, offsetof(PyCodeObject, co_name));
    CHECK(code.firstlineno, offsetof(PyCodeObject, co_firstlineno));
#if PY_VERSION_HEX >= 0x030B0000
    CHECK(line_format, PY_LINES_LOCATIONS);
    CHECK(code.linetable, offsetof(PyCodeObject, co_linetable));
    CHECK(code.size, offsetof(PyCodeObject, co_code_adaptive));
    CHECK(code.code, offsetof(PyCodeObject, co_code_adaptive));
#else
#if PY_VERSION_HEX >= 0x030A0000
    CHECK(line_format, PY_LINES_310);
#define LINETABLE co_linetable
#elif PY_MAJOR_VERSION == 3
    CHECK(line_format, PY_LINES_LNOTAB);
#define LINETABLE co_lnotab
#else
    CHECK(line_format, PY_LINES_LNOTAB_UNSIGNED);
#define LINETABLE co_lnotab
#endif
    CHECK(code.linetable, offsetof(PyCodeObject, LINETABLE));
    CHECK(code.size, MAX4(offsetof(PyCodeObject, co_filename), offsetof(PyCodeObject, co_name),
                          offsetof(PyCodeObject, co_firstlineno),
                          offsetof(PyCodeObject, LINETABLE)) + 8);
    CHECK(code.code, -1);
#endif

    /* Strings. */
#if PY_MAJOR_VERSION == 2
    CHECK(bytes.size, offsetof(PyVarObject, ob_size));
    CHECK(bytes.data, offsetof(PyStringObject, ob_sval));
    CHECK(unicode.state, -1);
    CHECK(unicode.length, -1);
    CHECK(unicode.ascii_data, -1);
    CHECK(unicode.compact_data, -1);
    CHECK(unicode.data_ptr, -1);
#else
    CHECK(bytes.size, offsetof(PyVarObject, ob_size));
    CHECK(bytes.data, offsetof(PyBytesObject, ob_sval));
    /* The state bit-field follows the hash; its word starts there. */
    CHECK(unicode.state, offsetof(PyASCIIObject, hash) + sizeof(Py_hash_t));
    CHECK(unicode.length, offsetof(PyASCIIObject, length));
    CHECK(unicode.ascii_data, sizeof(PyASCIIObject));
    CHECK(unicode.compact_data, sizeof(PyCompactUnicodeObject));
    CHECK(unicode.data_ptr, offsetof(PyUnicodeObject, data));
#endif

    /* Thread names: sys.modules, threading._active and Thread objects. */
#if PY_VERSION_HEX >= 0x030C0000
    CHECK(interp.modules, offsetof(PyInterpreterState, imports.modules));
#else
    CHECK(interp.modules, offsetof(PyInterpreterState, modules));
#endif
    CHECK_STR(symbols.dict_type, "PyDict_Type");
    CHECK_STR(symbols.long_type, "PyLong_Type");
#if PY_VERSION_HEX >= 0x030A0000
    CHECK(module.dict, offsetof(PyModuleObject, md_dict));
#else
    CHECK(module.dict, sizeof(PyObject)); /* private struct: md_dict first */
#endif
    CHECK(type.basicsize, offsetof(PyTypeObject, tp_basicsize));
    CHECK(type.flags, offsetof(PyTypeObject, tp_flags));
    CHECK(type.dictoffset, offsetof(PyTypeObject, tp_dictoffset));
#if PY_MAJOR_VERSION == 2
    CHECK(type.cached_keys, -1);
#else
    CHECK(type.cached_keys, offsetof(PyHeapTypeObject, ht_cached_keys));
#endif
#if PY_VERSION_HEX >= 0x030B0000
    static PyObject *object[8];
    PyObject *obj = (PyObject *)&object[4];
    (void)obj;
    CHECK(managed.flag, Py_TPFLAGS_MANAGED_DICT);
#if PY_VERSION_HEX >= 0x030C0000 && PY_VERSION_HEX < 0x030D0000
    CHECK(managed.dict, (char *)_PyObject_DictOrValuesPointer(obj) - (char *)obj);
#else
    CHECK(managed.dict, MANAGED_DICT_OFFSET);
#endif
#else
    CHECK(managed.flag, 0);
#endif
#if PY_VERSION_HEX >= 0x030D0000
    CHECK(managed.values, 0);
    CHECK(managed.tagged, 0);
    CHECK(managed.inline_flag, Py_TPFLAGS_INLINE_VALUES);
    CHECK(managed.capacity, offsetof(PyDictValues, capacity));
    CHECK(managed.valid, offsetof(PyDictValues, valid));
#elif PY_VERSION_HEX >= 0x030C0000
    CHECK(managed.values, 0);
    CHECK(managed.tagged, 1);
    /* Values are stored one byte below their address. */
    PyDictOrValues dorv;
    _PyDictOrValues_SetValues(&dorv, (PyDictValues *)obj);
    check("(tagged values + 1)", (long)(dorv.values + 1 - (char *)obj), 0);
    CHECK(managed.inline_flag, 0);
    CHECK(managed.valid, -1);
#elif PY_VERSION_HEX >= 0x030B0000
    CHECK(managed.values, (char *)_PyObject_ValuesPointer(obj) - (char *)obj);
    CHECK(managed.tagged, 0);
    CHECK(managed.inline_flag, 0);
    CHECK(managed.valid, -1);
#endif
#if PY_MAJOR_VERSION == 2
    CHECK(dict.mask, offsetof(PyDictObject, ma_mask));
    CHECK(dict.table, offsetof(PyDictObject, ma_table));
    CHECK(dict.keys, -1);
    CHECK(dict.values, -1);
    CHECK(dict_keys.indices, -1);
    CHECK(pylong.int_value, offsetof(PyIntObject, ob_ival));
    CHECK_STR(symbols.int_type, "PyInt_Type");
#else
    CHECK(dict.mask, -1);
    CHECK(dict.table, -1);
    CHECK(dict.keys, offsetof(PyDictObject, ma_keys));
    CHECK(dict.values, offsetof(PyDictObject, ma_values));
    CHECK(pylong.int_value, -1);
    CHECK_STR(symbols.int_type, NULL);
#endif
#if PY_VERSION_HEX >= 0x030B0000
    CHECK(dict_keys.size, -1);
    CHECK(dict_keys.log2_index_bytes, offsetof(PyDictKeysObject, dk_log2_index_bytes));
    CHECK(dict_keys.kind, offsetof(PyDictKeysObject, dk_kind));
    CHECK(dict_keys.nentries, offsetof(PyDictKeysObject, dk_nentries));
    CHECK(dict_keys.indices, offsetof(PyDictKeysObject, dk_indices));
    CHECK(dict_keys.values_data, offsetof(PyDictValues, values));
#elif PY_MAJOR_VERSION == 3
    /* 3.6-3.10 keep PyDictKeysObject in Objects/dict-common.h, which is
     * not installed: the thread-name tests read real dicts instead. */
    printf("%-28s not in the installed headers\n", "dict_keys");
#endif
#if PY_VERSION_HEX >= 0x030C0000
    CHECK(pylong.size, -1);
    CHECK(pylong.tag, offsetof(PyLongObject, long_value.lv_tag));
    CHECK(pylong.digits, offsetof(PyLongObject, long_value.ob_digit));
#else
    CHECK(pylong.size, offsetof(PyVarObject, ob_size));
    CHECK(pylong.tag, -1);
    CHECK(pylong.digits, offsetof(PyLongObject, ob_digit));
#endif
    check("PyLong_SHIFT", 30, PyLong_SHIFT);

    printf("%s\n", failures ? "layout: MISMATCH" : "layout: ok");
    return failures != 0;
}
