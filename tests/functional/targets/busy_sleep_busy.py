"""Runs Python code for argv[1] seconds, sleeps twice as long (holding no
GIL: idle), runs Python code for argv[1] seconds again, and exits."""
import sys
import time

clock = getattr(time, "monotonic", time.time)


def busy(seconds):
    deadline = clock() + seconds
    while clock() < deadline: pass  # BUSY


sys.stdout.write("ready\n")
sys.stdout.flush()
seconds = float(sys.argv[1])
busy(seconds)
time.sleep(2 * seconds)
busy(seconds)
