"""What pyflame.profile() costs a block, for bench.py: the time to enter
an empty block (pyflame started behind its gate, attached, first sample
taken) and to leave it (pyflame stopped, the profile written and read
back), each the median of argv[1] blocks.  PYFLAME names the native
pyflame; the package comes from PYTHONPATH.  Prints "ENTER_MS EXIT_MS"."""
import statistics
import sys
import time

import pyflame


def main(n):
    enter, leave = [], []
    for _ in range(n):
        region = pyflame.profile()
        t0 = time.perf_counter()
        p = region.__enter__()
        t1 = time.perf_counter()
        region.__exit__(None, None, None)
        p.folded  # read back, as a panel or a notebook would
        t2 = time.perf_counter()
        enter.append(t1 - t0)
        leave.append(t2 - t1)
    print("%.1f %.1f" % (1e3 * statistics.median(enter), 1e3 * statistics.median(leave)))


main(int(sys.argv[1]))
