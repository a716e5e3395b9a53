"""Two busy threads in their own functions, one sleeping thread, and the
main thread waiting for them.  Runs on every supported CPython."""
import sys
import threading
import time

clock = getattr(time, "monotonic", time.time)
SECONDS = float(sys.argv[1])


def busy_alpha():
    deadline = clock() + SECONDS
    while clock() < deadline: pass  # ALPHA


def busy_beta():
    deadline = clock() + SECONDS
    while clock() < deadline: pass  # BETA


def sleepy():
    time.sleep(SECONDS)  # SLEEP


threads = [threading.Thread(target=busy_alpha, name="alpha"),
           threading.Thread(target=busy_beta, name="beta"),
           threading.Thread(target=sleepy, name="sleeper")]
for t in threads:
    t.start()
sys.stdout.write("ready\n")
sys.stdout.flush()
for t in threads:
    t.join()  # JOIN
