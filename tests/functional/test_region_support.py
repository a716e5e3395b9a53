"""What a region profiler needs of pyflame (one that runs `pyflame -p
<its own PID>` over a block of its calling thread): --tid, with only the
threads listed shown and stopped and the run over when they have all
exited; --ready-fd, told once sampling has begun; -s -1, sampling until
pyflame is stopped; SIGINT and SIGTERM ending the run with the profile
written.  Targets: targets/listed_threads.py (threads at known, different
work) and targets/region_profiler.py (such a profiler)."""
import collections
import contextlib
import json
import os
import re
import signal
import subprocess

import pytest

from conftest import (PYFLAME, TARGETS, Profile, assert_left_running, asleep_threads, error_of,
                      run_pyflame, status_field, stop_target, tracer_of, wait_traced_by,
                      wait_until)
from testlib.measure import start_ready

LISTED = TARGETS / "listed_threads.py"
WORKS = {"alpha": "alpha_work", "beta": "beta_work", "sleeper": "sleeper_work", "main": "main"}
PYTHON_NAMES = {"main": "MainThread"}


@pytest.fixture
def workers(python):
    """Starts listed_threads.py with the threads named: yields a function
    of their names that gives (the process, {name: kernel thread id})."""
    started = []

    def start(*names):
        proc = start_ready([python, LISTED, *names], text=True, stdin=subprocess.PIPE)
        started.append(proc)
        ids = dict(proc.stdout.readline().split() for _ in range(len(names) + 1))
        return proc, {name: int(tid) for name, tid in ids.items()}

    yield start
    for proc in started:
        stop_target(proc)
        proc.stdin.close()
        proc.stdout.close()
        proc.stderr.close()


def end_thread(proc, name):
    """Has the target end thread `name`, and waits until it has exited."""
    proc.stdin.write("end %s\n" % name)
    proc.stdin.flush()
    assert proc.stdout.readline().split() == ["ended", name]


def settle(proc, ids):
    """Waits until the main thread is blocked reading its input (the read
    system call, 0) and the sleeper, if started, asleep: from then on a
    thread busy alone leaves the CPU only when pyflame stops it."""
    def main_reads():
        with open(f"/proc/{proc.pid}/task/{ids['main']}/syscall") as f:
            return f.read().split()[0] == "0"

    wait_until(lambda: main_reads() and ("sleeper" not in ids or
                                         ids["sleeper"] in asleep_threads(proc.pid)),
               "the target's main thread reading, its sleeper asleep")


def switches(pid, tid):
    """How many times thread `tid` left the CPU of its own accord: each
    stop for a sample is once."""
    return status_field(f"/proc/{pid}/task/{tid}/status", "voluntary_ctxt_switches")


def functions(stacks):
    """The functions of every frame of these stacks."""
    return {frame.func for stack in stacks for frame in stack}


@contextlib.contextmanager
def running(args, **popen):
    """pyflame `args`, started (its stderr a pipe unless `popen` says
    otherwise), killed at the end unless it ended by then."""
    pyflame = subprocess.Popen([PYFLAME, *args], **{"stderr": subprocess.PIPE, **popen})
    try:
        yield pyflame
    finally:
        if pyflame.poll() is None:
            pyflame.kill()
            pyflame.wait()


def ended(pyflame, sig=None, stdin=None):
    """Sends pyflame `sig` (unless None), waits for its end (its standard
    input given `stdin`, if a pipe) and returns what it wrote on stdout
    (if a pipe) and stderr; its status must be 128 + sig (or 0)."""
    if sig:
        pyflame.send_signal(sig)
    out, err = pyflame.communicate(stdin, timeout=60)
    assert pyflame.returncode == (128 + sig if sig else 0), err.decode()
    return out, err.decode()


def tid_profile(pid, *args):
    res = run_pyflame([*args, "-p", str(pid)])
    assert res.returncode == 0, res.stderr.decode()
    return Profile(res.stdout.decode())


