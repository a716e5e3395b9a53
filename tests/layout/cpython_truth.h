/* What a layout table (abi-plugins/common/layout.h) must hold for the
 * CPython release whose headers are on the include path, taken from those
 * headers alone: offsetof() and sizeof() of CPython's own structures, the
 * symbols they declare, their flags.  Never from abi-plugins/layouts/.
 *
 * Two users, one list: layout_check.c compares a table with it, and
 * print_truth.c prints it for tests/fuzz/gen_walker_corpus.py, whose seed
 * targets are laid out with these offsets.  The includer defines
 *
 *   TRUTH(field, value)          a number
 *   TRUTH_WITHIN(field, lo, hi)  a number in [lo, hi] (bytes read of an
 *                                object: at least every field used, at
 *                                most the object)
 *   TRUTH_ENUM(field, constant)  an enum constant of layout.h
 *   TRUTH_STR(field, string)     a string, NULL for none
 *
 * after including cpython_headers.h and before this file, then calls
 * cpython_truth().  What the installed headers do not hold is said where
 * it is used: a structure private to a .c file of CPython is mirrored in
 * cpython_headers.h with its source named, and layout_check.c also
 * measures it in the running interpreter (probe.py).  The structures moved
 * between headers over the releases; the #if blocks below only say where
 * to find them. */
#ifndef PYFLAME_TESTS_CPYTHON_TRUTH_H
#define PYFLAME_TESTS_CPYTHON_TRUTH_H

#include "cpython_headers.h"

