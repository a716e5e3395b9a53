/* probe_headers.c: prints the layout facts of a CPython release, from its
 * own headers, as "name value" lines: the facts/ABI.txt the fake targets
 * are made of (see README.md).
 * Build: cc -DPy_BUILD_CORE -I<inc> -I<inc>/internal [-I<builddir>] probe_headers.c -o probe
 *        (link with -no-pie -Wl,--unresolved-symbols=ignore-all: the static
 *         _PyRuntimeState initializer references PyXxx_Type symbols; we only read
 *         its debug_offsets, never dereference them).
 * Covers CPython 3.13, 3.14, 3.15 (default and Py_GIL_DISABLED builds). */
#ifndef Py_BUILD_CORE
#define Py_BUILD_CORE 1
#endif
#include <stdio.h>
#include <stddef.h>
#include <string.h>
#include <stdint.h>
#include "Python.h"
#include "pycore_runtime.h"
#include "pycore_ceval.h"
#include "pycore_runtime_init.h"
#include "pycore_interp.h"
#include "pycore_pystate.h"
#include "pycore_tstate.h"
#include "pycore_frame.h"
#include "pycore_code.h"
#include "pycore_dict.h"
#include "pycore_object.h"
#include "pycore_long.h"
#include "pycore_moduleobject.h"
#include "pycore_gil.h"
#include "pycore_stackref.h"
#include "pycore_genobject.h"
#include "pycore_gc.h"
#if PY_VERSION_HEX >= 0x030E0000
#include "pycore_interpframe.h"
#include "pycore_debug_offsets.h"
#endif

#define PR(name, val)   printf("%s %lld\n", name, (long long)(val))
#define PRX(name, val)  printf("%s 0x%llx\n", name, (unsigned long long)(val))
#define OFF(T, f)       PR("offsetof(" #T "," #f ")", offsetof(T, f))
#define SZ(T)           PR("sizeof(" #T ")", sizeof(T))
#define MAC(m)          PR(#m, (m))
#define MACX(m)         PRX(#m, (m))

/* The runtime's own static initializer, exactly as Python/pylifecycle.c uses it. */
static _PyRuntimeState rt = _PyRuntimeState_INIT(rt, _Py_Debug_Cookie);

