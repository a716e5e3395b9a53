"""The target is never left stopped or traced, whatever happens to pyflame
(a signal that ends it, even SIGKILL) or to the target (it exits, execs,
forks, is traced by someone else, takes signals and SIGCHLD while
sampled)."""
import os
import random
import re
import signal
import subprocess
import sys
import time

import pytest

from conftest import (PYFLAME, SANITIZED, TARGETS, assert_left_running, child_processes, error_of,
                      run_pyflame, run_pyflame_measured, start_target, stop_target, tracer_of,
                      wait_sampled, wait_traced_by, wait_until)


def assert_free(pid):
    """Neither stopped nor traced, and pyflame can attach again."""
    assert_left_running(pid)
    res = run_pyflame(["-s", "0.2", "-p", str(pid)])
    assert res.returncode == 0, res.stderr.decode()
    assert tracer_of(pid) == 0


def leaf_counts(text):
    counts = {}
    for line in text.splitlines():
        stack, _, n = line.rpartition(" ")
        counts[stack.split(";")[-1]] = counts.get(stack.split(";")[-1], 0) + int(n)
    return counts


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_signal_ends_run_writes_profile_and_frees_target(sig, tmp_path):
    target = start_target(sys.executable, TARGETS / "exact_line.py", 60)
    out = tmp_path / "profile.txt"
    try:
        pyflame = subprocess.Popen([PYFLAME, "-s", "30", "-o", str(out), "-p", str(target.pid)],
                                   stderr=subprocess.PIPE)
        wait_traced_by(target.pid, pyflame.pid)
        wait_sampled(target.pid, 50)
        pyflame.send_signal(sig)
        _, err = pyflame.communicate(timeout=10)
        # Ended by the signal, as a shell would report it; the profile of
        # the second it ran is written.
        assert pyflame.returncode == 128 + sig, err.decode()
        counts = leaf_counts(out.read_text())
        assert any(":hot_leaf:" in leaf for leaf in counts), counts
        assert sum(counts.values()) >= 20, counts
        assert_free(target.pid)
    finally:
        stop_target(target)


def test_sigkill_of_pyflame_leaves_target_running():
    # Killed at random moments while sampling every thread as fast as it
    # can, pyflame has often just stopped the target: the kernel must let
    # every thread go on.
    target = start_target(sys.executable, TARGETS / "threads.py", 60)
    try:
        for _ in range(8):
            pyflame = subprocess.Popen([PYFLAME, "--threads", "-r", "0.00001", "-s", "30",
                                        "-o", os.devnull, "-p", str(target.pid)],
                                       stderr=subprocess.DEVNULL)
            wait_traced_by(target.pid, pyflame.pid)
            time.sleep(random.uniform(0.0, 0.3))  # a random moment of its sampling
            pyflame.kill()
            pyflame.wait(timeout=10)
            # The kernel detaches a dead tracer's tracees as it reaps it.
            wait_until(lambda: tracer_of(target.pid) == 0, "the target untraced")
            assert_left_running(target.pid)
        assert_free(target.pid)
    finally:
        stop_target(target)


def test_target_exiting_mid_run_keeps_what_was_collected(tmp_path):
    target = start_target(sys.executable, TARGETS / "busy_sleep_busy.py", 0.5)
    res = run_pyflame(["-s", "30", "-p", str(target.pid)])
    target.wait(timeout=10)
    assert res.returncode == 0, res.stderr.decode()
    counts = leaf_counts(res.stdout.decode())
    assert any(":busy:" in leaf for leaf in counts), counts


def test_target_exec_into_non_python_ends_the_run(tmp_path):
    script = tmp_path / "exec_sleep.py"
    script.write_text(
        "import os, sys, time\n"
        "print('ready', flush=True)\n"
        "deadline = time.monotonic() + 0.8\n"
        "while time.monotonic() < deadline: pass  # BUSY\n"
        "os.execv('/bin/sleep', ['sleep', '30'])\n")
    target = start_target(sys.executable, script)
    try:
        res = run_pyflame(["-s", "30", "-p", str(target.pid)])
        # Its Python program is over, as if it had exited: what was
        # collected is written, and the new program runs untouched.
        assert res.returncode == 0, res.stderr.decode()
        assert "called exec" in res.stderr.decode()
        assert any(":<module>:" in leaf for leaf in leaf_counts(res.stdout.decode()))
        assert os.readlink(f"/proc/{target.pid}/exe") == os.path.realpath("/bin/sleep")
        assert_left_running(target.pid)
    finally:
        stop_target(target)


