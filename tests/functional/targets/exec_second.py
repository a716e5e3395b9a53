"""The program exec_first.py becomes: busy in beta()."""
import sys
import time


def beta(seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline: pass  # HOT


beta(float(sys.argv[1]))
