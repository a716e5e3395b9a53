"""Sleeps, holding no GIL: every sample of it is idle."""
import sys
import time

sys.stdout.write("ready\n")
sys.stdout.flush()
time.sleep(float(sys.argv[1]))  # SLEEP
