"""Two named threads, both busy in Python; the main thread waits for them.
Prints "ready", then a line "thread NAME IDENT TID" for the main thread and
for each worker (TID: the kernel's thread id)."""
import os
import sys
import threading
import time

clock = getattr(time, "monotonic", time.time)


def spin_alpha(deadline):
    while clock() < deadline: pass  # ALPHA


def spin_beta(deadline):
    while clock() < deadline: pass  # BETA


def describe():
    """This thread, as "thread NAME IDENT TID"."""
    me = threading.current_thread()
    tid = os.readlink("/proc/thread-self").split("/")[-1]
    return "thread %s %d %s" % (me.name, me.ident, tid)


def worker(func, deadline, started, ids):
    ids.append(describe())
    started.release()
    func(deadline)


def main(seconds):
    deadline = clock() + seconds
    started = threading.Semaphore(0)
    ids = [describe()]
    threads = [threading.Thread(target=worker, name="worker-alpha",
                                args=(spin_alpha, deadline, started, ids)),
               threading.Thread(target=worker, name="worker-beta",
                                args=(spin_beta, deadline, started, ids))]
    for t in threads:
        t.start()
    for t in threads:
        started.acquire()
    sys.stdout.write("ready\n" + "\n".join(ids) + "\n")
    sys.stdout.flush()
    for t in threads:
        t.join()


main(float(sys.argv[1]))
