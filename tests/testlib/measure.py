"""Running a program and measuring it: its start, its threads' states,
its CPU time and peak memory."""
import os
import subprocess
import tempfile
import threading


def start_ready(argv, env=None, text=False, stdin=None):
    """Starts argv and waits until it prints "ready", as the targets of the
    benchmark and of the functional tests do once they are at work.  Kills
    it and raises RuntimeError if it prints anything else first.  `stdin`
    as for subprocess.Popen (PIPE: a target told what to do next)."""
    argv = [str(a) for a in argv]
    proc = subprocess.Popen(argv, env=env, stdin=stdin, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=text)
    line = proc.stdout.readline()
    if line.strip() not in ("ready", b"ready"):
        proc.kill()
        raise RuntimeError("%s did not start: %r %r" % (" ".join(argv), line, proc.stderr.read()))
    return proc


def proc_stat(path):
    """The fields of a /proc/.../stat file after the command name (the
    state first, then the parent's pid); None if it cannot be read (the
    process or thread is gone)."""
    try:
        with open(path) as f:
            return f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def thread_states(pid):
    """The state letter of every thread of `pid` (t: stopped by a tracer)."""
    states = (proc_stat("/proc/%d/task/%s/stat" % (pid, tid))
              for tid in os.listdir("/proc/%d/task" % pid))
    return [fields[0] for fields in states if fields]


def run_measured(argv, timeout, peak_rss):
    """Runs argv to its end (killed after `timeout` seconds) and returns the
    CompletedProcess, its CPU seconds (user + system, from wait4) and its
    own peak resident size in KB, told by the peak_rss program
    (tests/bench/peak_rss.c) that runs it: a wait4 here would report at
    least the size of this Python process, which Linux counts in a child's
    peak across its exec."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r") as peak:
        proc = subprocess.Popen([peak_rss, peak.name, *argv], stdout=out, stderr=err)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        peak_kb = int(peak.read() or 0)
        return (subprocess.CompletedProcess(argv, proc.returncode, out.read(), err.read()),
                usage.ru_utime + usage.ru_stime, peak_kb)
