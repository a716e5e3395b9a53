/* Compares one ABI plugin's layout table with the CPython headers it
 * describes.  Built once per version whose headers are installed, with
 * -DLAYOUT_FILE pointing at abi-plugins/layouts/pyXY.c.  Prints each field
 * and exits non-zero if any offset differs. */
#define Py_BUILD_CORE 1
#include <Python.h>
#include <internal/pycore_frame.h>
#include <internal/pycore_interp.h>
#include <internal/pycore_runtime.h>
#if PY_VERSION_HEX < 0x030C0000
#include <internal/pycore_gil.h>
#endif
#include <stddef.h>
#include <stdio.h>

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

#define CHECK(field, want) check(#field, (long)py_layout.field, (long)(want))

int main(void)
{
    CHECK(major, PY_MAJOR_VERSION);
    CHECK(minor, PY_MINOR_VERSION);

    CHECK(runtime.interp_head, offsetof(_PyRuntimeState, interpreters.head));
    CHECK(runtime.initialized, offsetof(_PyRuntimeState, initialized));
#if PY_VERSION_HEX < 0x030C0000
    CHECK(runtime.gil, offsetof(_PyRuntimeState, ceval.gil));
    CHECK(interp.gil_ptr, -1);
#else
    CHECK(runtime.gil, -1);
    CHECK(interp.gil_ptr, offsetof(PyInterpreterState, ceval.gil));
#endif
#if PY_VERSION_HEX >= 0x030D0000
    CHECK(runtime.debug_cookie, offsetof(_PyRuntimeState, debug_offsets.cookie));
#else
    CHECK(runtime.debug_cookie, -1);
#endif

    CHECK(interp.next, offsetof(PyInterpreterState, next));
    CHECK(interp.threads_head, offsetof(PyInterpreterState, threads.head));

    CHECK(tstate.next, offsetof(PyThreadState, next));
    CHECK(tstate.interp, offsetof(PyThreadState, interp));
#if PY_VERSION_HEX < 0x030D0000
    CHECK(tstate.frame, offsetof(PyThreadState, cframe));
    CHECK(tstate.cframe_frame, offsetof(_PyCFrame, current_frame));
#else
    CHECK(tstate.frame, offsetof(PyThreadState, current_frame));
    CHECK(tstate.cframe_frame, -1);
#endif
    CHECK(tstate.thread_id, offsetof(PyThreadState, thread_id));
    CHECK(tstate.native_thread_id, offsetof(PyThreadState, native_thread_id));

    CHECK(gil.locked, offsetof(struct _gil_runtime_state, locked));
    CHECK(gil.last_holder, offsetof(struct _gil_runtime_state, last_holder));

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

    CHECK(code.size, offsetof(PyCodeObject, co_code_adaptive));
    CHECK(code.filename, offsetof(PyCodeObject, co_filename));
    CHECK(code.name, offsetof(PyCodeObject, co_name));
    CHECK(code.firstlineno, offsetof(PyCodeObject, co_firstlineno));
    CHECK(code.linetable, offsetof(PyCodeObject, co_linetable));
    CHECK(code.code, offsetof(PyCodeObject, co_code_adaptive));

    CHECK(bytes.size, offsetof(PyVarObject, ob_size));
    CHECK(bytes.data, offsetof(PyBytesObject, ob_sval));

    /* The state bit-field follows the hash; its word starts there. */
    CHECK(unicode.state, offsetof(PyASCIIObject, hash) + sizeof(Py_hash_t));
    CHECK(unicode.length, offsetof(PyASCIIObject, length));
    CHECK(unicode.ascii_data, sizeof(PyASCIIObject));
    CHECK(unicode.compact_data, sizeof(PyCompactUnicodeObject));
    CHECK(unicode.data_ptr, offsetof(PyUnicodeObject, data));

    printf("%s\n", failures ? "layout: MISMATCH" : "layout: ok");
    return failures != 0;
}
