"""Busy, and writes the time whenever SIGUSR1 arrives."""
import os
import signal
import sys
import time

out = open(sys.argv[2], "w")


def on_usr1(signum, frame):
    out.write(f"{time.time()}\n")
    out.flush()


signal.signal(signal.SIGUSR1, on_usr1)
print("ready", flush=True)
deadline = time.monotonic() + float(sys.argv[1])
while time.monotonic() < deadline:
    pass
