"""Busy in three() three times as long as in one(), alternating quickly."""
import sys
import time


def spin(seconds):
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        pass


def three():
    spin(0.003)


def one():
    spin(0.001)


def main(seconds):
    print("ready", flush=True)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        three()
        one()


main(float(sys.argv[1]))
