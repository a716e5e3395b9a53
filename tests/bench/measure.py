"""Running a program and measuring it, shared by the benchmark and the
functional tests (which add this directory to sys.path)."""
import os
import subprocess
import tempfile
import threading


def run_measured(argv, timeout):
    """Runs argv to its end (killed after `timeout` seconds) and returns the
    CompletedProcess and its resource usage from wait4: its own CPU time and
    peak memory, not those of other children."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(argv, stdout=out, stderr=err)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(argv, proc.returncode, out.read(), err.read()), usage
