#!/usr/bin/python3
"""Writes the seed corpus of fuzz_walker: for each CPython release, a few
fake targets that the walker reads as a live interpreter (runtime,
interpreter, thread states, frames, code objects with str names and a line
table, and threading._active for thread names), so that fuzzing starts
from inputs that reach deep code.

    gen_walker_corpus.py OUT_DIR [PYTHON_ROOT]

writes OUT_DIR/fuzz_walker_<abi>/seed-<variant> for every CPython with
headers and interpreter under PYTHON_ROOT (default: $PYFLAME_PYTHON_ROOT,
else the tests' default, /root/.pyenv/versions).
The targets are laid out as the release itself lays out its structures:
offsets from its headers, compiled into tests/layout/print_truth.c, and
the thread-name attribute from its interpreter (tests/layout/probe.py),
never from the layout tables under test (abi-plugins/layouts/), so that a
wrong table shows as seeds its fuzzer cannot read.  The input format and
the fake address space are those of fuzz_walker.c and fake_target.c: keep
them in step.
"""
import os
import re
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
# Run as a script, this sees only its own directory; where the tests'
# interpreters are is told by a package beside it (tests/testlib).
sys.path.insert(0, os.path.join(HERE, ".."))
from testlib.interpreters import python_root  # noqa: E402

LAYOUT_TESTS = os.path.join(HERE, "..", "layout")
ABI_COMMON = os.path.join(HERE, "..", "..", "abi-plugins", "common")
BASE = 0x10000000
RUNTIME = 0x100
# fake_target.c's symbol table, in the same order (bit i hides symbol i).
SYMBOLS = [("Py_Version", 0x00), ("_PyThreadState_Current", 0x08),
           ("interp_head", 0x10), ("PyCode_Type", 0x18),
           ("PyUnicode_Type", 0x20), ("PyString_Type", 0x28),
           ("PyBytes_Type", 0x30), ("PyDict_Type", 0x38),
           ("PyLong_Type", 0x40), ("PyInt_Type", 0x48),
           ("_PyRuntime", RUNTIME)]
SYMBOL_AT = dict(SYMBOLS)
ALL_THREADS, THREAD_NAMES, NONBLOCKING, GIL_HOLDER_ONLY = 1, 2, 4, 8
OB_REFCNT, OB_TYPE, OB_SIZE = 0, 8, 16


def cpython_installs(root):
    """(abi, include dir, interpreter) of every CPython under root (pyenv
    layout: root/X.Y.Z/include/pythonX.Y[m], root/X.Y.Z/bin/pythonX.Y)."""
    found = {}
    for version in sorted(os.listdir(root)):
        m = re.match(r"(\d+)\.(\d+)\.\d+$", version)
        if not m:
            continue
        xy = "%s.%s" % m.groups()
        python = os.path.join(root, version, "bin", "python" + xy)
        for inc in ("python" + xy, "python" + xy + "m"):
            include = os.path.join(root, version, "include", inc)
            if os.path.exists(os.path.join(include, "Python.h")) and os.path.exists(python):
                found[m.group(1) + m.group(2)] = (include, python)
                break
    return found


def cpython_layout(include, python, work):
    """The offsets, symbols and formats of one CPython release as nested
    dicts keyed like layout.h's struct py_layout: from its headers
    (tests/layout/print_truth.c compiled against them) and, for the
    thread-name attribute, from its interpreter (tests/layout/probe.py)."""
    exe = os.path.join(work, "print_truth")
    subprocess.check_call([os.environ.get("CC", "cc"), "-std=c11", "-isystem", include,
                           "-I", LAYOUT_TESTS, "-I", ABI_COMMON,
                           os.path.join(LAYOUT_TESTS, "print_truth.c"), "-o", exe])
    lines = subprocess.check_output([exe]).decode()
    # 3.13+: the table the release publishes at the start of _PyRuntime,
    # as its interpreter holds it, which the walker follows.
    published = re.search(r"^published\.size (\d+)$", lines, re.M)
    args = ["0", "0", published.group(1)] if published and published.group(1) != "0" else []
    lines += subprocess.check_output([python, os.path.join(LAYOUT_TESTS, "probe.py")] +
                                     args).decode()
    top = {}
    for line in lines.splitlines():
        field, raw = line.split(" ", 1)
        if raw == "(none)":
            value = None
        elif re.match(r"-?\d+$", raw):
            value = int(raw)
        else:
            value = raw  # a name: symbol, attribute or enum constant
        *blocks, name = field.split(".")
        d = top
        for b in blocks:
            d = d.setdefault(b, {})
        d[name] = value
    return top


