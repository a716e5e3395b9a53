"""Sleeps, holding no GIL: every sample of it is idle."""
import sys
import time

print("ready", flush=True)
time.sleep(float(sys.argv[1]))