/* _Py_DebugOffsets field lists, one per release, as its header declares them */
#if PY_VERSION_HEX >= 0x030F0000
#define DBG_FIELDS(X_TOP, X) \
    X_TOP(cookie) \
    X_TOP(version) \
    X_TOP(free_threaded) \
    X(runtime_state, size) \
    X(runtime_state, finalizing) \
    X(runtime_state, interpreters_head) \
    X(interpreter_state, size) \
    X(interpreter_state, id) \
    X(interpreter_state, next) \
    X(interpreter_state, threads_head) \
    X(interpreter_state, threads_main) \
    X(interpreter_state, gc) \
    X(interpreter_state, imports_modules) \
    X(interpreter_state, sysdict) \
    X(interpreter_state, builtins) \
    X(interpreter_state, ceval_gil) \
    X(interpreter_state, gil_runtime_state) \
    X(interpreter_state, gil_runtime_state_enabled) \
    X(interpreter_state, gil_runtime_state_locked) \
    X(interpreter_state, gil_runtime_state_holder) \
    X(interpreter_state, code_object_generation) \
    X(interpreter_state, tlbc_generation) \
    X(thread_state, size) \
    X(thread_state, prev) \
    X(thread_state, next) \
    X(thread_state, interp) \
    X(thread_state, current_frame) \
    X(thread_state, base_frame) \
    X(thread_state, last_profiled_frame) \
    X(thread_state, last_profiled_frame_seq) \
    X(thread_state, thread_id) \
    X(thread_state, native_thread_id) \
    X(thread_state, datastack_chunk) \
    X(thread_state, status) \
    X(thread_state, holds_gil) \
    X(thread_state, gil_requested) \
    X(thread_state, current_exception) \
    X(thread_state, exc_state) \
    X(err_stackitem, exc_value) \
    X(interpreter_frame, size) \
    X(interpreter_frame, previous) \
    X(interpreter_frame, executable) \
    X(interpreter_frame, instr_ptr) \
    X(interpreter_frame, localsplus) \
    X(interpreter_frame, owner) \
    X(interpreter_frame, stackpointer) \
    X(interpreter_frame, tlbc_index) \
    X(code_object, size) \
    X(code_object, filename) \
    X(code_object, name) \
    X(code_object, qualname) \
    X(code_object, linetable) \
    X(code_object, firstlineno) \
    X(code_object, argcount) \
    X(code_object, localsplusnames) \
    X(code_object, localspluskinds) \
    X(code_object, co_code_adaptive) \
    X(code_object, co_tlbc) \
    X(pyobject, size) \
    X(pyobject, ob_type) \
    X(type_object, size) \
    X(type_object, tp_name) \
    X(type_object, tp_repr) \
    X(type_object, tp_flags) \
    X(type_object, tp_basicsize) \
    X(type_object, tp_dictoffset) \
    X(heap_type_object, size) \
    X(heap_type_object, ht_cached_keys) \
    X(tuple_object, size) \
    X(tuple_object, ob_item) \
    X(tuple_object, ob_size) \
    X(list_object, size) \
    X(list_object, ob_item) \
    X(list_object, ob_size) \
    X(set_object, size) \
    X(set_object, used) \
    X(set_object, table) \
    X(set_object, mask) \
    X(dict_object, size) \
    X(dict_object, ma_keys) \
    X(dict_object, ma_values) \
    X(float_object, size) \
    X(float_object, ob_fval) \
    X(long_object, size) \
    X(long_object, lv_tag) \
    X(long_object, ob_digit) \
    X(bytes_object, size) \
    X(bytes_object, ob_size) \
    X(bytes_object, ob_sval) \
    X(unicode_object, size) \
    X(unicode_object, state) \
    X(unicode_object, length) \
    X(unicode_object, asciiobject_size) \
    X(unicode_object, compactunicodeobject_size) \
    X(gc, size) \
    X(gc, collecting) \
    X(gc, frame) \
    X(gc, generation_stats_size) \
    X(gc, generation_stats) \
    X(gen_object, size) \
    X(gen_object, gi_name) \
    X(gen_object, gi_iframe) \
    X(gen_object, gi_frame_state) \
    X(llist_node, next) \
    X(llist_node, prev) \
    X(debugger_support, eval_breaker) \
    X(debugger_support, remote_debugger_support) \
    X(debugger_support, remote_debugging_enabled) \
    X(debugger_support, debugger_pending_call) \
    X(debugger_support, debugger_script_path) \
    X(debugger_support, debugger_script_path_size)
