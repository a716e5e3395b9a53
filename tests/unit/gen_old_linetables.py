"""Writes the line tables of real code objects of CPython 2.7 to 3.10, with
the line CPython itself gives every byte offset, for test_old_linetables.

    pythonX.Y gen_old_linetables.py OUTPUT

Output: a line "format NAME" (lnotab_unsigned for 2.7, lnotab for 3.6 to
3.9, 310 for 3.10), then for every code object

    code NAME FIRSTLINENO NBYTES HEX
    lines L0 L1 ... L(NBYTES-1)

where HEX is the table and Li the line of byte offset i: the last line
start at or before it (dis.findlinestarts, the same walk as
PyCode_Addr2Line) up to 3.9, the co_lines() range holding it in 3.10 (0
for a range without a line).  Runs on 2.7 too, so no f-strings.
"""
import binascii
import dis
import sys
import types

MIN_CODE_OBJECTS = 12


def long_function(name, statements, gap):
    """Many statements (bytecode jumps over 255 bytes), a gap of blank
    lines (line jumps over 255), and loops (backward jumps from 3.8 on):
    the jumps back to the loop headers are large negative line deltas.
    gen_linetables.py uses it too, which is why it is spelled for 2.7."""
    out = ["def %s(n):" % name, "    total = 0", "    for i in range(n):"]
    out += ["        total += i * %d" % k for k in range(statements)]
    out += [""] * gap
    out += ["        total -= 1", "    while total > 0:"]
    out += ["        total -= %d" % (k + 1) for k in range(statements // 3)]
    out += ["    return total", ""]
    return "\n".join(out)


CORPUS = [
    """
import os

GLOBAL = [x * 2 for x in range(10) if x % 3]

def multiline(a,
              b,
              c=3):
    value = (a +
             b *
             c)
    call = os.path.join(
        "a",
        "b",
    )
    return value, call

def control(n):
    try:
        for i in range(n):
            if i % 2:
                continue
            elif i > 10:
                break
            else:
                pass
    except ValueError as e:
        raise
    finally:
        n = 0
    while n < 3:
        n += 1
    return [lambda: i for i in range(n)]

class K(object):
    def method(self):
        def inner():
            return self
        return inner

def gen():
    yield 1
    yield 2
""",
    long_function("big", 150, 300),
    long_function("wide", 40, 1000),
    "\n" * 1200 + "def late(x):\n    return x +\\\n        1\n",
]


def code_objects(code):
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            for inner in code_objects(const):
                yield inner


def lines_by_offset(code, nbytes):
    lines = [0] * nbytes
    if hasattr(code, "co_lines"):  # 3.10
        for start, end, line in code.co_lines():
            for offset in range(start, min(end, nbytes)):
                lines[offset] = line or 0
        return lines
    starts = list(dis.findlinestarts(code))
    for i, (start, line) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else nbytes
        for offset in range(start, min(end, nbytes)):
            lines[offset] = line
    # Before the first start, PyCode_Addr2Line answers co_firstlineno.
    first = starts[0][0] if starts else nbytes
    for offset in range(0, first):
        lines[offset] = code.co_firstlineno
    return lines


def main():
    version = sys.version_info[:2]
    if version >= (3, 11):
        sys.exit("gen_old_linetables.py is for CPython 2.7 to 3.10")
    if version >= (3, 10):
        fmt, attr = "310", "co_linetable"
    elif version >= (3, 6):
        fmt, attr = "lnotab", "co_lnotab"
    else:
        fmt, attr = "lnotab_unsigned", "co_lnotab"
    out = ["format " + fmt]
    count = 0
    for index, source in enumerate(CORPUS):
        module = compile(source, "<corpus%d>" % index, "exec")
        for code in code_objects(module):
            table = getattr(code, attr)
            nbytes = len(code.co_code)
            out.append("code %s %d %d %s" % (code.co_name, code.co_firstlineno, nbytes,
                                             binascii.hexlify(table).decode("ascii") or "-"))
            out.append("lines " + " ".join(str(l) for l in lines_by_offset(code, nbytes)))
            count += 1
    if count < MIN_CODE_OBJECTS:
        sys.exit("only %d code objects" % count)
    with open(sys.argv[1], "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
