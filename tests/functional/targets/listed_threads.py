"""Threads at known, different work, for --tid (test_region_support.py):
'alpha' busy in alpha_work, 'beta' busy in beta_work, both in Python, and
'sleeper' asleep in time.sleep; argv[1:] names those to start (all three
by default).  The main thread prints "ready", then a line "NAME TID" for
itself ('main') and for each thread started (TID: its kernel thread id),
then reads its standard input: a line "end NAME" ends that thread's work
(it returns), and once it has exited the main thread prints "ended NAME".
At the end of its input the process exits."""
import os
import sys
import threading
import time


def thread_id():
    return int(os.readlink("/proc/thread-self").split("/")[-1])


def alpha_work(stop):
    while not stop: pass  # ALPHA


def beta_work(stop):
    while not stop: pass  # BETA


def sleeper_work(stop):
    time.sleep(3600)  # SLEEP


def run(work, stop, ids, started):
    ids[threading.current_thread().name] = thread_id()
    started.release()
    work(stop)


def main(names):
    ids = {"main": thread_id()}
    started = threading.Semaphore(0)
    works = {"alpha": alpha_work, "beta": beta_work, "sleeper": sleeper_work}
    stops, threads = {}, {}
    for name in names:
        stops[name] = []
        threads[name] = threading.Thread(target=run, name=name,
                                         args=(works[name], stops[name], ids, started))
        threads[name].daemon = True
        threads[name].start()
    for _ in names:
        started.acquire()
    lines = ["ready", "main %d" % ids["main"]] + ["%s %d" % (n, ids[n]) for n in names]
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()
    for line in iter(sys.stdin.readline, ""):
        name = line.split()[1]
        stops[name].append(True)
        threads[name].join()
        sys.stdout.write("ended %s\n" % name)
        sys.stdout.flush()


main(sys.argv[1:] or ["alpha", "beta", "sleeper"])
