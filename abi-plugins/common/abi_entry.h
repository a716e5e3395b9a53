/* The entry point of an ABI plugin, made from its layout table.
 *
 * A plugin is a layout table (a `const struct py_layout py_layout`, see
 * layout.h) and, in one source file, PYFLAME_ABI_PLUGIN(NAME, MAJOR, MINOR),
 * linked with the walker (libpyflame-abi.a, pkg-config pyflame-abi):
 *
 *     #include "abi_entry.h"
 *     PYFLAME_ABI_PLUGIN(314, 3, 14)
 *
 * makes pyflame-abi-314.so's pyflame_abi_entry, which reads CPython 3.14
 * with the table; PYFLAME_ABI_PLUGIN_BUILD(314t, 3, 14, PYFLAME_PY_FREE_THREADED, "")
 * one for the free-threaded build.  Every plugin in pyflame's tree is made
 * this way. */
#ifndef PYFLAME_ABI_ENTRY_H
#define PYFLAME_ABI_ENTRY_H

#include <pyflame/abi.h>

#include "layout.h"
#include "walker.h"

/* The oldest plugin API with every field the walker's plugins set: API 3
 * and 4 changed output plugins only, so a pyflame of API 2 loads these;
 * one of another build than the default needs API 5, whose pyflame tells
 * builds apart. */
#define PYFLAME_ABI_PLUGIN_API_VERSION 2
#define PYFLAME_ABI_PLUGIN_API_VERSION_BUILD 5

#define PYFLAME_ABI_STR2_(x) #x
#define PYFLAME_ABI_STR_(x) PYFLAME_ABI_STR2_(x)

#define PYFLAME_ABI_PLUGIN(NAME, MAJOR, MINOR) PYFLAME_ABI_PLUGIN_BUILD(NAME, MAJOR, MINOR, 0, "")

/* NOTE, a string literal, ends the description (--list-plugins). */
#define PYFLAME_ABI_PLUGIN_BUILD(NAME, MAJOR, MINOR, BUILD, NOTE)                           \
    extern const struct py_layout py_layout;                                               \
    static void *pyflame_abi_open_(const pyflame_host *host, int *status, char *err,       \
                                   size_t errlen)                                          \
    {                                                                                      \
        return pyflame_walker_open(&py_layout, host, status, err, errlen);                 \
    }                                                                                      \
    const pyflame_abi_plugin pyflame_abi_entry = {                                         \
        .api_version = (BUILD) ? PYFLAME_ABI_PLUGIN_API_VERSION_BUILD                      \
                               : PYFLAME_ABI_PLUGIN_API_VERSION,                           \
        .name = PYFLAME_ABI_STR_(NAME),                                                    \
        .description = (BUILD) & PYFLAME_PY_FREE_THREADED                                 \
                           ? "CPython " PYFLAME_ABI_STR_(MAJOR) "." PYFLAME_ABI_STR_(MINOR)  \
                                 " free-threaded" NOTE                                     \
                           : "CPython " PYFLAME_ABI_STR_(MAJOR) "." PYFLAME_ABI_STR_(MINOR)  \
                                 NOTE,                                                     \
        .py_major = MAJOR,                                                                 \
        .py_minor = MINOR,                                                                 \
        .open = pyflame_abi_open_,                                                         \
        .sample = pyflame_walker_sample,                                                   \
        .close = pyflame_walker_close,                                                     \
        .features = PYFLAME_ABI_DETECTS_TORN | PYFLAME_ABI_PROBES_GIL_HOLDER |              \
                    PYFLAME_ABI_PROBE_TELLS_FREE_GIL,                                      \
        .py_build = (BUILD),                                                               \
    };

#endif
