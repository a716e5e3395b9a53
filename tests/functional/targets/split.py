"""Busy in three() three times as much as in one().  Both do the same work
(a counted loop in spin()); main() picks which runs next at random, three()
with odds 3 to 1, so that the split is not a rhythm a sampler at a fixed
rate could fall into step with, and it holds however the machine slows
the target: what decides it is the target's own count, not the clock."""
import random
import sys
import time

clock = getattr(time, "monotonic", time.time)
WORK = 20000  # loop turns per call: well under a millisecond


def spin(turns):
    i = 0
    while i < turns:
        i += 1


def three():
    spin(WORK)


def one():
    spin(WORK)


def main(seconds):
    pick = random.Random(1).random
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    deadline = clock() + seconds
    while clock() < deadline:
        if pick() < 0.75:
            three()
        else:
            one()


main(float(sys.argv[1]))