def test_tid_shows_that_thread_and_no_other(workers):
    """One thread listed: the profile is its stacks, idle when it does not
    run; the other busy thread's work never shows, nor does the main
    thread or the sleeper."""
    proc, ids = workers("alpha", "beta", "sleeper")
    for name, other in (("alpha", "beta"), ("beta", "alpha")):
        prof = tid_profile(proc.pid, "--tid", str(ids[name]), "-s", "1")
        assert WORKS[name] in functions(prof.stacks), prof.text
        assert not functions(prof.stacks) & {WORKS[other], "sleeper_work", "main"}, prof.text
        named = tid_profile(proc.pid, f"--tid={ids[name]}", "--thread-names", "-s", "0.5")
        assert {stack[0].func for stack in named.stacks} == {f"thread {name} ({ids[name]})"}


def test_several_tids_given_either_way(workers):
    """--tid A,B and --tid A --tid B: both threads, and only they."""
    proc, ids = workers("alpha", "beta", "sleeper")
    labels = {f"thread {n} ({ids[n]})" for n in ("alpha", "beta")}
    for args in (["--tid", "%d,%d" % (ids["alpha"], ids["beta"])],
                 ["--tid", str(ids["alpha"]), "--tid", str(ids["beta"])]):
        prof = tid_profile(proc.pid, *args, "--thread-names", "-s", "1")
        assert {stack[0].func for stack in prof.stacks} == labels, prof.text
        assert {"alpha_work", "beta_work"} <= functions(prof.stacks), prof.text
        assert not functions(prof.stacks) & {"sleeper_work", "main"}, prof.text


def test_tid_of_a_thread_that_waits_is_idle(workers):
    """The sleeper, and the main thread blocked in a read: every sample is
    idle, with one stack or with every listed thread's."""
    proc, ids = workers("alpha", "sleeper")
    settle(proc, ids)  # before, each may still be on its way to its wait
    for name in ("sleeper", "main"):
        # Attaching stops every thread once, which wakes the waiting one:
        # the sample just after may find it going back to its wait (one
        # sample of 492, on 3.7 in CI), running.  Never more than that.
        prof = tid_profile(proc.pid, "--tid", str(ids[name]), "-s", "0.5")
        assert prof.total <= 1 and prof.idle >= 10 * prof.total, prof.text
        prof = tid_profile(proc.pid, "--tid", str(ids[name]), "--thread-names", "-s", "0.5")
        label = f"thread {PYTHON_NAMES.get(name, name)} ({ids[name]});"
        lines = prof.text.splitlines()
        assert all(line.startswith(label) for line in lines), prof.text
        counts = collections.Counter()
        for line in lines:
            stack, _, n = line.rpartition(" ")
            counts[stack == label + "(idle)"] += int(n)
        assert counts[True] >= 10 * counts[False] and counts[False] <= 1, prof.text


def test_dump_of_listed_threads(workers):
    proc, ids = workers("alpha", "beta", "sleeper")
    res = run_pyflame(["-d", "--tid", str(ids["beta"]), "-p", str(proc.pid)])
    assert res.returncode == 0, res.stderr.decode()
    out = res.stdout.decode()
    assert [int(t) for t in re.findall(r"^(\d+)\*?:", out, re.M)] == [ids["beta"]], out
    assert "beta_work" in out and "alpha_work" not in out


@pytest.mark.parametrize("extra", [[], ["--gil"], ["--threads"]],
                         ids=["one_stack", "gil", "threads"])
