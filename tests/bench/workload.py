"""The benchmark's target: CPU-bound Python about 20 frames deep.

  workload.py spin SECONDS           busy until SECONDS pass (attach runs)
  workload.py marks SECONDS          the same, noting the time after every
                                     MARK_UNITS units of work; prints
                                     "marks T1 T2 ..." at the end
                                     (slowdown runs)
  workload.py threads N SECONDS      N threads sharing the work, each noting
                                     the time after every unit; prints the
                                     marks of all of them, in order

Prints "ready" once it is at depth.  Marks are time.time(), the clock the
benchmark reads too.  Runs on every supported CPython."""
import sys
import threading
import time

clock = getattr(time, "monotonic", time.time)
DEPTH = 18  # plus <module>, main and the leaf: about 20 frames
MARK_UNITS = 4  # about half a millisecond of work


def unit():
    total = 0
    for i in range(2000):
        total += i * i % 7
    return total


def leaf(seconds, marks, every):
    deadline = clock() + seconds
    while clock() < deadline:
        for _ in range(every):
            unit()
        if marks is not None:
            marks.append(time.time())


def descend(n, seconds, marks, every):
    if n == 0:
        return leaf(seconds, marks, every)
    return descend(n - 1, seconds, marks, every)


def ready():
    sys.stdout.write("ready\n")
    sys.stdout.flush()


def main(argv):
    mode = argv[1]
    marks = []  # list.append is atomic: the threads share one list
    if mode == "threads":
        count, seconds = int(argv[2]), float(argv[3])
        workers = [threading.Thread(target=descend, args=(DEPTH, seconds, marks, 1))
                   for _ in range(count)]
        ready()
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    else:
        ready()
        descend(DEPTH, float(argv[2]), marks if mode == "marks" else None, MARK_UNITS)
    if mode != "spin":
        marks.sort()
        sys.stdout.write("marks %s\n" % " ".join("%.6f" % m for m in marks))
    sys.stdout.flush()


main(sys.argv)
