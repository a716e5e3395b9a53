"""Compiles and runs fresh code over and over, as exec-based templating
does: two sources of the same shape, each under its own file name, so that
one's code objects tend to land where the other's were just freed.  In
each, work() is busy on the line marked HOT of its own source."""
import sys
import time

clock = getattr(time, "monotonic", time.time)

BODY = """def work(until):
    while clock() < until: pass  # HOT
work(clock() + 0.001)
"""
# The same code; the second is four lines further down its file.
SOURCES = [("churn_a.py", BODY), ("churn_b.py", "\n" * 4 + BODY)]


def main(seconds):
    compiled = 0
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    deadline = clock() + seconds
    while clock() < deadline:
        name, source = SOURCES[compiled % 2]
        exec(compile(source, name, "exec"), {"clock": clock})
        compiled += 1


main(float(sys.argv[1]))