def test_threads_not_listed_are_never_stopped(workers, extra):
    """A thread that is not listed is not stopped for samples: the sleeper
    and the main thread (blocked in a read) leave the CPU only when
    pyflame detaches (a stop of each, which detaching takes), while the
    thread listed, busy alone, is stopped for each sample.  Without --tid,
    --gil stops every thread at each sample on CPython 2.7, whose holder
    is not looked for in a program of several threads."""
    proc, ids = workers("alpha", "sleeper")
    settle(proc, ids)
    quiet = ("sleeper", "main")
    before = {name: switches(proc.pid, ids[name]) for name in (*quiet, "alpha")}
    prof = tid_profile(proc.pid, "--tid", str(ids["alpha"]), *extra, "-s", "1")
    after = {name: switches(proc.pid, ids[name]) for name in (*quiet, "alpha")}
    assert "alpha_work" in functions(prof.stacks), prof.text
    assert after["alpha"] - before["alpha"] >= 20, (before, after, prof.text)
    for name in quiet:
        assert after[name] - before[name] <= 6, (name, before, after)
    assert_left_running(proc.pid)


def test_run_ends_when_every_listed_thread_has_exited(workers, tmp_path):
    """-s -1 with the thread listed exiting: the run ends as if the target
    had, the profile written, exit 0; the target runs on, untraced."""
    proc, ids = workers("alpha", "sleeper")
    settle(proc, ids)
    out = tmp_path / "profile.txt"
    alpha = switches(proc.pid, ids["alpha"])
    with running(["--tid", str(ids["alpha"]), "-s", "-1", "-o", str(out),
                  "-p", str(proc.pid)]) as pyflame:
        wait_until(lambda: switches(proc.pid, ids["alpha"]) >= alpha + 20, "alpha sampled")
        end_thread(proc, "alpha")
        assert "the threads of --tid have all exited" in ended(pyflame)[1]
    assert "alpha_work" in functions(Profile(out.read_text()).stacks)
    assert_left_running(proc.pid)


def test_run_goes_on_for_the_listed_threads_left(workers, tmp_path):
    """Of two threads listed, one exits: the other is sampled on, until
    SIGINT ends the run."""
    proc, ids = workers("alpha", "beta", "sleeper")
    out = tmp_path / "profile.txt"
    with running(["--tid=%d,%d" % (ids["alpha"], ids["beta"]), "-s", "-1", "-o", str(out),
                  "-p", str(proc.pid)]) as pyflame:
        wait_traced_by(proc.pid, pyflame.pid)
        end_thread(proc, "alpha")
        settle(proc, ids)
        # Busy alone now: beta leaves the CPU only to be stopped, for samples.
        beta = switches(proc.pid, ids["beta"])
        wait_until(lambda: switches(proc.pid, ids["beta"]) >= beta + 20, "beta sampled")
        assert pyflame.poll() is None
        ended(pyflame, signal.SIGINT)
    assert "beta_work" in functions(Profile(out.read_text()).stacks)
    assert_left_running(proc.pid)


def test_tid_that_is_not_a_thread_of_the_target(workers):
    proc, ids = workers("alpha")
    res = run_pyflame(["--tid", str(os.getpid()), "-p", str(proc.pid)])
    assert res.returncode == 1
    assert (f"--tid {os.getpid()} is a thread of process {os.getpid()}, not of process "
            f"{proc.pid}: give threads of process {proc.pid}, as /proc/{proc.pid}/task lists "
            "them") in error_of(res)
    pid_max = int(open("/proc/sys/kernel/pid_max").read())
    res = run_pyflame(["--tid", f"{ids['alpha']},{pid_max + 1}", "-p", str(proc.pid)])
    assert res.returncode == 1
    assert f"process {proc.pid} has no thread {pid_max + 1}" in error_of(res)
    assert tracer_of(proc.pid) == 0


def test_ready_fd_that_cannot_be_written(workers):
    """Told before anything else, even before the target is looked for:
    a descriptor not open (the program that started pyflame kept it), and
    one open for reading only."""
    pid_max = int(open("/proc/sys/kernel/pid_max").read())
    res = run_pyflame(["--ready-fd", "9", "-p", str(pid_max + 1)])
    assert res.returncode == 1
    assert "--ready-fd 9: descriptor 9 is not open" in error_of(res)
    assert "pass_fds" in error_of(res)
    r, w = os.pipe()
    try:
        res = run_pyflame(["--ready-fd", str(r), "-p", str(pid_max + 1)], pass_fds=[r])
    finally:
        os.close(r)
        os.close(w)
    assert res.returncode == 1
    assert f"descriptor {r} is open for reading only" in error_of(res)


