"""A stack of exactly DEPTH Python frames: <module>, then down() called
DEPTH - 1 deep, busy at the bottom for SECONDS."""
import sys
import time

clock = getattr(time, "monotonic", time.time)

DEPTH = int(sys.argv[1])
SECONDS = float(sys.argv[2])


def down(n):
    if n > 1:
        return down(n - 1)  # CALL
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    deadline = clock() + SECONDS
    while clock() < deadline: pass  # HOT


sys.setrecursionlimit(DEPTH + 100)
down(DEPTH - 1)  # FIRST CALL