#elif PY_VERSION_HEX >= 0x030E0000
#define DBG_FIELDS(X_TOP, X) \
    X_TOP(cookie) \
    X_TOP(version) \
    X_TOP(free_threaded) \
    X(runtime_state, size) \
    X(runtime_state, finalizing) \
    X(runtime_state, interpreters_head) \
    X(interpreter_state, size) \
    X(interpreter_state, id) \
    X(interpreter_state, next) \
    X(interpreter_state, threads_head) \
    X(interpreter_state, threads_main) \
    X(interpreter_state, gc) \
    X(interpreter_state, imports_modules) \
    X(interpreter_state, sysdict) \
    X(interpreter_state, builtins) \
    X(interpreter_state, ceval_gil) \
    X(interpreter_state, gil_runtime_state) \
    X(interpreter_state, gil_runtime_state_enabled) \
    X(interpreter_state, gil_runtime_state_locked) \
    X(interpreter_state, gil_runtime_state_holder) \
    X(interpreter_state, code_object_generation) \
    X(interpreter_state, tlbc_generation) \
    X(thread_state, size) \
    X(thread_state, prev) \
    X(thread_state, next) \
    X(thread_state, interp) \
    X(thread_state, current_frame) \
    X(thread_state, thread_id) \
    X(thread_state, native_thread_id) \
    X(thread_state, datastack_chunk) \
    X(thread_state, status) \
    X(interpreter_frame, size) \
    X(interpreter_frame, previous) \
    X(interpreter_frame, executable) \
    X(interpreter_frame, instr_ptr) \
    X(interpreter_frame, localsplus) \
    X(interpreter_frame, owner) \
    X(interpreter_frame, stackpointer) \
    X(interpreter_frame, tlbc_index) \
    X(code_object, size) \
    X(code_object, filename) \
    X(code_object, name) \
    X(code_object, qualname) \
    X(code_object, linetable) \
    X(code_object, firstlineno) \
    X(code_object, argcount) \
    X(code_object, localsplusnames) \
    X(code_object, localspluskinds) \
    X(code_object, co_code_adaptive) \
    X(code_object, co_tlbc) \
    X(pyobject, size) \
    X(pyobject, ob_type) \
    X(type_object, size) \
    X(type_object, tp_name) \
    X(type_object, tp_repr) \
    X(type_object, tp_flags) \
    X(tuple_object, size) \
    X(tuple_object, ob_item) \
    X(tuple_object, ob_size) \
    X(list_object, size) \
    X(list_object, ob_item) \
    X(list_object, ob_size) \
    X(set_object, size) \
    X(set_object, used) \
    X(set_object, table) \
    X(set_object, mask) \
    X(dict_object, size) \
    X(dict_object, ma_keys) \
    X(dict_object, ma_values) \
    X(float_object, size) \
    X(float_object, ob_fval) \
    X(long_object, size) \
    X(long_object, lv_tag) \
    X(long_object, ob_digit) \
    X(bytes_object, size) \
    X(bytes_object, ob_size) \
    X(bytes_object, ob_sval) \
    X(unicode_object, size) \
    X(unicode_object, state) \
    X(unicode_object, length) \
    X(unicode_object, asciiobject_size) \
    X(gc, size) \
    X(gc, collecting) \
    X(gen_object, size) \
    X(gen_object, gi_name) \
    X(gen_object, gi_iframe) \
    X(gen_object, gi_frame_state) \
    X(llist_node, next) \
    X(llist_node, prev) \
    X(debugger_support, eval_breaker) \
    X(debugger_support, remote_debugger_support) \
    X(debugger_support, remote_debugging_enabled) \
    X(debugger_support, debugger_pending_call) \
    X(debugger_support, debugger_script_path) \
    X(debugger_support, debugger_script_path_size)
#else
#define DBG_FIELDS(X_TOP, X) \
    X_TOP(cookie) \
    X_TOP(version) \
    X_TOP(free_threaded) \
    X(runtime_state, size) \
    X(runtime_state, finalizing) \
    X(runtime_state, interpreters_head) \
    X(interpreter_state, size) \
    X(interpreter_state, id) \
    X(interpreter_state, next) \
    X(interpreter_state, threads_head) \
    X(interpreter_state, gc) \
    X(interpreter_state, imports_modules) \
    X(interpreter_state, sysdict) \
    X(interpreter_state, builtins) \
    X(interpreter_state, ceval_gil) \
    X(interpreter_state, gil_runtime_state) \
    X(interpreter_state, gil_runtime_state_enabled) \
    X(interpreter_state, gil_runtime_state_locked) \
    X(interpreter_state, gil_runtime_state_holder) \
    X(thread_state, size) \
    X(thread_state, prev) \
    X(thread_state, next) \
    X(thread_state, interp) \
    X(thread_state, current_frame) \
    X(thread_state, thread_id) \
    X(thread_state, native_thread_id) \
    X(thread_state, datastack_chunk) \
    X(thread_state, status) \
    X(interpreter_frame, size) \
    X(interpreter_frame, previous) \
    X(interpreter_frame, executable) \
    X(interpreter_frame, instr_ptr) \
    X(interpreter_frame, localsplus) \
    X(interpreter_frame, owner) \
    X(code_object, size) \
    X(code_object, filename) \
    X(code_object, name) \
    X(code_object, qualname) \
    X(code_object, linetable) \
    X(code_object, firstlineno) \
    X(code_object, argcount) \
    X(code_object, localsplusnames) \
    X(code_object, localspluskinds) \
    X(code_object, co_code_adaptive) \
    X(pyobject, size) \
    X(pyobject, ob_type) \
    X(type_object, size) \
    X(type_object, tp_name) \
    X(type_object, tp_repr) \
    X(type_object, tp_flags) \
    X(tuple_object, size) \
    X(tuple_object, ob_item) \
    X(tuple_object, ob_size) \
    X(list_object, size) \
    X(list_object, ob_item) \
    X(list_object, ob_size) \
    X(dict_object, size) \
    X(dict_object, ma_keys) \
    X(dict_object, ma_values) \
    X(float_object, size) \
    X(float_object, ob_fval) \
    X(long_object, size) \
    X(long_object, lv_tag) \
    X(long_object, ob_digit) \
    X(bytes_object, size) \
    X(bytes_object, ob_size) \
    X(bytes_object, ob_sval) \
    X(unicode_object, size) \
    X(unicode_object, state) \
    X(unicode_object, length) \
    X(unicode_object, asciiobject_size) \
    X(gc, size) \
    X(gc, collecting)
