"""Two workers, spin_a and spin_b, busy in short bursts with pauses, so that
even 2.7's GIL passes between them.  Runs on every supported CPython."""
import sys
import threading
import time

clock = getattr(time, "monotonic", time.time)


def spin_a(deadline):
    while clock() < deadline:
        busy = clock() + 0.01
        while clock() < busy: pass
        time.sleep(0.005)


def spin_b(deadline):
    while clock() < deadline:
        busy = clock() + 0.01
        while clock() < busy: pass
        time.sleep(0.005)


deadline = clock() + float(sys.argv[1])
threads = [threading.Thread(target=f, args=(deadline,), name="worker-" + f.__name__[-1])
           for f in (spin_a, spin_b)]
for t in threads:
    t.start()
time.sleep(0.05)
sys.stdout.write("ready\n")
sys.stdout.flush()
for t in threads:
    t.join()
