"""Runs alpha() a little, then replaces itself with exec_second.py."""
import os
import sys
import time


def alpha():
    deadline = time.monotonic() + 0.5
    while time.monotonic() < deadline: pass  # HOT


alpha()  # CALL
second = os.path.join(os.path.dirname(os.path.abspath(__file__)), "exec_second.py")
os.execv(sys.executable, [sys.executable, second, sys.argv[1]])