class Image:
    """The memory image: first-fit allocation, objects only claiming the
    bytes the walker reads of them so that others fit in between."""

    def __init__(self):
        self.mem = bytearray(RUNTIME)
        self.used = bytearray(b"\1" * RUNTIME)  # the small symbols

    def _grow(self, end):
        if end > len(self.mem):
            self.mem.extend(bytes(end - len(self.mem)))
            self.used.extend(bytes(end - len(self.used)))

    def _free(self, off, n):
        return off >= 0 and all(off + i >= len(self.used) or not self.used[off + i]
                                for i in range(n))

    def claim(self, off, n):
        assert self._free(off, n), hex(off)
        self._grow(off + n)
        for i in range(n):
            self.used[off + i] = 1

    def alloc(self, size, fields=None, align=8):
        """Address of a new object of `size` bytes; `fields`, (offset,
        width) pairs, are the only bytes it claims (offsets may be
        negative: CPython's pre-header)."""
        fields = fields or [(0, size)]
        low = -min(0, min(o for o, _ in fields))
        off = RUNTIME + low
        while not all(self._free(off + o, w) for o, w in fields):
            off += align
        for o, w in fields:
            self.claim(off + o, w)
        self._grow(off + size)
        return BASE + off

    def put(self, addr, data):
        off = addr - BASE
        self._grow(off + len(data))
        self.mem[off:off + len(data)] = data

    def u8(self, addr, v):
        self.put(addr, struct.pack("<B", v))

    def i32(self, addr, v):
        self.put(addr, struct.pack("<i", v))

    def u64(self, addr, v):
        self.put(addr, struct.pack("<Q", v & (2**64 - 1)))


def varint(v):
    out = bytearray()
    while v >= 64:
        out.append(64 | (v & 63))
        v >>= 6
    out.append(v)
    return bytes(out)


def svarint(v):
    return varint((-v << 1) | 1 if v < 0 else v << 1)


