"""A target's slowdown under pyflame, measured within one run.

pyflame runs the target (trace mode) and is frozen (SIGSTOP) and thawed
(SIGCONT) in turns, a phase of a few tens of milliseconds each; the target
notes the time after every few units of work (workload.py "marks" and
"threads").  Each phase in which pyflame samples gives one ratio: the
target's speed in the frozen phases just before and after it, over its
speed in it.  The slowdown is the median of those ratios, less one.

Why not whole runs with and without pyflame: on the test VM a busy loop's
speed drifts by several percent from one second to the next, so separate
runs (even interleaved, nine of each) could not tell 0.5% from nothing.
Phases this short see the same machine.

pyflame is only frozen while none of the target's threads is stopped by it
(mid sample): a freeze that finds one is undone and tried again, so a
frozen phase is the target alone."""
import bisect
import os
import signal
import statistics
import subprocess
import time

from testlib.measure import proc_stat, thread_states

MARGIN = 0.001  # seconds at each end of a phase left out: the switch itself
FREEZE_TRIES = 1000


def _state(path):
    fields = proc_stat(path)
    return fields[0] if fields else None


def _child_of(pid):
    """The one child process of pid (pyflame's target)."""
    for entry in os.listdir("/proc"):
        fields = proc_stat("/proc/%s/stat" % entry) if entry.isdigit() else None
        if fields and int(fields[1]) == pid:
            return int(entry)
    raise RuntimeError("pyflame %d has no child" % pid)


def _any_traced_stop(pid):
    try:
        return "t" in thread_states(pid)
    except OSError:
        return False


def _freeze(pyflame, target):
    """Stops pyflame at a moment when it holds none of the target's threads.
    False if no such moment came."""
    for _ in range(FREEZE_TRIES):
        os.kill(pyflame, signal.SIGSTOP)
        while _state("/proc/%d/stat" % pyflame) not in ("T", None):
            time.sleep(0.00005)
        # A stop pyflame asked for just before it froze arrives within
        # microseconds: look twice.
        if not _any_traced_stop(target):
            time.sleep(0.0005)
            if not _any_traced_stop(target):
                return True
        os.kill(pyflame, signal.SIGCONT)
        time.sleep(0.0003)
    return False


def _rate(marks, start, end):
    """Marks per second between start and end, None if too few."""
    i, j = bisect.bisect_left(marks, start), bisect.bisect_right(marks, end)
    if j - i < 5:
        return None
    return (j - i - 1) / (marks[j - 1] - marks[i])


# Runs a measurement may take, each twice as long as the last, when a
# loaded machine left too few marks in a phase to compare any.
RUNS = 3


def measure(pyflame_argv, target_argv, seconds, phase):
    """Runs pyflame_argv + ["-t"] + target_argv(s) for s = `seconds` of
    phases of `phase` seconds (longer if that gave no phase to compare):
    target_argv gives the command of a target that runs s seconds at
    least.  Returns (slowdown, ratios counted)."""
    for run in range(RUNS):
        length = seconds * 2 ** run
        ratios = _ratios(pyflame_argv, target_argv(length), length, phase)
        if ratios:
            return statistics.median(ratios) - 1, len(ratios)
    raise RuntimeError("no phase to compare: run longer than %.2f s" % (seconds * 2 ** run))


def _ratios(pyflame_argv, target_argv, seconds, phase):
    """One run of measure(): the ratio of each sampled phase."""
    argv = [str(a) for a in [*pyflame_argv, "-t", *target_argv]]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        if line.strip() != "ready":
            raise RuntimeError("%s did not start: %r" % (" ".join(argv), line))
        target = _child_of(proc.pid)
        bounds, sampling = [time.time()], True  # pyflame samples first
        end = bounds[0] + seconds
        while time.time() < end:
            time.sleep(phase)
            if sampling:
                switched = _freeze(proc.pid, target)
            else:
                os.kill(proc.pid, signal.SIGCONT)
                switched = True
            if not switched:
                raise RuntimeError("pyflame never left the target running")
            bounds.append(time.time())
            sampling = not sampling
        os.kill(proc.pid, signal.SIGCONT)
        out, err = proc.communicate(timeout=600)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGCONT)
            proc.kill()
            proc.wait()
    if proc.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(argv), proc.returncode, err.strip()))
    marks = [float(m) for m in out.split("marks", 1)[1].split()]
    # Phase k is [bounds[k], bounds[k + 1]]; pyflame samples in the even ones.
    rates = [_rate(marks, a + MARGIN, b - MARGIN) for a, b in zip(bounds, bounds[1:])]
    return [(rates[k - 1] + rates[k + 1]) / 2 / rates[k]
            for k in range(2, len(rates) - 1, 2)
            if rates[k] and rates[k - 1] and rates[k + 1]]
