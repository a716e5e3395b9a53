"""Functions named in every width of Python str: 1, 2 and 4 bytes a char.
Written out under a non-ASCII file name by the test."""
import sys
import time


def café(seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline: pass  # HOT


def 日本語(seconds):
    café(seconds)


def 𠀀𠀁(seconds):
    日本語(seconds)


print("ready", flush=True)
𠀀𠀁(float(sys.argv[1]))
