/* The exported entry point of an ABI plugin.  Compiled into every
 * pyflame-abi-*.so together with that version's layout table, so the only
 * thing that differs between plugins is the data in abi-plugins/layouts.
 * PY_ABI_NAME, PY_MAJOR, PY_MINOR and PY_BUILD come from
 * abi-plugins/CMakeLists.txt. */
#include "abi_entry.h"

PYFLAME_ABI_PLUGIN_BUILD(PY_ABI_NAME, PY_MAJOR, PY_MINOR, PY_BUILD)
