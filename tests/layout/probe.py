"""Measures, in the running interpreter, what a layout table holds that the
installed headers do not say, or say only through a mirror of a private
structure (cpython_truth.h): run by layout_check.c with the interpreter of
the release it checks (2.7 to 3.13), and by gen_walker_corpus.py.

    python probe.py [MA_KEYS MA_VALUES]

prints "field value" lines:

  threading.name_attr  the attribute of a threading.Thread holding its name
  module.dict          where a module object points to its __dict__
  dict_keys.*          (3.6-3.10, given PyDictObject's ma_keys and ma_values
                       offsets from the headers) where a small dict's keys
                       object holds its size, count and index table, and
                       where a split dict's values start
  published.table      (3.13+, given the size of _Py_DebugOffsets from the
                       headers) the bytes of the table at the start of
                       this process's _PyRuntime, in hex

Objects are read with ctypes.string_at(id(obj), ...): the address of an
object is its id() in CPython.
"""
import ctypes
import struct
import sys
import threading
import types

WORD = ctypes.sizeof(ctypes.c_void_p)


def words(addr, n):
    return struct.unpack("<%dQ" % n, ctypes.string_at(addr, n * WORD))


def word_offset(addr, n, value, what):
    """The one offset among the first n words at addr that holds value."""
    hits = [i * WORD for i, w in enumerate(words(addr, n)) if w == value]
    if len(hits) != 1:
        sys.exit("probe: %s found at %r, not once" % (what, hits))
    return hits[0]


def name_attr():
    name = "probe-thread-name"
    t = threading.Thread(name=name)
    attrs = [k for k, v in vars(t).items() if v == name]
    if len(attrs) != 1:
        sys.exit("probe: the name is in %r, not one attribute" % attrs)
    return attrs[0]


def module_dict():
    m = types.ModuleType("probe")
    return word_offset(id(m), type(m).__basicsize__ // WORD, id(m.__dict__), "md_dict")


class Split(object):
    pass


def dict_keys(ma_keys, ma_values):
    """3.6-3.10: three int keys 0, 1, 2 hash to slots 0, 1, 2 of a table of
    eight, so the index table is 00 01 02 ff ff ff ff ff."""
    values = [object() for _ in range(3)]
    d = {}
    for i, v in enumerate(values):
        d[i] = v
    keys = words(id(d) + ma_keys, 1)[0]
    out = {"dict_keys.size": word_offset(keys, 5, 8, "dk_size"),
           "dict_keys.nentries": word_offset(keys, 5, 3, "dk_nentries")}
    raw = ctypes.string_at(keys, 16 * WORD)
    indices = raw.find(b"\x00\x01\x02\xff\xff\xff\xff\xff")
    if indices < 0:
        sys.exit("probe: no index table in the keys object")
    # The entries (hash, key, value) follow the 8 one-byte indices.
    entry = struct.unpack("<3Q", raw[indices + 8:indices + 8 + 3 * WORD])
    if entry != (0, id(0), id(values[0])):
        sys.exit("probe: the first entry is not where the index table ends")
    out["dict_keys.indices"] = indices
    # Two instances of one class share their keys: the second's dict is
    # split, its values apart.
    a, b = Split(), Split()
    a.x, b.x = values[1], values[2]
    split_values = words(id(b.__dict__) + ma_values, 1)[0]
    out["dict_keys.values_data"] = word_offset(split_values, 1, id(values[2]),
                                               "the split value")
    return out


def main():
    print("threading.name_attr %s" % name_attr())
    print("module.dict %d" % module_dict())
    if len(sys.argv) >= 3 and (3, 6) <= sys.version_info[:2] <= (3, 10):
        for field, value in sorted(dict_keys(int(sys.argv[1]), int(sys.argv[2])).items()):
            print("%s %d" % (field, value))
    if len(sys.argv) == 4 and sys.version_info[:2] >= (3, 13):
        runtime = ctypes.addressof(ctypes.c_char.in_dll(ctypes.pythonapi, "_PyRuntime"))
        table = ctypes.string_at(runtime, int(sys.argv[3]))
        print("published.table %s" % "".join("%02x" % c for c in table))


if __name__ == "__main__":
    main()