static void cpython_truth(void)
{
    TRUTH_STR(abi, TRUTH_XSTR(PY_MAJOR_VERSION) TRUTH_XSTR(PY_MINOR_VERSION));
    TRUTH(major, PY_MAJOR_VERSION);
    TRUTH(minor, PY_MINOR_VERSION);

#if PY_MAJOR_VERSION == 2
    TRUTH_ENUM(string_model, PY_STRINGS_BYTES);
    TRUTH_STR(symbols.str_type, DECLARED(PyString_Type));
    TRUTH_STR(symbols.bytes_type, DECLARED(PyBytes_Type));
    TRUTH_STR(symbols.int_type, DECLARED(PyInt_Type));
#else
    TRUTH_ENUM(string_model, PY_STRINGS_UNICODE);
    TRUTH_STR(symbols.str_type, DECLARED(PyUnicode_Type));
    TRUTH_STR(symbols.bytes_type, DECLARED(PyBytes_Type));
    TRUTH_STR(symbols.int_type, NULL);
#endif
    TRUTH_STR(symbols.code_type, DECLARED(PyCode_Type));
    TRUTH_STR(symbols.dict_type, DECLARED(PyDict_Type));
    TRUTH_STR(symbols.long_type, DECLARED(PyLong_Type));

    /* Finding the interpreters and the GIL. */
#if PY_VERSION_HEX >= 0x03070000
    TRUTH_STR(symbols.runtime, DECLARED(_PyRuntime));
    TRUTH_STR(symbols.interp_head, NULL);
    TRUTH_STR(symbols.tstate_current, NULL);
    TRUTH(runtime.interp_head, offsetof(_PyRuntimeState, interpreters.head));
    TRUTH(runtime.initialized, offsetof(_PyRuntimeState, initialized));
#else
    TRUTH_STR(symbols.runtime, NULL);
    /* Static in Python/pystate.c: declared by no header. */
    TRUTH_STR(symbols.interp_head, "interp_head");
    TRUTH_STR(symbols.tstate_current, DECLARED(_PyThreadState_Current));
    TRUTH(runtime.interp_head, -1);
    TRUTH(runtime.initialized, -1);
#endif
#if PY_VERSION_HEX >= 0x030C0000
    TRUTH(runtime.gil, -1);
    TRUTH(interp.gil_ptr, offsetof(PyInterpreterState, ceval.gil));
#elif PY_VERSION_HEX >= 0x03070000
    TRUTH(runtime.gil, offsetof(_PyRuntimeState, ceval.gil));
    TRUTH(interp.gil_ptr, -1);
#else
    TRUTH(runtime.gil, -1);
    TRUTH(interp.gil_ptr, -1);
#endif
#if PY_VERSION_HEX >= 0x03070000
    TRUTH(gil.locked, offsetof(struct _gil_runtime_state, locked));
    TRUTH(gil.last_holder, offsetof(struct _gil_runtime_state, last_holder));
#else
    TRUTH(gil.locked, -1);
    TRUTH(gil.last_holder, -1);
#endif
#if PY_VERSION_HEX >= 0x030D0000
    TRUTH(runtime.debug_cookie, offsetof(_PyRuntimeState, debug_offsets.cookie));
#else
    TRUTH(runtime.debug_cookie, -1);
#endif

    TRUTH(interp.next, offsetof(PyInterpreterState, next));
#if PY_VERSION_HEX >= 0x030B0000
    TRUTH(interp.threads_head, offsetof(PyInterpreterState, threads.head));
#else
    TRUTH(interp.threads_head, offsetof(PyInterpreterState, tstate_head));
#endif

    /* Threads. */
    TRUTH(tstate.next, offsetof(PyThreadState, next));
    TRUTH(tstate.interp, offsetof(PyThreadState, interp));
#if PY_VERSION_HEX >= 0x030D0000
    TRUTH(tstate.frame, offsetof(PyThreadState, current_frame));
    TRUTH(tstate.cframe_frame, -1);
#elif PY_VERSION_HEX >= 0x030B0000
    TRUTH(tstate.frame, offsetof(PyThreadState, cframe));
    TRUTH(tstate.cframe_frame, offsetof(_PyCFrame, current_frame));
#else
    TRUTH(tstate.frame, offsetof(PyThreadState, frame));
    TRUTH(tstate.cframe_frame, -1);
#endif
    TRUTH(tstate.thread_id, offsetof(PyThreadState, thread_id));
#if PY_VERSION_HEX >= 0x030B0000
    TRUTH(tstate.native_thread_id, offsetof(PyThreadState, native_thread_id));
#else
    TRUTH(tstate.native_thread_id, -1);
#endif

    /* Frames. */
#if PY_VERSION_HEX >= 0x030B0000
    TRUTH_ENUM(frame_model, PY_FRAMES_INTERPRETER);
    TRUTH(iframe.size, offsetof(_PyInterpreterFrame, localsplus));
#if PY_VERSION_HEX < 0x030D0000
    TRUTH(iframe.code, offsetof(_PyInterpreterFrame, f_code));
    TRUTH(iframe.instr, offsetof(_PyInterpreterFrame, prev_instr));
#else
    TRUTH(iframe.code, offsetof(_PyInterpreterFrame, f_executable));
    TRUTH(iframe.instr, offsetof(_PyInterpreterFrame, instr_ptr));
#endif
    TRUTH(iframe.previous, offsetof(_PyInterpreterFrame, previous));
    TRUTH(iframe.owner, offsetof(_PyInterpreterFrame, owner));
#if PY_VERSION_HEX >= 0x030C0000
    TRUTH(iframe.owner_not_python, FRAME_OWNED_BY_CSTACK);
#else
    TRUTH(iframe.owner_not_python, -1);
#endif
#if PY_VERSION_HEX >= 0x030C0000
    TRUTH(iframe.stacktop, offsetof(_PyInterpreterFrame, stacktop));
#else
    TRUTH(iframe.stacktop, -1);
#endif
#if PY_VERSION_HEX < 0x030C0000
    TRUTH(iframe.return_op, RETURN_VALUE); /* <opcode.h> */
#else
    TRUTH(iframe.return_op, -1);
#endif
    TRUTH(iframe.slots, offsetof(_PyInterpreterFrame, stacktop));
    TRUTH(frame.size, -1);
    TRUTH(frame.back, -1);
    TRUTH(frame.code, -1);
    TRUTH(frame.lasti, -1);
    TRUTH(frame.lasti_unit, -1);
    TRUTH(frame.localsplus, -1);
#else
    TRUTH_ENUM(frame_model, PY_FRAMES_OBJECTS);
    TRUTH(iframe.size, -1);
    TRUTH(iframe.code, -1);
    TRUTH(iframe.instr, -1);
    TRUTH(iframe.previous, -1);
    TRUTH(iframe.owner, -1);
    TRUTH(iframe.owner_not_python, -1);
    TRUTH(iframe.stacktop, -1);
    TRUTH(iframe.return_op, -1);
    TRUTH(iframe.slots, -1);
    TRUTH(frame.size, FIELD_END(PyFrameObject, f_lasti)); /* f_lasti the last read */
    TRUTH(frame.back, offsetof(PyFrameObject, f_back));
    TRUTH(frame.code, offsetof(PyFrameObject, f_code));
    TRUTH(frame.lasti, offsetof(PyFrameObject, f_lasti));
    TRUTH(frame.localsplus, offsetof(PyFrameObject, f_localsplus));
#if PY_VERSION_HEX >= 0x030A0000
    TRUTH(frame.lasti_unit, sizeof(_Py_CODEUNIT)); /* f_lasti counts code units */
#else
    TRUTH(frame.lasti_unit, 1); /* f_lasti is a byte offset */
#endif
#endif

    /* Code objects and their line tables. */
    TRUTH(code.filename, offsetof(PyCodeObject, co_filename));
    TRUTH(code.name, offsetof(PyCodeObject, co_name));
    TRUTH(code.firstlineno, offsetof(PyCodeObject, co_firstlineno));
#if PY_VERSION_HEX >= 0x030B0000
    TRUTH_ENUM(line_format, PY_LINES_LOCATIONS);
    TRUTH(code.linetable, offsetof(PyCodeObject, co_linetable));
    /* The fixed head, up to the bytecode that follows it. */
    TRUTH(code.size, offsetof(PyCodeObject, co_code_adaptive));
    TRUTH(code.code, offsetof(PyCodeObject, co_code_adaptive));
#else
#if PY_VERSION_HEX >= 0x030A0000
    TRUTH_ENUM(line_format, PY_LINES_310);
#define LINETABLE co_linetable
#elif PY_MAJOR_VERSION == 3
    TRUTH_ENUM(line_format, PY_LINES_LNOTAB);
#define LINETABLE co_lnotab
#else
    TRUTH_ENUM(line_format, PY_LINES_LNOTAB_UNSIGNED);
#define LINETABLE co_lnotab
#endif
    TRUTH(code.linetable, offsetof(PyCodeObject, LINETABLE));
    /* Every field the walker uses, and not past the object. */
    TRUTH_WITHIN(code.size,
                 MAX4(FIELD_END(PyCodeObject, co_filename), FIELD_END(PyCodeObject, co_name),
                      FIELD_END(PyCodeObject, co_firstlineno),
                      FIELD_END(PyCodeObject, LINETABLE)),
                 sizeof(PyCodeObject));
    TRUTH(code.code, -1);
#endif

    /* Strings. */
#if PY_MAJOR_VERSION == 2
    TRUTH(bytes.size, offsetof(PyStringObject, ob_size));
    TRUTH(bytes.data, offsetof(PyStringObject, ob_sval));
    TRUTH(unicode.state, -1);
    TRUTH(unicode.length, -1);
    TRUTH(unicode.ascii_data, -1);
    TRUTH(unicode.compact_data, -1);
    TRUTH(unicode.data_ptr, -1);
    TRUTH(unicode.kind_shift, -1);
    TRUTH(unicode.compact_shift, -1);
    TRUTH(unicode.ascii_shift, -1);
#else
    TRUTH(bytes.size, offsetof(PyBytesObject, ob_base.ob_size));
    TRUTH(bytes.data, offsetof(PyBytesObject, ob_sval));
    TRUTH(unicode.state, unicode_state_word());
    TRUTH(unicode.length, offsetof(PyASCIIObject, length));
    TRUTH(unicode.ascii_data, sizeof(PyASCIIObject));
    TRUTH(unicode.compact_data, sizeof(PyCompactUnicodeObject));
    TRUTH(unicode.data_ptr, offsetof(PyUnicodeObject, data));
    TRUTH(unicode.kind_shift, unicode_state_shift(UNICODE_KIND));
    TRUTH(unicode.compact_shift, unicode_state_shift(UNICODE_COMPACT));
    TRUTH(unicode.ascii_shift, unicode_state_shift(UNICODE_ASCII));
#endif

    /* Thread names: sys.modules, threading._active and Thread objects.
     * (threading.name_attr is no header's: probe.py asks the interpreter.) */
#if PY_VERSION_HEX >= 0x030C0000
    TRUTH(interp.modules, offsetof(PyInterpreterState, imports.modules));
#else
    TRUTH(interp.modules, offsetof(PyInterpreterState, modules));
#endif
    TRUTH(module.dict, offsetof(PyModuleObject, md_dict));
    TRUTH(type.basicsize, offsetof(PyTypeObject, tp_basicsize));
    TRUTH(type.flags, offsetof(PyTypeObject, tp_flags));
    TRUTH(type.dictoffset, offsetof(PyTypeObject, tp_dictoffset));
#if PY_MAJOR_VERSION == 2
    TRUTH(type.cached_keys, -1);
#else
    TRUTH(type.cached_keys, offsetof(PyHeapTypeObject, ht_cached_keys));
#endif
#if PY_VERSION_HEX >= 0x030B0000
    /* An object of a type with a managed dict, pre-header below it, for
     * the headers' inline functions to point into (and assert on). */
    static PyObject *object[8];
    static PyTypeObject managed_type;
    PyObject *obj = (PyObject *)&object[4];
    managed_type.tp_flags = Py_TPFLAGS_MANAGED_DICT;
    Py_SET_TYPE(obj, &managed_type);
    TRUTH(managed.flag, Py_TPFLAGS_MANAGED_DICT);
#if PY_VERSION_HEX >= 0x030C0000 && PY_VERSION_HEX < 0x030D0000
    TRUTH(managed.dict, (char *)_PyObject_DictOrValuesPointer(obj) - (char *)obj);
#else
    TRUTH(managed.dict, MANAGED_DICT_OFFSET);
#endif
#else
    TRUTH(managed.flag, 0);
    TRUTH(managed.dict, 0);
#endif
#if PY_VERSION_HEX >= 0x030D0000
    TRUTH(managed.values, 0);
    TRUTH(managed.tagged, 0);
    TRUTH(managed.inline_flag, Py_TPFLAGS_INLINE_VALUES);
    TRUTH(managed.capacity, offsetof(PyDictValues, capacity));
    TRUTH(managed.valid, offsetof(PyDictValues, valid));
#elif PY_VERSION_HEX >= 0x030C0000
    TRUTH(managed.values, 0);
    {
        /* Values are stored one byte below their address. */
        PyDictOrValues dorv;
        _PyDictOrValues_SetValues(&dorv, (PyDictValues *)obj);
        TRUTH(managed.tagged, dorv.values + 1 == (char *)obj);
    }
    TRUTH(managed.inline_flag, 0);
    TRUTH(managed.capacity, -1);
    TRUTH(managed.valid, -1);
#elif PY_VERSION_HEX >= 0x030B0000
    TRUTH(managed.values, (char *)_PyObject_ValuesPointer(obj) - (char *)obj);
    TRUTH(managed.tagged, 0);
    TRUTH(managed.inline_flag, 0);
    TRUTH(managed.capacity, -1);
    TRUTH(managed.valid, -1);
#else
    TRUTH(managed.values, 0);
    TRUTH(managed.tagged, 0);
    TRUTH(managed.inline_flag, 0);
    TRUTH(managed.capacity, -1);
    TRUTH(managed.valid, -1);
#endif

    /* Dicts and integers. */
#if PY_MAJOR_VERSION == 2
    TRUTH(dict.mask, offsetof(PyDictObject, ma_mask));
    TRUTH(dict.table, offsetof(PyDictObject, ma_table));
    TRUTH(dict.keys, -1);
    TRUTH(dict.values, -1);
    TRUTH(dict_keys.size, -1);
    TRUTH(dict_keys.log2_index_bytes, -1);
    TRUTH(dict_keys.kind, -1);
    TRUTH(dict_keys.nentries, -1);
    TRUTH(dict_keys.indices, -1);
    TRUTH(dict_keys.values_data, -1);
    TRUTH(pylong.int_value, offsetof(PyIntObject, ob_ival));
#else
    TRUTH(dict.mask, -1);
    TRUTH(dict.table, -1);
    TRUTH(dict.keys, offsetof(PyDictObject, ma_keys));
    TRUTH(dict.values, offsetof(PyDictObject, ma_values));
    TRUTH(pylong.int_value, -1);
#endif
#if PY_VERSION_HEX >= 0x030B0000
    TRUTH(dict_keys.size, -1);
    TRUTH(dict_keys.log2_index_bytes, offsetof(PyDictKeysObject, dk_log2_index_bytes));
    TRUTH(dict_keys.kind, offsetof(PyDictKeysObject, dk_kind));
    TRUTH(dict_keys.nentries, offsetof(PyDictKeysObject, dk_nentries));
    TRUTH(dict_keys.indices, offsetof(PyDictKeysObject, dk_indices));
    TRUTH(dict_keys.values_data, offsetof(PyDictValues, values));
#elif PY_MAJOR_VERSION == 3
    TRUTH(dict_keys.size, offsetof(struct dict_keys_mirror, dk_size));
    TRUTH(dict_keys.log2_index_bytes, -1);
    TRUTH(dict_keys.kind, -1);
    TRUTH(dict_keys.nentries, offsetof(struct dict_keys_mirror, dk_nentries));
    TRUTH(dict_keys.indices, offsetof(struct dict_keys_mirror, dk_indices));
    /* ma_values is a PyObject ** (Include/dictobject.h): the values start
     * where it points.  Any other type of it is a compile error. */
    TRUTH(dict_keys.values_data,
          _Generic(((PyDictObject *)0)->ma_values, PyObject * *: 0));
#endif
#if PY_VERSION_HEX >= 0x030C0000
    TRUTH(pylong.size, -1);
    TRUTH(pylong.tag, offsetof(PyLongObject, long_value.lv_tag));
    TRUTH(pylong.digits, offsetof(PyLongObject, long_value.ob_digit));
#elif PY_MAJOR_VERSION == 3
    TRUTH(pylong.size, offsetof(PyLongObject, ob_base.ob_size));
    TRUTH(pylong.tag, -1);
    TRUTH(pylong.digits, offsetof(PyLongObject, ob_digit));
#else
    TRUTH(pylong.size, offsetof(PyLongObject, ob_size));
    TRUTH(pylong.tag, -1);
    TRUTH(pylong.digits, offsetof(PyLongObject, ob_digit));
#endif

    /* Every object's header, and the build. */
    TRUTH(object.ob_type, offsetof(PyObject, ob_type));
    TRUTH(object.ob_size, offsetof(PyVarObject, ob_size));
#ifdef Py_GIL_DISABLED
    TRUTH(free_threaded, 1);
    TRUTH(gil.enabled, offsetof(struct _gil_runtime_state, enabled));
#else
    TRUTH(free_threaded, 0);
    TRUTH(gil.enabled, -1);
#endif

    /* What a 3.13+ runtime publishes of its layout: where its table keeps
     * its version and build; layout_check.c follows the table's entries in
     * the running interpreter's own copy. */
#if PY_VERSION_HEX >= 0x030D0000
    TRUTH(published.size, sizeof(_Py_DebugOffsets));
    TRUTH(published.version, offsetof(_Py_DebugOffsets, version));
    TRUTH(published.free_threaded, offsetof(_Py_DebugOffsets, free_threaded));
#else
    TRUTH(published.size, 0);
    TRUTH(published.version, -1);
    TRUTH(published.free_threaded, -1);
    TRUTH(published.count, 0);
    TRUTH(published.offsets, 0); /* NULL */
#endif

    /* 3.14+: tagged code references, a stack pointer in place of
     * stacktop, per-thread bytecode; none of them before. */
    TRUTH(iframe.stackpointer, -1);
    TRUTH(iframe.code_tag_bits, 0);
    TRUTH(iframe.code_int_tag, 0);
    TRUTH(iframe.tlbc_index, -1);
    TRUTH(code.tlbc, -1);
    TRUTH(code.tlbc_entries, -1);
}

#endif