def test_trace_of_a_program_that_execs_out_of_python_says_it_ran_python(tmp_path):
    """-t of a Python program that execs a non-Python one: its samples
    are written, and pyflame does not claim the command ran no Python."""
    script = tmp_path / "exec_out.py"
    script.write_text(
        "import os, time\n"
        "deadline = time.monotonic() + 0.3\n"
        "while time.monotonic() < deadline: pass  # BUSY\n"
        "os.execv('/bin/sh', ['sh', '-c', 'exit 4'])\n")
    out = tmp_path / "profile.txt"
    res = run_pyflame(["-o", str(out), "-t", sys.executable, str(script)])
    err = res.stderr.decode()
    assert res.returncode == 4, err
    assert "ran no Python" not in err, err
    assert any(":<module>:" in leaf for leaf in leaf_counts(out.read_text())), out.read_text()


def test_forked_child_is_neither_traced_nor_stopped(tmp_path):
    script = tmp_path / "forker.py"
    script.write_text(
        "import os, time\n"
        "child = os.fork()\n"
        "if child == 0:\n"
        "    deadline = time.monotonic() + 30\n"
        "    while time.monotonic() < deadline: pass\n"
        "    os._exit(0)\n"
        "print('ready', child, flush=True)\n"
        "deadline = time.monotonic() + 30\n"
        "while time.monotonic() < deadline:\n"
        "    if os.fork() == 0:\n"  # and more children while sampled
        "        time.sleep(30)\n"
        "        os._exit(0)\n"
        "    time.sleep(0.1)\n")
    target = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE)
    try:
        first_child = int(target.stdout.readline().split()[1])
        pyflame = subprocess.Popen([PYFLAME, "-r", "0.001", "-s", "30", "-o", os.devnull,
                                    "-p", str(target.pid)], stderr=subprocess.PIPE)
        wait_traced_by(target.pid, pyflame.pid)
        forked_before = len(child_processes(target.pid))
        # Two more children forked while pyflame samples.
        children = wait_until(lambda: (lambda c: c if len(c) >= forked_before + 2 else None)(
            child_processes(target.pid)), "two children forked while sampled")
        assert first_child in children, children
        for child in children:
            assert_left_running(child)
        assert tracer_of(target.pid) == pyflame.pid  # still sampling the parent
        pyflame.send_signal(signal.SIGINT)
        _, err = pyflame.communicate(timeout=30)
        assert pyflame.returncode == 128 + signal.SIGINT, err.decode()
    finally:
        subprocess.run(["pkill", "-KILL", "-P", str(target.pid)])
        stop_target(target)


# Once traced, clones itself with the clone flags argv[1] (no
# CLONE_THREAD: a new process), and the child execs sleep; prints the
# child's PID, then keeps busy.
CLONER = """
import ctypes, os, signal, sys, time
signal.signal(signal.SIGUSR1, signal.SIG_IGN)  # an exit signal the test may pick
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
print("ready", flush=True)
def tracer():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("TracerPid:"))
while tracer() == 0:
    time.sleep(0.001)
# SYS_clone (x86_64): flags, no new stack (the child runs on a copy, as
# after fork), no tids, no TLS.
child = libc.syscall(56, ctypes.c_ulong(int(sys.argv[1])), None, None, None, None)
if child == 0:
    os.execv("/bin/sleep", ["sleep", "60"])
if child < 0:
    sys.exit("clone failed: errno %d" % ctypes.get_errno())
print("child", child, flush=True)
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    pass
"""
CLONE_PTRACE = 0x2000


@pytest.mark.parametrize("flags", [0, signal.SIGUSR1, CLONE_PTRACE | signal.SIGCHLD],
                         ids=["exit_signal_0", "exit_signal_SIGUSR1", "CLONE_PTRACE"])
def test_cloned_child_process_is_not_traced_and_its_exec_is_not_the_targets(flags, tmp_path):
    """A child process made by clone() with an exit signal other than
    SIGCHLD (or with CLONE_PTRACE) is attached by the kernel to pyflame as
    a new thread would be.  pyflame lets it go: it traces exactly the
    target's threads.  Before, it traced the child as one of the target's
    threads, and when the child called exec said 'process N called exec:
    its Python program ended; stopping' and ended the run after a fraction
    of the -s asked for."""
    if os.uname().machine != "x86_64":
        pytest.skip("the raw clone call is written for x86_64")
    script = tmp_path / "cloner.py"
    script.write_text(CLONER)
    target = start_target(sys.executable, script, flags)
    child = None
    try:
        began = time.monotonic()
        pyflame = subprocess.Popen([PYFLAME, "-r", "0.001", "-s", "4", "-o", os.devnull,
                                    "-p", str(target.pid)], stderr=subprocess.PIPE)
        line = target.stdout.readline().split()
        assert line[:1] == [b"child"], line
        child = int(line[1])
        wait_until(lambda: os.readlink(f"/proc/{child}/exe") == os.path.realpath("/bin/sleep"),
                   "the child's exec")
        # While pyflame samples the target, the child runs untraced.
        assert pyflame.poll() is None
        assert tracer_of(target.pid) == pyflame.pid
        assert tracer_of(child) == 0
        assert_left_running(child)
        _, err = pyflame.communicate(timeout=60)
        ended = time.monotonic()
        err = err.decode()
        assert pyflame.returncode == 0, err
        assert "called exec" not in err, err
        assert ended - began >= 4, (ended - began, err)  # all of -s, as asked
        assert tracer_of(child) == 0
    finally:
        if child:
            os.kill(child, signal.SIGKILL)
        stop_target(target)


