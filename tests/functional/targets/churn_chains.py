"""Compiles two small modules in turn, calls the chain each defines a few
hundred times, and drops it: churn_x.py's x0 -> x1 and churn_y.py's
y0 -> y1, the same shape of code under other names and lines.  Freed and
compiled again every few thousand calls, one module's code objects tend to
land where the other's were.  Every stack the target has is <module>,
main() at MAIN_RUN, then x0 at line X0_LINE (x1 above it at X1_LINE) or
y0 at Y0_LINE (y1 at Y1_LINE): a frame named after one module's function
with another line, or a chain that crosses from one to the other, was
read across two moments."""
import sys
import time

clock = getattr(time, "monotonic", time.time)

X0_LINE, X1_LINE = 1, 2
Y0_LINE, Y1_LINE = 11, 12
SOURCES = [
    ("churn_x.py", "def x0(): return x1()\ndef x1(): return 0\n", "x0"),
    ("churn_y.py", "\n" * 10 + "def y0(): return y1()\ndef y1(): return 0\n", "y0"),
]


# Now and then a tower of calls, descended and climbed again: a walk of it
# takes long enough for the stack to change under it nearly every time, so
# some samples are torn three times and counted as failed.
TOWER = 60


def tower(n):
    if n:
        return tower(n - 1)  # TOWER
    return 0


def main(seconds):
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    deadline = clock() + seconds
    compiled = 0
    while clock() < deadline:
        name, source, entry = SOURCES[compiled % 2]
        space = {}
        exec(compile(source, name, "exec"), space)  # MAIN_EXEC
        run = space[entry]
        for _ in range(3000):
            run()  # MAIN_RUN
        for _ in range(30):
            tower(TOWER)  # MAIN_TOWER
        compiled += 1


main(float(sys.argv[1]))  # MODULE
