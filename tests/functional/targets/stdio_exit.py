"""Names the interpreter that runs it on standard output (sys.executable,
sys.prefix), copies its standard input there, writes a line to standard
error, spins in hot_leaf for SECONDS and exits with STATUS.  Arguments:
SECONDS STATUS.  CPython 3 only."""
import sys
import time


def hot_leaf(seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline: pass  # HOT


def main(seconds, status):
    sys.stdout.write("python %s %s\n" % (sys.executable, sys.prefix))
    sys.stdout.write(sys.stdin.read())
    sys.stdout.flush()
    sys.stderr.write("the program's own error output\n")
    sys.stderr.flush()
    hot_leaf(seconds)
    return status


sys.exit(main(float(sys.argv[1]), int(sys.argv[2])))
