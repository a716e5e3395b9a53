"""Functions named in every width of Python str: 1, 2 and 4 bytes a char.
Written out under a non-ASCII file name by the test."""
import sys
import time

clock = getattr(time, "monotonic", time.time)


def café(seconds):
    deadline = clock() + seconds
    while clock() < deadline: pass  # HOT


def 日本語(seconds):
    café(seconds)


def 𠀀𠀁(seconds):
    日本語(seconds)


sys.stdout.write("ready\n")
sys.stdout.flush()
𠀀𠀁(float(sys.argv[1]))
