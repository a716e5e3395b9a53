# -*- coding: utf-8 -*-
"""For 2.7, whose identifiers are ASCII only: the non-ASCII is in the file
name the test gives this script, and the function names are plain."""
import sys
import time

clock = getattr(time, "monotonic", time.time)


def cafe(seconds):
    deadline = clock() + seconds
    while clock() < deadline: pass  # HOT


def nihongo(seconds):
    cafe(seconds)


def kind4(seconds):
    nihongo(seconds)


sys.stdout.write("ready\n")
sys.stdout.flush()
kind4(float(sys.argv[1]))
