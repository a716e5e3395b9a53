"""Spends its time on one known line of hot_leaf, called from a known line."""
import sys
import time


def hot_leaf(seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline: pass  # HOT


def main(seconds):
    print("ready", flush=True)
    hot_leaf(seconds)  # CALL


main(float(sys.argv[1]))