def read_ready(r):
    """What pyflame wrote on --ready-fd: its line, then the end of the file
    (pyflame closed it)."""
    line = os.read(r, 64)
    assert line == b"ready\n", line
    assert os.read(r, 64) == b""
    os.close(r)


def test_sigterm_after_ready_writes_the_whole_profile(workers, tmp_path):
    """-s -1 until SIGTERM, the ready line waited for: a complete document
    (speedscope's JSON) with the listed thread's work, exit 128 + 15."""
    proc, ids = workers("alpha", "sleeper")
    settle(proc, ids)
    out = tmp_path / "profile.json"
    r, w = os.pipe()
    with running(["--tid", str(ids["alpha"]), "-s", "-1", "-f", "speedscope", "-o", str(out),
                  "--ready-fd", str(w), "-p", str(proc.pid)], pass_fds=[w]) as pyflame:
        os.close(w)
        read_ready(r)
        assert tracer_of(proc.pid) == pyflame.pid
        alpha = switches(proc.pid, ids["alpha"])
        wait_until(lambda: switches(proc.pid, ids["alpha"]) >= alpha + 20, "alpha sampled")
        ended(pyflame, signal.SIGTERM)
    doc = json.loads(out.read_text())
    names = {frame["name"] for frame in doc["shared"]["frames"]}
    assert "alpha_work" in names and "sleeper_work" not in names, names
    assert [p["name"] for p in doc["profiles"]] == [f"thread ({ids['alpha']})"]
    assert_left_running(proc.pid)


def test_ready_fd_with_trace(python, tmp_path):
    """-t: the line comes once the command is sampled, and the command does
    not inherit the descriptor."""
    r, w = os.pipe()
    code = ("import os, sys\n"
            "try:\n"
            "    os.fstat(%d)\n"
            "    sys.stdout.write('inherited\\n')\n"
            "except OSError:\n"
            "    sys.stdout.write('not inherited\\n')\n"
            "sys.stdout.flush()\n"
            "sys.stdin.read()\n" % w)
    with running(["--ready-fd", str(w), "-o", str(tmp_path / "p.txt"), "-t", python, "-c", code],
                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, pass_fds=[w]) as pyflame:
        os.close(w)
        read_ready(r)
        # Its input at an end, the command exits.
        assert ended(pyflame, stdin=b"")[0] == b"not inherited\n"


@pytest.mark.parametrize("fmt", ["folded", "speedscope"])
def test_region_profiler(python, fmt, tmp_path):
    """targets/region_profiler.py profiles a block of its own thread: the
    line came once pyflame had attached and taken a sample (of the only
    place the thread was before it: before_ready), SIGINT ended pyflame
    (exit 130) with the profile written, whole, and no stack of the busy
    thread not listed in it."""
    out = tmp_path / "profile"
    res = subprocess.run([python, str(TARGETS / "region_profiler.py"), PYFLAME, str(out),
                          "-f", fmt], capture_output=True, timeout=120)
    assert res.returncode == 0, res.stderr.decode()
    told = dict(line.split(" ", 1) for line in res.stdout.decode().splitlines())
    assert told["line"] == "ready\\n" and told["eof"] == "True", told
    assert told["traced_by"] == told["pyflame"], told
    assert told["status"] == str(128 + signal.SIGINT), told
    if fmt == "folded":
        found = functions(Profile(out.read_text()).stacks)
    else:
        found = {frame["name"] for frame in json.loads(out.read_text())["shared"]["frames"]}
    assert {"before_ready", "region_work"} <= found, found
    assert "other_work" not in found, found
