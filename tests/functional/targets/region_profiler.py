"""A region profiler, as one would build it on pyflame: it profiles a block
of its own calling thread with `pyflame -p <its own PID> --tid <its own
thread id> --ready-fd FD -s -1`, waits for pyflame's "ready" on FD, runs
the block, then ends pyflame with SIGINT and waits for it.

argv: PYFLAME OUTPUT [more pyflame options].  The calling thread is busy
in before_ready() from starting pyflame until "ready" comes, then in
region_work() until it has left the CPU 50 times of its own accord (its
voluntary context switches: each stop for a sample is one, and so is
each wait for the GIL); meanwhile a thread 'other' is busy in
other_work(), which must never show.  Prints "line
LINE" (what FD gave, then "eof" when it was closed), "traced_by PID" (the
tracer as "ready" came), "pyflame PID" and "status N" (pyflame's exit
status)."""
import os
import select
import signal
import subprocess
import sys
import threading


def thread_id():
    return int(os.readlink("/proc/thread-self").split("/")[-1])


def status_field(key):
    with open("/proc/thread-self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])


def other_work(stop):
    while not stop: pass  # OTHER


def before_ready(argv):
    """Starts pyflame and spins until "ready" can be read: the only place
    this thread is before that."""
    r, w = os.pipe()
    argv = argv + ["--ready-fd", str(w)]
    if sys.version_info[0] == 2:
        pyflame = subprocess.Popen(argv, close_fds=False)
    else:
        pyflame = subprocess.Popen(argv, pass_fds=[w])
    os.close(w)
    while not select.select([r], [], [], 0)[0]:
        for _ in range(2000): pass  # BEFORE
    return pyflame, r


def region_work():
    # Each look at /proc lets the GIL go, and 'other' keeps it for its
    # switch interval: looks far apart leave this thread most of the time.
    start = status_field("voluntary_ctxt_switches")
    while status_field("voluntary_ctxt_switches") < start + 50:
        for _ in range(200000): pass  # REGION


def main(pyflame_path, output, extra):
    argv = [pyflame_path, "-s", "-1", "-o", output] + extra + [
        "--tid", str(thread_id()), "-p", str(os.getpid())]
    pyflame, r = before_ready(argv)
    line = os.read(r, 64)
    traced_by = status_field("TracerPid")
    eof = os.read(r, 64) == b""
    os.close(r)
    stop = []
    other = threading.Thread(target=other_work, args=(stop,), name="other")
    other.start()
    region_work()
    pyflame.send_signal(signal.SIGINT)
    status = pyflame.wait()
    stop.append(True)
    other.join()
    sys.stdout.write("line %s\neof %s\ntraced_by %d\npyflame %d\nstatus %d\n"
                     % (line.decode().replace("\n", "\\n"), eof, traced_by, pyflame.pid, status))
    sys.stdout.flush()


main(sys.argv[1], sys.argv[2], sys.argv[3:])