#endif

static void dump_debug_offsets(const char *pfx, const _Py_DebugOffsets *d)
{
    const char *lastgrp = "";
    char nm[256];
#define X_TOP(f) /* handled below */
#define X(g, f) do { \
        if (strcmp(lastgrp, #g) != 0) { lastgrp = #g; \
            snprintf(nm, sizeof nm, "%s.%s@", pfx, #g); PR(nm, offsetof(_Py_DebugOffsets, g)); \
            snprintf(nm, sizeof nm, "%s.%s.sizeof", pfx, #g); PR(nm, sizeof(d->g)); } \
        snprintf(nm, sizeof nm, "%s.%s.%s@", pfx, #g, #f); PR(nm, offsetof(_Py_DebugOffsets, g.f)); \
        snprintf(nm, sizeof nm, "%s.%s.%s", pfx, #g, #f); PR(nm, d->g.f); } while (0);
    snprintf(nm, sizeof nm, "%s.cookie@", pfx); PR(nm, offsetof(_Py_DebugOffsets, cookie));
    printf("%s.cookie \"%.8s\"\n", pfx, d->cookie);
    snprintf(nm, sizeof nm, "%s.version@", pfx); PR(nm, offsetof(_Py_DebugOffsets, version));
    snprintf(nm, sizeof nm, "%s.version", pfx); PRX(nm, d->version);
    snprintf(nm, sizeof nm, "%s.free_threaded@", pfx); PR(nm, offsetof(_Py_DebugOffsets, free_threaded));
    snprintf(nm, sizeof nm, "%s.free_threaded", pfx); PR(nm, d->free_threaded);
    DBG_FIELDS(X_TOP, X)
#undef X
#undef X_TOP
}

int main(void)
{
    printf("PY_VERSION \"%s\"\n", PY_VERSION);
    MACX(PY_VERSION_HEX);
#ifdef Py_GIL_DISABLED
    PR("Py_GIL_DISABLED", 1);
#else
    PR("Py_GIL_DISABLED", 0);
#endif
#ifdef _Py_TIER2
    PR("_Py_TIER2", _Py_TIER2);
#endif

    /* ---- (a) _Py_DebugOffsets ---- */
    SZ(_Py_DebugOffsets);
    dump_debug_offsets("dbg", &rt.debug_offsets);
#if PY_VERSION_HEX >= 0x030E0000
    {
        static const _Py_DebugOffsets d2 = _Py_DebugOffsets_INIT(_Py_Debug_Cookie);
        PR("dbg_INIT_macro_equals_runtime_init", memcmp(&d2, &rt.debug_offsets, sizeof d2) == 0);
    }
#endif

    /* ---- (b) _PyRuntimeState ---- */
    SZ(_PyRuntimeState);
    OFF(_PyRuntimeState, debug_offsets);
    OFF(_PyRuntimeState, _initialized);
    OFF(_PyRuntimeState, preinitializing);
    OFF(_PyRuntimeState, preinitialized);
    OFF(_PyRuntimeState, core_initialized);
    OFF(_PyRuntimeState, initialized);
    OFF(_PyRuntimeState, _finalizing);
    OFF(_PyRuntimeState, _finalizing_id);
    OFF(_PyRuntimeState, interpreters);
    OFF(_PyRuntimeState, interpreters.mutex);
    OFF(_PyRuntimeState, interpreters.head);
    OFF(_PyRuntimeState, interpreters.main);
    OFF(_PyRuntimeState, interpreters.next_id);
    OFF(_PyRuntimeState, main_thread);
    OFF(_PyRuntimeState, main_tstate);

    /* ---- (c) PyInterpreterState + GIL ---- */
    SZ(PyInterpreterState);
    OFF(PyInterpreterState, next);
    OFF(PyInterpreterState, id);
    OFF(PyInterpreterState, threads.head);
    OFF(PyInterpreterState, threads.main);
    OFF(PyInterpreterState, ceval);
    OFF(PyInterpreterState, ceval.gil);
    OFF(PyInterpreterState, _gil);
    OFF(PyInterpreterState, imports.modules);
    OFF(PyInterpreterState, sysdict);
    OFF(PyInterpreterState, builtins);
    OFF(PyInterpreterState, gc);
#if PY_VERSION_HEX >= 0x030E0000
    OFF(PyInterpreterState, _code_object_generation);
    OFF(PyInterpreterState, config.remote_debug);
#endif
#if defined(Py_GIL_DISABLED) && PY_VERSION_HEX >= 0x030E0000
    OFF(PyInterpreterState, tlbc_indices);
    OFF(PyInterpreterState, tlbc_indices.tlbc_generation);
#endif
    SZ(struct _gil_runtime_state);
#ifdef Py_GIL_DISABLED
    OFF(struct _gil_runtime_state, enabled);
#endif
    OFF(struct _gil_runtime_state, interval);
    OFF(struct _gil_runtime_state, last_holder);
    OFF(struct _gil_runtime_state, locked);
    OFF(struct _gil_runtime_state, switch_number);
    PR("sizeof(_gil_runtime_state.locked)", sizeof(((struct _gil_runtime_state *)0)->locked));
    SZ(struct _gc_runtime_state);
    OFF(struct _gc_runtime_state, collecting);

    /* ---- (d) PyThreadState / _PyThreadStateImpl ---- */
    SZ(PyThreadState);
    OFF(PyThreadState, prev);
    OFF(PyThreadState, next);
    OFF(PyThreadState, interp);
    OFF(PyThreadState, eval_breaker);
    OFF(PyThreadState, _status);
#if PY_VERSION_HEX >= 0x030E0000
    OFF(PyThreadState, holds_gil);
#endif
#if PY_VERSION_HEX >= 0x030F0000
    OFF(PyThreadState, gil_requested);
#endif
    OFF(PyThreadState, current_frame);
    OFF(PyThreadState, thread_id);
    OFF(PyThreadState, native_thread_id);
    OFF(PyThreadState, datastack_chunk);
    OFF(PyThreadState, datastack_top);
    OFF(PyThreadState, datastack_limit);
    OFF(PyThreadState, current_exception);
    OFF(PyThreadState, exc_info);
    OFF(PyThreadState, exc_state);
    OFF(PyThreadState, id);
#if PY_VERSION_HEX >= 0x030E0000
    OFF(PyThreadState, remote_debugger_support);
#endif
#if PY_VERSION_HEX >= 0x030F0000
    OFF(PyThreadState, base_frame);
    OFF(PyThreadState, last_profiled_frame);
    OFF(PyThreadState, last_profiled_frame_seq);
#endif
    OFF(_PyErr_StackItem, exc_value);
    OFF(_PyErr_StackItem, previous_item);
    SZ(_PyThreadStateImpl);
    OFF(_PyThreadStateImpl, base);
    OFF(_PyThreadStateImpl, asyncio_running_loop);
#if PY_VERSION_HEX >= 0x030E0000
    OFF(_PyThreadStateImpl, asyncio_running_task);
    OFF(_PyThreadStateImpl, asyncio_tasks_head);
#endif
#if defined(Py_GIL_DISABLED) && PY_VERSION_HEX >= 0x030E0000
    OFF(_PyThreadStateImpl, tlbc_index);
#endif
    OFF(struct llist_node, next);
    OFF(struct llist_node, prev);

    /* ---- (e) _PyInterpreterFrame ---- */
    SZ(_PyInterpreterFrame);
    OFF(_PyInterpreterFrame, f_executable);
    OFF(_PyInterpreterFrame, previous);
    OFF(_PyInterpreterFrame, f_funcobj);
    OFF(_PyInterpreterFrame, f_globals);
    OFF(_PyInterpreterFrame, f_builtins);
    OFF(_PyInterpreterFrame, f_locals);
    OFF(_PyInterpreterFrame, frame_obj);
    OFF(_PyInterpreterFrame, instr_ptr);
#if PY_VERSION_HEX >= 0x030E0000
    OFF(_PyInterpreterFrame, stackpointer);
#else
    OFF(_PyInterpreterFrame, stacktop);
#endif
#if defined(Py_GIL_DISABLED) && PY_VERSION_HEX >= 0x030E0000
    OFF(_PyInterpreterFrame, tlbc_index);
#endif
    OFF(_PyInterpreterFrame, return_offset);
    OFF(_PyInterpreterFrame, owner);
#if PY_VERSION_HEX >= 0x030E0000
    OFF(_PyInterpreterFrame, visited);
#endif
    OFF(_PyInterpreterFrame, localsplus);
    PR("sizeof(_PyInterpreterFrame.f_executable)", sizeof(((_PyInterpreterFrame *)0)->f_executable));
    PR("sizeof(_PyInterpreterFrame.localsplus[0])", sizeof(((_PyInterpreterFrame *)0)->localsplus[0]));
    MAC(FRAME_OWNED_BY_THREAD);
    MAC(FRAME_OWNED_BY_GENERATOR);
    MAC(FRAME_OWNED_BY_FRAME_OBJECT);
#if PY_VERSION_HEX >= 0x030E0000
    MAC(FRAME_OWNED_BY_INTERPRETER);
#endif
#if PY_VERSION_HEX < 0x030F0000
    MAC(FRAME_OWNED_BY_CSTACK);
#endif
    SZ(_Py_CODEUNIT);
    SZ(_PyStackRef);
#ifdef Py_TAG_BITS
    MAC(Py_TAG_BITS);
#endif
#ifdef Py_TAG_DEFERRED
    MAC(Py_TAG_DEFERRED);
#endif
#ifdef Py_TAG_REFCNT
    MAC(Py_TAG_REFCNT);
#endif
#ifdef Py_TAG_PTR
    MAC(Py_TAG_PTR);
#endif
#ifdef Py_INT_TAG
    MAC(Py_INT_TAG);
#endif
#ifdef Py_TAG_INVALID
    MAC(Py_TAG_INVALID);
#endif
#ifdef Py_TAGGED_SHIFT
    MAC(Py_TAGGED_SHIFT);
#endif
#if PY_VERSION_HEX >= 0x030E0000
    PRX("PyStackRef_NULL.bits", PyStackRef_NULL.bits);
#else
    PRX("Py_STACKREF_NULL.bits", Py_STACKREF_NULL.bits);
#endif
    /* generator */
    SZ(PyGenObject);
    OFF(PyGenObject, gi_name);
    OFF(PyGenObject, gi_qualname);
    OFF(PyGenObject, gi_frame_state);
    OFF(PyGenObject, gi_iframe);

    /* ---- (f) PyCodeObject ---- */
    SZ(PyCodeObject);
    OFF(PyCodeObject, co_consts);
    OFF(PyCodeObject, co_names);
    OFF(PyCodeObject, co_exceptiontable);
    OFF(PyCodeObject, co_flags);
    OFF(PyCodeObject, co_argcount);
    OFF(PyCodeObject, co_posonlyargcount);
    OFF(PyCodeObject, co_kwonlyargcount);
    OFF(PyCodeObject, co_stacksize);
    OFF(PyCodeObject, co_firstlineno);
    OFF(PyCodeObject, co_nlocalsplus);
    OFF(PyCodeObject, co_framesize);
    OFF(PyCodeObject, co_nlocals);
    OFF(PyCodeObject, co_ncellvars);
    OFF(PyCodeObject, co_nfreevars);
    OFF(PyCodeObject, co_version);
    OFF(PyCodeObject, co_localsplusnames);
    OFF(PyCodeObject, co_localspluskinds);
    OFF(PyCodeObject, co_filename);
    OFF(PyCodeObject, co_name);
    OFF(PyCodeObject, co_qualname);
    OFF(PyCodeObject, co_linetable);
    OFF(PyCodeObject, co_weakreflist);
    OFF(PyCodeObject, co_executors);
    OFF(PyCodeObject, _co_cached);
    OFF(PyCodeObject, _co_instrumentation_version);
    OFF(PyCodeObject, _co_monitoring);
#if PY_VERSION_HEX >= 0x030E0000
    OFF(PyCodeObject, _co_unique_id);
#endif
    OFF(PyCodeObject, _co_firsttraceable);
    OFF(PyCodeObject, co_extra);
#if defined(Py_GIL_DISABLED) && PY_VERSION_HEX >= 0x030E0000
    OFF(PyCodeObject, co_tlbc);
    SZ(_PyCodeArray);
    OFF(_PyCodeArray, size);
    OFF(_PyCodeArray, entries);
#endif
    OFF(PyCodeObject, co_code_adaptive);
    MACX(CO_OPTIMIZED); MACX(CO_NEWLOCALS); MACX(CO_VARARGS); MACX(CO_VARKEYWORDS);
    MACX(CO_NESTED); MACX(CO_GENERATOR); MACX(CO_COROUTINE); MACX(CO_ASYNC_GENERATOR);
    MAC(PY_CODE_LOCATION_INFO_SHORT0); MAC(PY_CODE_LOCATION_INFO_ONE_LINE0);
    MAC(PY_CODE_LOCATION_INFO_ONE_LINE1); MAC(PY_CODE_LOCATION_INFO_ONE_LINE2);
    MAC(PY_CODE_LOCATION_INFO_NO_COLUMNS); MAC(PY_CODE_LOCATION_INFO_LONG);
    MAC(PY_CODE_LOCATION_INFO_NONE);

    /* ---- (g) bytes / unicode ---- */
    SZ(PyBytesObject);
    OFF(PyBytesObject, ob_base.ob_size);
    OFF(PyBytesObject, ob_shash);
    OFF(PyBytesObject, ob_sval);
    SZ(PyASCIIObject);
    SZ(PyCompactUnicodeObject);
    SZ(PyUnicodeObject);
    OFF(PyASCIIObject, length);
    OFF(PyASCIIObject, hash);
    OFF(PyASCIIObject, state);
    PR("sizeof(PyASCIIObject.state)", sizeof(((PyASCIIObject *)0)->state));
    OFF(PyCompactUnicodeObject, utf8_length);
    OFF(PyCompactUnicodeObject, utf8);
    OFF(PyUnicodeObject, data.any);
    {
#define STATEBIT(f) do { PyASCIIObject a; uint32_t w = 0; memset(&a, 0, sizeof a); \
            a.state.f = ~0u; memcpy(&w, &a.state, sizeof w); \
            PRX("unicode.state." #f ".mask", w); } while (0)
        STATEBIT(interned); STATEBIT(kind); STATEBIT(compact);
        STATEBIT(ascii); STATEBIT(statically_allocated);
#undef STATEBIT
    }

    /* ---- (h) objects ---- */
    SZ(PyObject);
#ifdef Py_GIL_DISABLED
    OFF(PyObject, ob_tid);
#if PY_VERSION_HEX >= 0x030E0000
    OFF(PyObject, ob_flags);
#else
    OFF(PyObject, _padding);
#endif
    OFF(PyObject, ob_mutex);
    OFF(PyObject, ob_gc_bits);
    OFF(PyObject, ob_ref_local);
    OFF(PyObject, ob_ref_shared);
#else
    OFF(PyObject, ob_refcnt);
#endif
    OFF(PyObject, ob_type);
    SZ(PyVarObject);
    OFF(PyVarObject, ob_size);
    SZ(PyGC_Head);
    SZ(PyTypeObject);
    OFF(PyTypeObject, tp_name);
    OFF(PyTypeObject, tp_basicsize);
    OFF(PyTypeObject, tp_itemsize);
    OFF(PyTypeObject, tp_repr);
    OFF(PyTypeObject, tp_flags);
    OFF(PyTypeObject, tp_dictoffset);
    OFF(PyTypeObject, tp_mro);
    SZ(PyHeapTypeObject);
    OFF(PyHeapTypeObject, ht_name);
    OFF(PyHeapTypeObject, ht_qualname);
    OFF(PyHeapTypeObject, ht_cached_keys);
    MACX(Py_TPFLAGS_INLINE_VALUES);
    MACX(Py_TPFLAGS_MANAGED_WEAKREF);
    MACX(Py_TPFLAGS_MANAGED_DICT);
    MACX(Py_TPFLAGS_PREHEADER);
    MACX(Py_TPFLAGS_HEAPTYPE);
    MACX(Py_TPFLAGS_LONG_SUBCLASS);
    MACX(Py_TPFLAGS_UNICODE_SUBCLASS);
    MACX(Py_TPFLAGS_DICT_SUBCLASS);
    MAC(MANAGED_DICT_OFFSET);
    MAC(MANAGED_WEAKREF_OFFSET);
    SZ(PyManagedDictPointer);
    SZ(PyModuleObject);
    OFF(PyModuleObject, md_dict);
    OFF(PyModuleObject, md_name);
    SZ(PyDictObject);
    OFF(PyDictObject, ma_used);
    OFF(PyDictObject, ma_keys);
    OFF(PyDictObject, ma_values);
    SZ(PyDictKeysObject);
    OFF(PyDictKeysObject, dk_refcnt);
    OFF(PyDictKeysObject, dk_log2_size);
    OFF(PyDictKeysObject, dk_log2_index_bytes);
    OFF(PyDictKeysObject, dk_kind);
#ifdef Py_GIL_DISABLED
    OFF(PyDictKeysObject, dk_mutex);
#endif
    OFF(PyDictKeysObject, dk_version);
    OFF(PyDictKeysObject, dk_usable);
    OFF(PyDictKeysObject, dk_nentries);
    OFF(PyDictKeysObject, dk_indices);
    MAC(DICT_KEYS_GENERAL); MAC(DICT_KEYS_UNICODE); MAC(DICT_KEYS_SPLIT);
    SZ(PyDictKeyEntry);
    OFF(PyDictKeyEntry, me_hash);
    OFF(PyDictKeyEntry, me_key);
    OFF(PyDictKeyEntry, me_value);
    SZ(PyDictUnicodeEntry);
    OFF(PyDictUnicodeEntry, me_key);
    OFF(PyDictUnicodeEntry, me_value);
    SZ(PyDictValues);
    OFF(PyDictValues, capacity);
    OFF(PyDictValues, size);
    OFF(PyDictValues, embedded);
    OFF(PyDictValues, valid);
    OFF(PyDictValues, values);
    SZ(PyLongObject);
    OFF(PyLongObject, long_value.lv_tag);
    OFF(PyLongObject, long_value.ob_digit);
    MAC(PyLong_SHIFT);
    SZ(digit);
    MAC(_PyLong_NON_SIZE_BITS);
    MAC(_PyLong_SIGN_MASK);
    MAC(SIGN_ZERO);
    MAC(SIGN_NEGATIVE);
#ifdef IMMORTALITY_BIT_MASK
    MACX(IMMORTALITY_BIT_MASK);
#endif
    SZ(PyTupleObject);
    OFF(PyTupleObject, ob_item);
    SZ(PyListObject);
    OFF(PyListObject, ob_item);
    SZ(PyFloatObject);
    OFF(PyFloatObject, ob_fval);
    return 0;
}
