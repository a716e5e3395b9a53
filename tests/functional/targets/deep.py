"""Recurses DEPTH frames deep, then stays busy at the bottom."""
import sys
import time

clock = getattr(time, "monotonic", time.time)

DEPTH = 300


def bottom(seconds):
    deadline = clock() + seconds
    while clock() < deadline: pass  # HOT


def recurse(n, seconds):
    if n == 1:
        return bottom(seconds)  # BOTTOM CALL
    return recurse(n - 1, seconds)  # RECURSE CALL


def main(seconds):
    sys.setrecursionlimit(DEPTH + 100)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    recurse(DEPTH, seconds)  # CALL


main(float(sys.argv[1]))
