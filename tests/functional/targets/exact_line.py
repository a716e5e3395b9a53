"""Spends its time on one known line of hot_leaf, called from a known line."""
import sys
import time

clock = getattr(time, "monotonic", time.time)


def hot_leaf(seconds):
    deadline = clock() + seconds
    while clock() < deadline: pass  # HOT


def main(seconds):
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    hot_leaf(seconds)  # CALL


main(float(sys.argv[1]))
