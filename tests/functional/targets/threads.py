# -*- coding: utf-8 -*-
"""Two busy threads in their own functions, one sleeping thread, and the
main thread waiting for them.  Runs on every supported CPython.

The threads' names are read from their Thread objects, which keep them in
different ways: alpha's attributes stay where the interpreter put them,
beta's __dict__ is made a real dict with a key of its own, the sleeper's
name is non-ASCII and set after it started, and the main thread is
renamed."""
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
threads[1].__dict__["own_key"] = 1
for t in threads:
    t.start()
name = u"schl\u00e4fer-\u00e9"
# 2.7 keeps names as byte strings: UTF-8 is what pyflame shows them as.
threads[2].name = name.encode("utf-8") if sys.version_info[0] == 2 else name
threading.current_thread().name = "main-waiter"
sys.stdout.write("ready\n")
sys.stdout.flush()
for t in threads:
    t.join()  # JOIN