# A debugger: seizes the process named by argv[1] and holds it.
DEBUGGER = """
import ctypes, sys, time
libc = ctypes.CDLL(None, use_errno=True)
if libc.ptrace(0x4206, int(sys.argv[1]), None, None) != 0:  # PTRACE_SEIZE
    sys.exit("PTRACE_SEIZE failed: errno %d" % ctypes.get_errno())
print("ready", flush=True)
time.sleep(60)
"""


def test_target_traced_by_another_debugger(tmp_path):
    target = start_target(sys.executable, TARGETS / "exact_line.py", 60)
    debugger = None
    try:
        debugger = subprocess.Popen([sys.executable, "-c", DEBUGGER, str(target.pid)],
                                    stdout=subprocess.PIPE)
        assert debugger.stdout.readline().strip() == b"ready"
        res = run_pyflame(["-s", "1", "-p", str(target.pid)])
        err = res.stderr.decode()
        assert res.returncode == 1, err
        assert re.search(r"already traced by process %d\b" % debugger.pid, err), err
        assert res.stdout == b""
        assert tracer_of(target.pid) == debugger.pid  # its debugger keeps it
        debugger.kill()
        debugger.wait(timeout=10)
        assert_free(target.pid)
    finally:
        if debugger and debugger.poll() is None:
            debugger.kill()
        stop_target(target)


# A target with a worker thread, whose id it prints.
WITH_A_WORKER = """
import threading, time
def worker():
    print(threading.get_native_id(), flush=True)
    while True:
        time.sleep(0.01)
threading.Thread(target=worker, daemon=True).start()
time.sleep(60)
"""


def test_thread_of_target_traced_by_another_debugger(tmp_path):
    """A debugger (strace -p TID) traces one worker thread, not the main
    one: pyflame names the thread and its tracer, not a lack of privileges."""
    target = subprocess.Popen([sys.executable, "-c", WITH_A_WORKER], stdout=subprocess.PIPE)
    debugger = None
    try:
        tid = int(target.stdout.readline())
        debugger = subprocess.Popen([sys.executable, "-c", DEBUGGER, str(tid)],
                                    stdout=subprocess.PIPE)
        assert debugger.stdout.readline().strip() == b"ready"
        res = run_pyflame(["-s", "1", "-p", str(target.pid)])
        assert res.returncode == 1
        assert (f"thread {tid} of process {target.pid} is already traced by process "
                f"{debugger.pid} ({os.path.basename(sys.executable)[:15]}): detach that debugger first") in error_of(res)
        assert tracer_of(tid) == debugger.pid  # its debugger keeps it
        assert tracer_of(target.pid) == 0
    finally:
        if debugger and debugger.poll() is None:
            debugger.kill()
        stop_target(target)


def test_target_handles_its_own_sigchld_while_sampled(tmp_path):
    script = tmp_path / "reaper.py"
    log = tmp_path / "reaped"
    script.write_text(
        "import os, signal, sys, time\n"
        "reaped = []\n"
        "def on_chld(signum, frame):\n"
        "    while True:\n"
        "        try:\n"
        "            pid, _ = os.waitpid(-1, os.WNOHANG)\n"
        "        except ChildProcessError:\n"
        "            return\n"
        "        if pid == 0:\n"
        "            return\n"
        "        reaped.append(pid)\n"
        "signal.signal(signal.SIGCHLD, on_chld)\n"
        "print('ready', flush=True)\n"
        "started = []\n"
        "for _ in range(40):\n"
        "    pid = os.fork()\n"
        "    if pid == 0:\n"
        "        os._exit(0)\n"
        "    started.append(pid)\n"
        "    deadline = time.monotonic() + 0.02\n"
        "    while time.monotonic() < deadline: pass\n"
        "deadline = time.monotonic() + 5\n"
        "while len(reaped) < len(started) and time.monotonic() < deadline: pass\n"
        "open(sys.argv[1], 'w').write('%d %d' % (len(started), len(reaped)))\n")
    res = run_pyflame(["-r", "0.001", "-t", sys.executable, str(script), str(log)])
    assert res.returncode == 0, res.stderr.decode()
    started, reaped = map(int, log.read_text().split())
    assert started == 40 and reaped == 40, (started, reaped)


