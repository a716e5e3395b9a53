/* The exported entry point of an ABI plugin.  Compiled into every
 * pyflame-abi-*.so together with that version's layout table, so the only
 * thing that differs between plugins is the data in abi-plugins/layouts.
 * PY_ABI_NAME, PY_MAJOR, PY_MINOR, PY_BUILD and PY_FAKED come from
 * abi-plugins/CMakeLists.txt. */
#include "abi_entry.h"

/* How the release was tested: against its interpreter, or (PY_FAKED) only
 * against fake targets laid out from its headers (tests/fake). */
#if PY_FAKED
#define PY_TESTED_NOTE ", tested against a fake target only"
#else
#define PY_TESTED_NOTE ""
#endif

PYFLAME_ABI_PLUGIN_BUILD(PY_ABI_NAME, PY_MAJOR, PY_MINOR, PY_BUILD, PY_TESTED_NOTE)
