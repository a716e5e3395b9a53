"""The benchmark's target: CPU-bound Python about 20 frames deep.

  workload.py spin SECONDS           busy until SECONDS pass (attach runs)
  workload.py work UNITS             a fixed amount of work; prints its own
                                     time (slowdown runs)
  workload.py threads N SECONDS      N threads sharing the work; prints the
                                     units done per second by all of them

Prints "ready" once it is at depth.  Runs on every supported CPython."""
import sys
import threading
import time

clock = getattr(time, "monotonic", time.time)
DEPTH = 18  # plus <module>, main and the leaf: about 20 frames


def unit():
    total = 0
    for i in range(2000):
        total += i * i % 7
    return total


def leaf(mode, amount, result):
    if mode == "work":
        start = clock()
        for _ in range(int(amount)):
            unit()
        result.append(clock() - start)
    else:
        deadline = clock() + amount
        done = 0
        while clock() < deadline:
            unit()
            done += 1
        result.append(done)


def descend(n, mode, amount, result):
    if n == 0:
        return leaf(mode, amount, result)
    return descend(n - 1, mode, amount, result)


def ready():
    sys.stdout.write("ready\n")
    sys.stdout.flush()


def main(argv):
    mode = argv[1]
    result = []
    if mode == "threads":
        count, seconds = int(argv[2]), float(argv[3])
        workers = [threading.Thread(target=descend, args=(DEPTH, "spin", seconds, result))
                   for _ in range(count)]
        ready()
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        sys.stdout.write("units_per_second %f\n" % (sum(result) / seconds))
    else:
        ready()
        descend(DEPTH, mode, float(argv[2]), result)
        if mode == "work":
            sys.stdout.write("seconds %f\n" % result[0])
    sys.stdout.flush()


main(sys.argv)
