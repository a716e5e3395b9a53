"""Busy in three() three times as long as in one(), alternating quickly."""
import sys
import time

clock = getattr(time, "monotonic", time.time)


def spin(seconds):
    deadline = clock() + seconds
    while clock() < deadline:
        pass


def three():
    spin(0.003)


def one():
    spin(0.001)


def main(seconds):
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    deadline = clock() + seconds
    while clock() < deadline:
        three()
        one()


main(float(sys.argv[1]))
