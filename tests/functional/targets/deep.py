"""Recurses DEPTH frames deep, then stays busy at the bottom."""
import sys
import time

DEPTH = 300


def bottom(seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline: pass  # HOT


def recurse(n, seconds):
    if n == 1:
        return bottom(seconds)  # BOTTOM CALL
    return recurse(n - 1, seconds)  # RECURSE CALL


def main(seconds):
    sys.setrecursionlimit(DEPTH + 100)
    print("ready", flush=True)
    recurse(DEPTH, seconds)  # CALL


main(float(sys.argv[1]))
