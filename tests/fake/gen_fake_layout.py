"""Writes the C header a fake CPython target is built with, from the facts
of one release (facts/ABI.txt): its _Py_DebugOffsets table word by word,
as the release's runtime holds it, and the offsets and constants the fake
lays out its objects with.

    python3 gen_fake_layout.py facts/314t.txt fake_layout.h [VERSION_HEX]

VERSION_HEX, if given, is the version the fake says it is (0x031000f0: a
3.16 laid out as the facts' release, which no plugin reads).

facts/ABI.txt is what probe_headers.c prints when compiled against that
release's headers ("name value" lines): the independent truth the fake is
made of.  Nothing here comes from pyflame's own layout tables.
"""
import sys


def load(path):
    facts = {}
    with open(path) as f:
        for line in f:
            name, _, value = line.rstrip("\n").rpartition(" ")
            facts[name] = value
    return facts


def number(value):
    value = value.strip('"')
    return int(value, 16) if value.lower().startswith(("0x", "-0x")) else int(value)


def lowest_bit(mask):
    m, bit = number(mask), 0
    while not (m >> bit) & 1:
        bit += 1
    return bit


def main():
    facts = load(sys.argv[1])
    if len(sys.argv) > 3:
        facts["PY_VERSION_HEX"] = facts["dbg.version"] = sys.argv[3]
    get = lambda name, default=None: (number(facts[name]) if name in facts else default)
    off = lambda t, m, default=None: get("offsetof(%s,%s)" % (t, m), default)
    size = lambda t: get("sizeof(%s)" % t)

    # The table, as 64-bit words: the cookie, then every value at its place.
    table_size = size("_Py_DebugOffsets")
    words = [0] * (table_size // 8)
    words[0] = int.from_bytes(b"xdebugpy", "little")
    for name, value in facts.items():
        if name.startswith("dbg.") and name.endswith("@") and name != "dbg.cookie@":
            key = name[:-1]
            if key in facts and not facts[key].startswith('"') and not key.endswith(".sizeof"):
                at = number(value)
                if at % 8 == 0 and key + ".sizeof" not in facts:
                    words[at // 8] = number(facts[key]) & (2**64 - 1)

    free_threaded = get("Py_GIL_DISABLED") == 1
    tstate_size = size("_PyThreadStateImpl") if free_threaded else size("PyThreadState")
    defines = {
        "FAKE_VERSION_HEX": get("PY_VERSION_HEX"),
        "FAKE_FREE_THREADED": int(free_threaded),
        "FAKE_RUNTIME_SIZE": size("_PyRuntimeState"),
        "FAKE_TABLE_WORDS": len(words),
        "RT_INITIALIZED": off("_PyRuntimeState", "initialized"),
        "RT_INTERP_HEAD": off("_PyRuntimeState", "interpreters.head"),
        "INTERP_SIZE": size("PyInterpreterState"),
        "INTERP_NEXT": off("PyInterpreterState", "next"),
        "INTERP_THREADS_HEAD": off("PyInterpreterState", "threads.head"),
        "INTERP_GIL_PTR": off("PyInterpreterState", "ceval.gil"),
        "INTERP_GIL": off("PyInterpreterState", "_gil"),
        "GIL_LOCKED": off("struct _gil_runtime_state", "locked"),
        "GIL_HOLDER": off("struct _gil_runtime_state", "last_holder"),
        "GIL_ENABLED": off("struct _gil_runtime_state", "enabled", -1),
        "TSTATE_SIZE": tstate_size,
        "TSTATE_NEXT": off("PyThreadState", "next"),
        "TSTATE_INTERP": off("PyThreadState", "interp"),
        "TSTATE_FRAME": off("PyThreadState", "current_frame"),
        "TSTATE_THREAD_ID": off("PyThreadState", "thread_id"),
        "TSTATE_NATIVE_ID": off("PyThreadState", "native_thread_id"),
        "TSTATE_BASE_FRAME": off("PyThreadState", "base_frame", -1),
        "FRAME_SIZE": size("_PyInterpreterFrame"),
        "FRAME_EXECUTABLE": off("_PyInterpreterFrame", "f_executable"),
        "FRAME_PREVIOUS": off("_PyInterpreterFrame", "previous"),
        "FRAME_INSTR": off("_PyInterpreterFrame", "instr_ptr"),
        "FRAME_OWNER": off("_PyInterpreterFrame", "owner"),
        "FRAME_LOCALSPLUS": off("_PyInterpreterFrame", "localsplus"),
        "FRAME_STACKPOINTER": off("_PyInterpreterFrame", "stackpointer", -1),
        "FRAME_STACKTOP": off("_PyInterpreterFrame", "stacktop", -1),
        "FRAME_TLBC_INDEX": off("_PyInterpreterFrame", "tlbc_index", -1),
        "OWNED_BY_THREAD": get("FRAME_OWNED_BY_THREAD"),
        "OWNED_BY_CSTACK": get("FRAME_OWNED_BY_CSTACK", -1),
        "OWNED_BY_INTERPRETER": get("FRAME_OWNED_BY_INTERPRETER", -1),
        # Frames hold tagged references from 3.14: the tag of a counted one.
        "REF_TAG": get("Py_TAG_REFCNT", 0) if "Py_TAG_BITS" in facts else 0,
        "OBJECT_SIZE": size("PyObject"),
        "OB_TYPE": off("PyObject", "ob_type"),
        "OB_SIZE": off("PyVarObject", "ob_size"),
        "CODE_SIZE": size("PyCodeObject"),
        "CODE_FILENAME": off("PyCodeObject", "co_filename"),
        "CODE_NAME": off("PyCodeObject", "co_name"),
        "CODE_QUALNAME": off("PyCodeObject", "co_qualname"),
        "CODE_FIRSTLINENO": off("PyCodeObject", "co_firstlineno"),
        "CODE_LINETABLE": off("PyCodeObject", "co_linetable"),
        "CODE_ADAPTIVE": off("PyCodeObject", "co_code_adaptive"),
        "CODE_TLBC": off("PyCodeObject", "co_tlbc", -1),
        "CODE_ARRAY_SIZE": off("_PyCodeArray", "size", -1),
        "CODE_ARRAY_ENTRIES": off("_PyCodeArray", "entries", -1),
        "BYTES_SIZE": size("PyBytesObject"),
        "BYTES_OB_SIZE": off("PyBytesObject", "ob_base.ob_size"),
        "BYTES_SVAL": off("PyBytesObject", "ob_sval"),
        "ASCII_SIZE": size("PyASCIIObject"),
        "ASCII_LENGTH": off("PyASCIIObject", "length"),
        "ASCII_STATE": off("PyASCIIObject", "state"),
        "STATE_KIND_SHIFT": lowest_bit(facts["unicode.state.kind.mask"]),
        "STATE_COMPACT_SHIFT": lowest_bit(facts["unicode.state.compact.mask"]),
        "STATE_ASCII_SHIFT": lowest_bit(facts["unicode.state.ascii.mask"]),
        "LOCATION_NO_COLUMNS": get("PY_CODE_LOCATION_INFO_NO_COLUMNS"),
        # What thread names are read through: sys.modules, a module's
        # dict, dicts, ints, and a heap type's instances.
        "INTERP_MODULES": off("PyInterpreterState", "imports.modules"),
        "MODULE_DICT": off("PyModuleObject", "md_dict"),
        "DICT_KEYS": off("PyDictObject", "ma_keys"),
        "DICT_VALUES": off("PyDictObject", "ma_values"),
        "KEYS_LOG2_SIZE": off("PyDictKeysObject", "dk_log2_size"),
        "KEYS_LOG2_INDEX_BYTES": off("PyDictKeysObject", "dk_log2_index_bytes"),
        "KEYS_KIND": off("PyDictKeysObject", "dk_kind"),
        "KEYS_NENTRIES": off("PyDictKeysObject", "dk_nentries"),
        "KEYS_INDICES": off("PyDictKeysObject", "dk_indices"),
        "VALUES_CAPACITY": off("PyDictValues", "capacity"),
        "VALUES_SIZE": off("PyDictValues", "size"),
        "VALUES_EMBEDDED": off("PyDictValues", "embedded"),
        "VALUES_VALID": off("PyDictValues", "valid"),
        "VALUES_VALUES": off("PyDictValues", "values"),
        "TYPE_BASICSIZE": off("PyTypeObject", "tp_basicsize"),
        "TYPE_FLAGS": off("PyTypeObject", "tp_flags"),
        "HEAPTYPE_CACHED_KEYS": off("PyHeapTypeObject", "ht_cached_keys"),
        "TPFLAGS_MANAGED_DICT": get("Py_TPFLAGS_MANAGED_DICT"),
        "TPFLAGS_INLINE_VALUES": get("Py_TPFLAGS_INLINE_VALUES"),
        "MANAGED_DICT_OFFSET": get("MANAGED_DICT_OFFSET"),
        "LONG_TAG": off("PyLongObject", "long_value.lv_tag"),
        "LONG_DIGITS": off("PyLongObject", "long_value.ob_digit"),
    }
    missing = [k for k, v in defines.items() if v is None]
    if missing:
        sys.exit("%s lacks %s" % (sys.argv[1], ", ".join(missing)))
    with open(sys.argv[2], "w") as out:
        out.write("/* Made by gen_fake_layout.py from %s (CPython %s, saying %s): "
                  "do not edit. */\n" % (sys.argv[1].rsplit("/", 1)[-1],
                                         facts["PY_VERSION"].strip('"'), facts["PY_VERSION_HEX"]))
        for k, v in defines.items():
            out.write("#define %s %d\n" % (k, v))
        out.write("#define FAKE_TABLE { \\\n")
        for i in range(0, len(words), 4):
            out.write("    %s, \\\n" % ", ".join("0x%xull" % w for w in words[i:i + 4]))
        out.write("}\n")


if __name__ == "__main__":
    main()
