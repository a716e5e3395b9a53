/* The exported entry point of an ABI plugin.  Compiled into every
 * pyflame-abi-*.so together with that version's layout table, so the only
 * thing that differs between plugins is the data in abi-plugins/layouts. */
#include <stdio.h>

#include <pyflame/abi.h>

#include "layout.h"
#include "walker.h"

extern const struct py_layout py_layout;

static void *open_plugin(const pyflame_host *host, int *status, char *err,
                         size_t errlen)
{
    return walker_open(&py_layout, host, status, err, errlen);
}

#define STR2(x) #x
#define STR(x) STR2(x)

/* The oldest API with every field set here: API 3 changed output plugins
 * only, so a pyflame of API 2 loads these too. */
#define ABI_PLUGIN_API_VERSION 2

__attribute__((visibility("default")))
const pyflame_abi_plugin pyflame_abi_entry = {
    .api_version = ABI_PLUGIN_API_VERSION,
    .name = STR(PY_ABI_NAME),
    .description = "CPython " STR(PY_MAJOR) "." STR(PY_MINOR),
    .py_major = PY_MAJOR,
    .py_minor = PY_MINOR,
    .open = open_plugin,
    .sample = walker_sample,
    .close = walker_close,
    .features = PYFLAME_ABI_DETECTS_TORN | PYFLAME_ABI_PROBES_GIL_HOLDER |
                PYFLAME_ABI_PROBE_TELLS_FREE_GIL,
};
