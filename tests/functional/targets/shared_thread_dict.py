"""Hostile to pyflame's thread names: 200 threads whose Thread objects all
share one __dict__ of 60,000 keys, their own attributes last.  The main
thread spins in busy(); the others sleep."""
import sys
import threading
import time

THREADS = 200
JUNK = 60000


def busy(seconds):
    end = time.time() + seconds
    while time.time() < end:
        pass


stop = threading.Event()
threads = [threading.Thread(target=stop.wait, name="sleeper-%d" % i) for i in range(THREADS)]
for t in threads:
    t.daemon = True
    t.start()
shared = dict(("junk%d" % i, i) for i in range(JUNK))
shared.update(threads[0].__dict__)
for t in threads:
    t.__dict__ = shared
sys.stdout.write("ready\n")
sys.stdout.flush()
busy(float(sys.argv[1]))
