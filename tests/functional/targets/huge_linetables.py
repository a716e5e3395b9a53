"""Hostile to pyflame's code cache: a stack of a thousand frames whose code
objects (each its own) all carry the same 1 MB line table.  The spinning
leaf is spin(); CPython itself never reads the tables while no exception,
trace or traceback asks for a line.  Needs code.replace (3.8+)."""
import sys
import time

DEPTH = 1000
TABLE = bytes(1 << 20)
LINES_ATTR = "co_linetable" if sys.version_info >= (3, 10) else "co_lnotab"


def spin(seconds):
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    end = time.time() + seconds
    while time.time() < end:
        pass


source = "".join("def f%d(s):\n    return f%d(s)\n" % (i, i + 1) for i in range(DEPTH))
source += "def f%d(s):\n    return spin(s)\n" % DEPTH
chain = {"spin": spin}
exec(source, chain)
for i in range(DEPTH + 1):
    fn = chain["f%d" % i]
    fn.__code__ = fn.__code__.replace(**{LINES_ATTR: TABLE})
sys.setrecursionlimit(DEPTH * 4)
chain["f0"](float(sys.argv[1]))
