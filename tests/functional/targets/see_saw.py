"""Climbs down and up two towers of calls, left() and right(), in turn.
Every stack it ever has is main, then left() only or right() only: a
stack that mixes the two was read while the target changed it."""
import sys
import time

clock = getattr(time, "monotonic", time.time)
DEPTH = 30


def work():
    total = 0
    for i in range(10):
        total += i
    return total


def left(n):
    work()
    if n:
        return left(n - 1)  # LEFT_CALL
    return work()


def right(n):
    work()
    if n:
        return right(n - 1)  # RIGHT_CALL
    return work()


def main(seconds):
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    deadline = clock() + seconds
    while clock() < deadline:
        for _ in range(20):
            left(DEPTH)  # MAIN_LEFT
            right(DEPTH)  # MAIN_RIGHT


if __name__ == "__main__":
    main(float(sys.argv[1]))
