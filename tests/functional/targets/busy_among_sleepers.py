"""The main thread busy in Python, four threads asleep in time.sleep()
without the GIL.  Prints "ready" once they all sleep.  Runs on every
supported CPython."""
import sys
import threading
import time

clock = getattr(time, "monotonic", time.time)
SECONDS = float(sys.argv[1])

sleepers = [threading.Thread(target=time.sleep, args=(SECONDS,)) for _ in range(4)]
for t in sleepers:
    t.daemon = True
    t.start()
time.sleep(0.1)
sys.stdout.write("ready\n")
sys.stdout.flush()
deadline = clock() + SECONDS
while clock() < deadline: pass  # BUSY