# Looks like CPython 3.12 to pyflame (Py_Version, a _PyRuntime that says it
# is initialised) but every pointer in its runtime leads nowhere.
GARBAGE_RUNTIME = r"""
#include <string.h>
#include <unistd.h>
unsigned long Py_Version = 0x030C01F0;
unsigned char _PyRuntime[1 << 16];
volatile unsigned long spins;
int main(void)
{
    memset(_PyRuntime, 0xA5, sizeof _PyRuntime);
    write(1, "ready\n", 6);
    for (;;) /* running: a sample must read it (one asleep is idle, unread) */
        spins++;
}
"""


def test_every_sample_failing_is_reported_once(tmp_path):
    src, exe = tmp_path / "garbage.c", tmp_path / "python3.12"
    src.write_text(GARBAGE_RUNTIME)
    subprocess.run(["cc", "-rdynamic", "-o", str(exe), str(src)], check=True)
    target = start_target(str(exe), "")
    try:
        res = run_pyflame(["-r", "0.001", "-s", "1", "-p", str(target.pid)])
        err = res.stderr.decode().splitlines()
        # Hundreds of failed samples: one line says so, and the exit status.
        assert res.returncode == 1, err
        assert len(err) <= 2, err
        assert re.search(r"none of the \d{3,} samples could be read", err[-1]), err
        assert_left_running(target.pid)
    finally:
        stop_target(target)


# Peak memory allowed to pyflame against the hostile targets below: the
# code cache holds at most 64 MB and one sample reads at most 32 MB.
# AddressSanitizer keeps freed memory in quarantine (256 MB by default).
MEMORY_LIMIT_KB = (512 if SANITIZED else 200) * 1024


def test_huge_line_tables_cost_bounded_memory_and_time():
    """A thousand code objects with 1 MB line tables each: without bounds
    one sample read and kept a gigabyte.  Each sample now stops at the read
    budget, fails, and says why; memory stays bounded."""
    target = start_target(sys.executable, TARGETS / "huge_linetables.py", 60)
    try:
        res, peak_kb = run_pyflame_measured(["-s", "2", "-r", "0.05", "-p", str(target.pid)])
    finally:
        stop_target(target)
    err = res.stderr.decode()
    # Every sample fails at the budget, but for one that finds the GIL free
    # now and then (idle): then pyflame warns rather than fails.
    m = re.search(r"(?:none of the (\d+) samples could be read|(\d+) of \d+ samples could not "
                  r"be read).*; (\d+) of them would have read more than \d+ times or \d+ MB "
                  r"\(the limit of one sample\)", err)
    assert m, err
    failed = int(m.group(1) or m.group(2))
    assert int(m.group(3)) == failed, err
    assert res.returncode == (1 if m.group(1) else 0), err
    lines = res.stdout.decode().splitlines()
    assert all(l.startswith(("(failed) ", "(idle) ")) for l in lines), lines
    # Each sample stops at the budget: more than a few fit in the run (40
    # asked for), where one unbounded sample took seconds.  How many a
    # loaded machine lets through is the benchmark's business.
    assert failed >= 3, err
    assert peak_kb < MEMORY_LIMIT_KB, peak_kb


def test_thread_dict_shared_by_hundreds_of_threads():
    """200 threads share one 60,000-key __dict__ (their names last): names
    are looked up among a bounded number of keys, so every sample is read
    and on time; the main thread keeps its own name."""
    target = start_target(sys.executable, TARGETS / "shared_thread_dict.py", 60)
    try:
        res, peak_kb = run_pyflame_measured(
            ["--thread-names", "-s", "1", "-r", "0.05", "-p", str(target.pid)])
    finally:
        stop_target(target)
    err = res.stderr.decode()
    assert res.returncode == 0 and "could not be read" not in err, err
    text = res.stdout.decode()
    busy = sum(int(line.rpartition(" ")[2]) for line in text.splitlines()
               if line.startswith("thread MainThread (") and ":busy:" in line)
    # Of 20 asked for; unbounded, one took seconds.
    assert busy >= 3, text
    assert "(failed)" not in text, text
    assert peak_kb < MEMORY_LIMIT_KB, peak_kb