class Target:
    """One fake target for layout L, built object by object."""

    def __init__(self, L):
        self.L = L
        self.img = Image()
        self.unicode = L["string_model"] == "PY_STRINGS_UNICODE"
        v = (L["major"] << 24) | (L["minor"] << 16) | (4 << 8) | 0xF0
        self.img.put(BASE + SYMBOL_AT["Py_Version"], struct.pack("<I", v))
        # _PyRuntime's fields, before any object can take their place.
        rt, g = L["runtime"], L["gil"]
        if L["symbols"]["runtime"]:
            fields = [(rt["initialized"], 4), (rt["interp_head"], 8)]
            if L["published"]["size"]:  # the cookie begins it
                fields.append((0, L["published"]["size"]))
            elif rt["debug_cookie"] >= 0:
                fields.append((rt["debug_cookie"], 8))
            if rt["gil"] >= 0:
                fields += [(rt["gil"] + g["locked"], 4), (rt["gil"] + g["last_holder"], 8)]
            for o, w in fields:
                self.img.claim(RUNTIME + o, w)

    def type_of(self, key):
        return BASE + SYMBOL_AT[self.L["symbols"][key]]

    # ---- strings and bytes ----
    def bytes_obj(self, data, type_key="bytes_type"):
        b = self.L["bytes"]
        a = self.img.alloc(b["data"] + len(data) + 1)
        self.img.u64(a + OB_TYPE, self.type_of(type_key))
        self.img.u64(a + b["size"], len(data))
        self.img.put(a + b["data"], data + b"\0")
        return a

    def text(self, s, form="ascii"):
        """A str (2.7: bytes as UTF-8).  form: ascii (compact ASCII),
        compact (kind from the widest character) or legacy (data apart)."""
        if not self.unicode:
            return self.bytes_obj(s.encode(), "str_type")
        u = self.L["unicode"]
        widest = max((ord(c) for c in s), default=0)
        if form == "ascii":
            assert widest < 128
            kind, data_off = 1, u["ascii_data"]
        else:
            kind = 1 if widest < 256 else 2 if widest < 65536 else 4
            data_off = u["compact_data"]
        raw = b"".join(ord(c).to_bytes(kind, "little") for c in s) + bytes(kind)
        state = kind << 2 | (1 << 5 if form != "legacy" else 0) | (
            1 << 6 if form == "ascii" else 0)
        size = data_off + (len(raw) if form != "legacy" else 8)
        a = self.img.alloc(size)
        self.img.u64(a + OB_TYPE, self.type_of("str_type"))
        self.img.u64(a + u["length"], len(s))
        self.img.i32(a + u["state"], state)
        if form == "legacy":
            data = self.img.alloc(len(raw))
            self.img.put(data, raw)
            self.img.u64(a + u["data_ptr"], data)
        else:
            self.img.put(a + data_off, raw)
        return a

    # ---- code ----
    def line_table(self, first, ranges):
        """The table of ranges: (bytes, line or None) from offset 0."""
        fmt, out, line = self.L["line_format"], bytearray(), first
        if fmt in ("PY_LINES_LNOTAB", "PY_LINES_LNOTAB_UNSIGNED"):
            # (address increment, line increment): the increment of a range
            # comes with the length of the one before.
            before = 0
            for length, target in ranges:
                target = line if target is None else target
                out += bytes([before, (target - line) & 255])
                line, before = target, length
            return bytes(out)
        if fmt == "PY_LINES_310":
            for length, target in ranges:
                if target is None:
                    out += bytes([length, 128])
                else:
                    out += bytes([length, (target - line) & 255])
                    line = target
            return bytes(out)
        # 3.11+ locations, every form of entry: a range's first entry sets
        # its line, short-form entries cover the rest of its code units.
        for i, (length, target) in enumerate(ranges):
            units, first_entry = length // 2, True
            while units:
                n = min(units, 8)
                units -= n
                if target is None:
                    out.append(0x80 | 15 << 3 | (n - 1))
                elif not first_entry:
                    out += bytes([0x80 | (i % 10) << 3 | (n - 1), 0x23])
                else:
                    delta, line = target - line, target
                    if i % 3 == 0:
                        out.append(0x80 | 14 << 3 | (n - 1))
                        out += svarint(delta) + varint(0) + varint(5) + varint(17)
                    elif 0 <= delta <= 2:
                        out += bytes([0x80 | (10 + delta) << 3 | (n - 1), 4, 12])
                    else:
                        out.append(0x80 | 13 << 3 | (n - 1))
                        out += svarint(delta)
                first_entry = False
        return bytes(out)

    def code(self, filename, name, first, ranges, forms=("ascii", "ascii")):
        c = self.L["code"]
        a = self.img.alloc(c["size"])
        self.img.u64(a + OB_TYPE, self.type_of("code_type"))
        if c["code"] >= 0:  # 3.11+: counts its code units
            self.img.u64(a + OB_SIZE, sum(n for n, _ in ranges) // 2)
        self.img.u64(a + c["filename"], self.text(filename, forms[0]))
        self.img.u64(a + c["name"], self.text(name, forms[1]))
        self.img.i32(a + c["firstlineno"], first)
        table = self.line_table(first, ranges)
        self.img.u64(a + c["linetable"], self.bytes_obj(table))
        return a

    # ---- frames: (code, byte offset) from the leaf ----
    def frames(self, specs, cycle=False, shim=False):
        L = self.L
        objects = L["frame_model"] == "PY_FRAMES_OBJECTS"
        f = L["frame"] if objects else L["iframe"]
        addrs = [self.img.alloc(f["size"]) for _ in specs]
        for i, (code, offset) in enumerate(specs):
            a = addrs[i]
            prev = addrs[i + 1] if i + 1 < len(specs) else (addrs[0] if cycle else 0)
            if objects:
                self.img.u64(a + OB_REFCNT, 1)  # in use: a free frame ends no stack
                self.img.u64(a + f["back"], prev)
                self.img.u64(a + f["code"], code)
                self.img.i32(a + f["lasti"], -1 if offset < 0 else offset // f["lasti_unit"])
            else:
                self.img.u64(a + f["previous"], prev)
                self.img.u64(a + f["code"], code)
                self.img.u64(a + f["instr"], code + L["code"]["code"] + offset)
        if shim and not objects and f["owner_not_python"] >= 0:
            # A C-stack shim frame (3.12+) under the leaf: skipped.
            s = self.img.alloc(f["size"])
            self.img.u64(s + f["previous"], addrs[1] if len(addrs) > 1 else 0)
            self.img.u8(s + f["owner"], f["owner_not_python"])
            self.img.u64(addrs[0] + f["previous"], s)
        return addrs[0] if addrs else 0

    # ---- plain objects for threading._active ----
    def integer(self, v):
        p = self.L["pylong"]
        if p["int_value"] >= 0:
            a = self.img.alloc(p["int_value"] + 8)
            self.img.u64(a + OB_TYPE, self.type_of("int_type"))
            self.img.u64(a + p["int_value"], v)
            return a
        digits = []
        while v:
            digits.append(v & 0x3FFFFFFF)
            v >>= 30
        a = self.img.alloc(p["digits"] + 4 * max(1, len(digits)))
        self.img.u64(a + OB_TYPE, self.type_of("long_type"))
        if p["tag"] >= 0:
            self.img.u64(a + p["tag"], len(digits) << 3)
        else:
            self.img.u64(a + p["size"], len(digits))
        for i, d in enumerate(digits):
            self.img.put(a + p["digits"] + 4 * i, struct.pack("<I", d))
        return a

    def keys_obj(self, keys, unicode_keys=False):
        """A 3.x keys object holding `keys` (entries without values when
        the values live apart); returns it and its entries' address."""
        k = self.L["dict_keys"]
        nidx = 8
        stride = 16 if unicode_keys else 24
        entries = k["indices"] + nidx
        a = self.img.alloc(entries + stride * len(keys))
        if k["size"] >= 0:
            self.img.u64(a + k["size"], nidx)
        else:
            self.img.u8(a + k["log2_index_bytes"], 3)
            self.img.u8(a + k["kind"], 1 if unicode_keys else 0)
        self.img.u64(a + k["nentries"], len(keys))
        self.img.put(a + k["indices"], bytes(range(len(keys))) + b"\xff" * (nidx - len(keys)))
        return a, a + entries, stride

    def dict_obj(self, items):
        """A dict of (key address, value address) pairs."""
        d = self.L["dict"]
        a = self.img.alloc(max(d["mask"], d["table"], d["keys"], d["values"]) + 8)
        self.img.u64(a + OB_TYPE, self.type_of("dict_type"))
        if d["table"] >= 0:  # 2.7: 8 slots, the last ones empty
            table = self.img.alloc(8 * 24)
            for i, (key, value) in enumerate(items):
                self.img.put(table + 24 * i, struct.pack("<qQQ", 1000 + i, key, value))
            self.img.u64(a + d["mask"], 7)
            self.img.u64(a + d["table"], table)
            return a
        keys, entries, stride = self.keys_obj([k for k, _ in items])
        for i, (key, value) in enumerate(items):
            self.img.put(entries + stride * i, struct.pack("<qQQ", 1000 + i, key, value))
        self.img.u64(a + d["keys"], keys)
        return a

    def str_dict(self, pairs):
        return self.dict_obj([(self.text(k), v) for k, v in pairs])

    def thread_obj(self, name_str, split):
        """A threading.Thread whose name attribute is `name_str`; `split`
        keeps the attributes in a values array (3.11+) not a dict."""
        L, t, m = self.L, self.L["type"], self.L["managed"]
        typ = self.img.alloc(max(t.values()) + 8, fields=[(o, 8) for o in t.values() if o >= 0])
        self.img.u64(typ + t["basicsize"], 32)
        attr = L["threading"]["name_attr"]
        attrs = [("_ident", name_str), (attr, name_str)]
        if not m["flag"]:
            obj = self.img.alloc(24)
            self.img.u64(typ + t["dictoffset"], 16)
            self.img.u64(obj + 16, self.str_dict(attrs))
        else:
            flags = m["flag"] | (m["inline_flag"] if split else 0)
            self.img.u64(typ + t["flags"], flags)
            lo = min(m["dict"], m["values"])
            obj = self.img.alloc(32 + 48, fields=[(lo, 32 - lo + 48)])
            if not split:
                self.img.u64(obj + m["dict"], self.str_dict(attrs))
            else:
                keys, entries, stride = self.keys_obj(attrs, unicode_keys=True)
                for i, (k, _) in enumerate(attrs):
                    self.img.u64(entries + stride * i, self.text(k))
                self.img.u64(typ + t["cached_keys"], keys)
                vdata = L["dict_keys"]["values_data"]
                if m["inline_flag"]:  # 3.13: after the object
                    values = obj + 32
                    self.img.u8(values + m["capacity"], len(attrs))
                    self.img.u8(values + m["valid"], 1)
                elif m["tagged"]:  # 3.12: in the dict slot, minus one
                    values = self.img.alloc(vdata + 8 * len(attrs))
                    self.img.u64(obj + m["dict"], values - 1)
                else:  # 3.11: a pointer of its own
                    values = self.img.alloc(vdata + 8 * len(attrs))
                    self.img.u64(obj + m["values"], values)
                for i, (_, v) in enumerate(attrs):
                    self.img.u64(values + vdata + 8 * i, v)
        self.img.u64(obj + OB_TYPE, typ)
        return obj

    # ---- interpreters ----
    def interpreter(self, threads, names, gil_holder=None):
        """An interpreter state with its threads, (ident, tid, top frame)
        each, named by `names` (name objects, None: none) in its
        threading._active.  Returns it and its thread states.  `gil_holder`
        (index) matters for 3.12+, where each interpreter has its GIL."""
        L = self.L
        ts, it, g = L["tstate"], L["interp"], L["gil"]
        fields = [(o, 8) for o in it.values() if o >= 0]
        interp = self.img.alloc(max(it.values()) + 8, fields=fields)
        tsize = max(o for k, o in ts.items() if k != "cframe_frame") + 8
        tstates = [self.img.alloc(tsize) for _ in threads]
        for i, (ident, tid, frame) in enumerate(threads):
            a = tstates[i]
            self.img.u64(a + ts["next"], tstates[i + 1] if i + 1 < len(threads) else 0)
            self.img.u64(a + ts["interp"], interp)
            self.img.u64(a + ts["thread_id"], ident)
            if ts["native_thread_id"] >= 0:
                self.img.u64(a + ts["native_thread_id"], tid)
            if ts["cframe_frame"] >= 0 and frame:
                cframe = self.img.alloc(ts["cframe_frame"] + 8)
                self.img.u64(cframe + ts["cframe_frame"], frame)
                frame = cframe
            self.img.u64(a + ts["frame"], frame)
        self.img.u64(interp + it["threads_head"], tstates[0])
        if it["gil_ptr"] >= 0:
            gil = self.img.alloc(max(g["locked"] + 4, g["last_holder"] + 8))
            self.img.u64(interp + it["gil_ptr"], gil)
            self.gil(gil, tstates[gil_holder] if gil_holder is not None else 0)

        # sys.modules["threading"].__dict__["_active"]: ident -> Thread.
        active = self.dict_obj([(self.integer(ident), self.thread_obj(n, i % 2 == 1))
                                for i, ((ident, _, _), n) in enumerate(zip(threads, names))
                                if n])
        mod_dict = self.str_dict([("__name__", self.text("threading")), ("_active", active)])
        module = self.img.alloc(L["module"]["dict"] + 8)
        self.img.u64(module + L["module"]["dict"], mod_dict)
        sys_mod = self.img.alloc(L["module"]["dict"] + 8)
        modules = self.str_dict([("sys", sys_mod), ("threading", module)])
        self.img.u64(interp + it["modules"], modules)
        return interp, tstates

    def gil(self, addr, holder):
        g = self.L["gil"]
        self.img.i32(addr + g["locked"], 1 if holder else 0)
        self.img.u64(addr + g["last_holder"], holder)
        self.holder_at = addr + g["last_holder"]

    def runtime(self, interps, holder):
        """Links the interpreters from the runtime's anchors; `holder` is
        the thread state holding the (3.11 and older: only) GIL."""
        L, rt, it = self.L, self.L["runtime"], self.L["interp"]
        for a, b in zip(interps, interps[1:]):
            self.img.u64(a + it["next"], b)
        if L["symbols"]["tstate_current"]:
            self.img.u64(BASE + SYMBOL_AT["_PyThreadState_Current"], holder)
            self.holder_at = BASE + SYMBOL_AT["_PyThreadState_Current"]
            self.img.u64(BASE + SYMBOL_AT["interp_head"], interps[0])
            return
        runtime = BASE + RUNTIME
        self.img.i32(runtime + rt["initialized"], 1)
        self.img.u64(runtime + rt["interp_head"], interps[0])
        if L["published"]["size"]:
            self.img.put(runtime, bytes.fromhex(L["published"]["table"]))
        if rt["debug_cookie"] >= 0:
            self.img.put(runtime + rt["debug_cookie"], b"xdebugpy")
        if rt["gil"] >= 0:
            self.gil(runtime + rt["gil"], holder)


def header(flags_even, flags_odd, samples, hide=(), swap=(0, 0), tear=0):
    """fuzz_walker.c's header; the swap happens between samples, or with
    `tear` in every sample after its first `tear` reads."""
    mask = sum(1 << i for i, (name, _) in enumerate(SYMBOLS) if name in hide)
    return struct.pack("<BBHHHH", flags_even | flags_odd << 4, samples - 1, mask,
                       swap[0], swap[1], tear)


MAIN, WORKER, SUB = (0x7F5A1D000740, 4242), (0x7F5A1C3B4700, 4250), (0x7F5A1B3A3700, 4251)


def program(t):
    """Two threads' worth of code objects and frames; returns the top
    frames and the addresses of two code objects' name fields."""
    c = t.L["code"]
    main_py, lib = "/srv/app/main.py", "/usr/lib/python3/threading.py"
    work = t.code(main_py, "work", 10, [(6, 11), (4, 12), (8, 14), (6, None), (4, 15)])
    helper = t.code(main_py, "helper", 20, [(8, 21), (12, 23), (40, 30)],
                    forms=("legacy", "ascii"))
    module = t.code(main_py, "<module>", 1, [(4, 1), (10, 40), (6, 41)])
    # "run" in astral letters: 4 bytes of UTF-8 each.
    run = t.code(lib, "\U0001D52F\U0001D532\U0001D52B", 900, [(20, 901), (8, 905)],
                 forms=("ascii", "compact"))
    boot = t.code(lib, "_bootstrap_\u5de5\u4f5c", 1000, [(16, 1002), (16, 1010)],
                  forms=("compact", "compact"))
    # As CPython leaves them: every caller has started (its call is an
    # instruction); only a leaf may not have (offset -1: its first line).
    main_top = [(work, 12), (helper, 22), (module, 10)]
    worker_top = [(run, -1), (boot, 2)]
    return main_top, worker_top, (work + c["name"] - BASE, helper + c["name"] - BASE)


def build(L, variant):
    t = Target(L)
    main_top, worker_top, (name_a, name_b) = program(t)
    names = [t.text("MainThread"), t.text("Worker-\u00e9\u5de5", form="compact")]
    hide, swap, sub, tear = (), (0, 0), None, 0
    if variant == "gil":
        # The second sample --nonblocking: a steady target is never torn.
        flags, samples = (0, NONBLOCKING), 2
        threads = [(*MAIN, t.frames(main_top, shim=True)), (*WORKER, 0)]
    elif variant == "names":
        # The worker's leaf is no code object: skipped.  A subinterpreter
        # runs a thread of its own.  Odd samples --nonblocking, steady.
        flags, samples = (ALL_THREADS | THREAD_NAMES, ALL_THREADS | NONBLOCKING), 4
        not_code = t.bytes_obj(b"not code")
        threads = [(*MAIN, t.frames(main_top, shim=True)),
                   (*WORKER, t.frames([(not_code, 0)] + worker_top))]
        sub = [(*SUB, t.frames(worker_top[1:]))]
    elif variant == "swap":
        # Two code objects trade names between samples: the cache must
        # notice, not hand out stale strings.  The worker's name is cut.
        flags, samples, swap = (ALL_THREADS, ALL_THREADS | THREAD_NAMES), 5, (name_a // 8, name_b // 8)
        threads = [(*MAIN, t.frames(main_top)), (*WORKER, t.frames(worker_top))]
        names[1] = t.text("W" + "\u00e9" * 150, form="compact")
    elif variant == "hidden":
        # Without type objects nothing is type-checked; without
        # interp_head (2.7, 3.6) the GIL holder leads to the interpreter.
        # (PyInt_Type stays: without it 2.7 cannot tell idents.)
        flags, samples = (THREAD_NAMES, ALL_THREADS | THREAD_NAMES), 3
        hide = ("PyCode_Type", "PyDict_Type", "PyLong_Type", "interp_head", "Py_Version")
        threads = [(*WORKER, t.frames(worker_top)), (*MAIN, t.frames(main_top, shim=True))]
        names.reverse()
    elif variant == "probe":
        # A GIL-holder probe between full samples must leave the full
        # sample before it as it was.
        flags, samples = (ALL_THREADS | THREAD_NAMES, GIL_HOLDER_ONLY), 3
        threads = [(*MAIN, t.frames(main_top, shim=True)), (*WORKER, t.frames(worker_top))]
    elif variant == "handover":
        # Between a full sample and a probe the GIL passes from the main
        # thread to the worker (the swap below): the probe must see it.
        flags, samples = (0, GIL_HOLDER_ONLY), 2
        threads = [(*MAIN, t.frames(main_top)), (*WORKER, t.frames(worker_top))]
    elif variant.startswith("tear-"):
        # --nonblocking, and the target changes in the middle of every
        # sample, after its first N reads (the variant's number): the two
        # threads' leaves trade callers, or (below) the threads trade
        # leaves.  Read before and after, a stack is torn.
        flags, samples = (ALL_THREADS | NONBLOCKING, NONBLOCKING), 8
        what, tear = variant[5:].split("-")
        tear = int(tear)
        threads = [(*MAIN, t.frames(main_top)), (*WORKER, t.frames(worker_top))]
        f = L["frame"]["back"] if L["frame_model"] == "PY_FRAMES_OBJECTS" else L["iframe"]["previous"]
        swap = ((threads[0][2] + f - BASE) // 8, (threads[1][2] + f - BASE) // 8)
    elif variant == "cycle":
        flags, samples = (ALL_THREADS, 0), 2
        threads = [(*MAIN, t.frames(main_top, cycle=True)), (*WORKER, t.frames(worker_top))]
    if not L["symbols"]["runtime"]:
        hide += ("_PyRuntime",)  # 2.7 and 3.6 have none: its presence means newer
    holder = 1 if variant == "hidden" else 0
    interp, tstates = t.interpreter(threads, names, holder)
    interps = [interp]
    if sub:
        interps.append(t.interpreter(sub, [t.text("Sub")], 0)[0])
    t.runtime(interps, tstates[holder])
    if variant.startswith("tear-leaves"):
        swap = tuple((a + L["tstate"]["frame"] - BASE) // 8 for a in tstates)
    if variant == "handover":
        # The holder's word trades places with the main thread's next
        # field, which names the worker.
        swap = ((t.holder_at - BASE) // 8, (tstates[0] + L["tstate"]["next"] - BASE) // 8)
    return header(flags[0], flags[1], samples, hide, swap, tear) + bytes(t.img.mem)


VARIANTS = ("gil", "names", "swap", "hidden", "cycle", "probe", "handover",
            "tear-callers-3", "tear-callers-6", "tear-leaves-3", "tear-leaves-6")


def main():
    out = sys.argv[1]
    root = sys.argv[2] if len(sys.argv) > 2 else python_root()
    with tempfile.TemporaryDirectory() as work:
        for abi, (include, python) in sorted(cpython_installs(root).items()):
            L = cpython_layout(include, python, work)
            d = os.path.join(out, "fuzz_walker_" + abi)
            os.makedirs(d, exist_ok=True)
            for variant in VARIANTS:
                with open(os.path.join(d, "seed-" + variant), "wb") as f:
                    f.write(build(L, variant))
            print("%s: seeds from %s and %s" % (d, include, python))


if __name__ == "__main__":
    main()
