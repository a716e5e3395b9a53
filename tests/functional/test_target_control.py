"""What pyflame does to its target: nothing it would notice.  Signals reach
it while it is sampled, job control keeps working, new threads do not
break the attach, and exec in trace mode is followed."""
import os
import re
import shutil
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import (MIN_SAMPLES, PYFLAME, TARGETS, Profile, env_for_pyflame_under_tracer,
                      marker_line, profile, require,
                      run_pyflame, start_target, stop_target, tracer_of, wait_traced_by,
                      wait_until)
from testlib.measure import proc_stat


def proc_state(pid):
    fields = proc_stat(f"/proc/{pid}/stat")
    return fields[0], int(fields[11]) + int(fields[12])  # state, utime+stime


HELD = re.compile(r"the target was stopped for (\d+)% of the run to be read")


def test_stopping_the_target_much_of_the_time_is_told(python):
    """Sampling as fast as it can (-r of a microsecond), stop mode holds a
    busy target for most of its time, whatever the machine's speed, and
    pyflame says so and names the ways out; at 4 Hz, or with --nonblocking,
    it says nothing.  (At 100 Hz the sanitized build, whose samples take
    about 2 ms, held it 18%: at 4 Hz a sample would need 25 ms.)"""
    target = start_target(python, TARGETS / "exact_line.py", 60)
    try:
        err = {}
        for name, extra in [("fast", ["-r", "0.000001"]), ("slow", ["--hz", "4"]),
                            ("nonblocking", ["--nonblocking", "-r", "0.000001"])]:
            res = run_pyflame([*extra, "-s", "2", "-o", os.devnull, "-p", str(target.pid)])
            assert res.returncode == 0, res.stderr.decode()
            err[name] = res.stderr.decode()
    finally:
        stop_target(target)
    held = HELD.search(err["fast"])
    assert held and 10 <= int(held.group(1)) <= 100, err
    assert "-r" in err["fast"] and "--nonblocking" in err["fast"], err
    assert not HELD.search(err["slow"]) and not HELD.search(err["nonblocking"]), err


def test_signal_reaches_target_between_samples(python, tmp_path):
    log = tmp_path / "usr1.log"
    target = subprocess.Popen([python, str(TARGETS / "signals.py"), "30", str(log)],
                              stdout=subprocess.PIPE)
    try:
        assert target.stdout.readline().strip() == b"ready"
        # One sample an hour, for an hour: a signal that waited for the next
        # sample would only arrive when pyflame detaches.
        pyflame = subprocess.Popen([PYFLAME, "-r", "3600", "-s", "3600", "-p", str(target.pid)],
                                   stdout=subprocess.DEVNULL)
        try:
            wait_traced_by(target.pid, pyflame.pid)
            os.kill(target.pid, signal.SIGUSR1)
            wait_until(lambda: log.read_text().split(), "the SIGUSR1 handler ran")
            # Handled while pyflame still held the target.
            assert tracer_of(target.pid) == pyflame.pid and pyflame.poll() is None
        finally:
            pyflame.send_signal(signal.SIGINT)
            pyflame.wait(timeout=30)
        assert tracer_of(target.pid) == 0
    finally:
        stop_target(target)


def test_sigstop_keeps_the_target_stopped(python):
    target = start_target(python, TARGETS / "exact_line.py", 60)
    try:
        pyflame = subprocess.Popen([PYFLAME, "-s", "3", "-p", str(target.pid)],
                                   stdout=subprocess.DEVNULL)
        wait_traced_by(target.pid, pyflame.pid)
        os.kill(target.pid, signal.SIGSTOP)
        # Stopped by the signal: pyflame saw the group stop and lets it be.
        wait_until(lambda: proc_state(target.pid)[0] in ("t", "T"), "the target stopped")
        _, cpu_before = proc_state(target.pid)
        # Each sample wakes the stopped thread for a moment to read it.
        states = []
        for _ in range(20):
            states.append(proc_state(target.pid)[0])
            time.sleep(0.05)
        _, cpu_after = proc_state(target.pid)
        assert sum(s in ("t", "T") for s in states) >= 15, states
        assert cpu_after - cpu_before <= 5, "a stopped target kept running"
        assert pyflame.wait(timeout=30) == 0
        assert proc_state(target.pid)[0] == "T"  # still stopped, untraced
        assert tracer_of(target.pid) == 0
        os.kill(target.pid, signal.SIGCONT)
        wait_until(lambda: proc_state(target.pid)[0] in ("R", "S"), "the target running again")
    finally:
        stop_target(target)


def test_attaching_to_a_stopped_target_leaves_it_stopped(python):
    target = start_target(python, TARGETS / "exact_line.py", 60)
    try:
        # Past its "ready" write (which releases the GIL), in its loop: it
        # has run for 20 ms of CPU time since.
        _, cpu = proc_state(target.pid)
        wait_until(lambda: proc_state(target.pid)[1] >= cpu + 2, "the target in its loop")
        os.kill(target.pid, signal.SIGSTOP)
        wait_until(lambda: proc_state(target.pid)[0] == "T", "the target stopped")
        _, cpu_before = proc_state(target.pid)
        res = run_pyflame(["-s", "1", "-p", str(target.pid)])
        assert res.returncode == 0, res.stderr.decode()
        # It does not run: idle, as the kernel says.  Its GIL's holder is
        # still there to read.
        assert Profile(res.stdout.decode()).total == 0, res.stdout.decode()
        res = run_pyflame(["--gil", "-s", "1", "-p", str(target.pid)])
        assert res.returncode == 0, res.stderr.decode()
        assert "hot_leaf" in res.stdout.decode()
        state, cpu_after = proc_state(target.pid)
        assert state == "T" and cpu_after - cpu_before <= 5
    finally:
        stop_target(target)


def test_attach_while_threads_start_threads(python):
    target = start_target(python, TARGETS / "spawner.py", 60)
    try:
        for _ in range(25):
            res = run_pyflame(["-s", "0.1", "-p", str(target.pid)])
            assert res.returncode == 0, res.stderr.decode()
            assert tracer_of(target.pid) == 0
            # What it read is the spawner's: stacks of its main program or
            # of the threads it started; a sample may fail on a thread that
            # ends as it is read, not more.
            prof = Profile(res.stdout.decode())
            assert prof.samples > 0 and prof.failed <= 1 + 0.02 * prof.samples, prof.text
            for stack in prof.stacks:
                root = stack[0]
                assert ((root.file, root.func) == (str(TARGETS / "spawner.py"), "<module>") or
                        (root.file.endswith("/threading.py") and root.func == "_bootstrap")), stack
    finally:
        stop_target(target)


def test_trace_follows_exec_with_the_right_names(python, tmp_path):
    prof, _ = profile(python, "trace", TARGETS / "exec_first.py", seconds=1.5,
                      tmp_path=tmp_path)
    beta = prof.with_function("beta")
    assert sum(beta.values()) >= MIN_SAMPLES, prof.text
    second = str(TARGETS / "exec_second.py")
    hot = marker_line(second, "HOT")
    for stack in beta:
        assert stack[-1].file == second
        # A sample may catch beta on its first line, before its loop.
        assert hot - 1 <= stack[-1].line <= hot, stack[-1]
    assert max(beta, key=beta.get)[-1].line == hot, beta
    # Frames of the first program are only ever its own two, at their lines:
    # nothing of the second is labelled with the first's names.
    first = str(TARGETS / "exec_first.py")
    last_line = len(open(first).read().splitlines())
    seen = {f for s in prof.stacks for f in s if f.file == first or f.func == "alpha"}
    for f in seen:
        assert f.file == first, f
        if f.func == "alpha":  # its own lines: def to the busy loop
            assert marker_line(first, "HOT") - 2 <= f.line <= marker_line(first, "HOT"), f
        else:
            # Module-level code: its imports too (a sample may land on
            # one), never alpha's body.
            alpha_hot = marker_line(first, "HOT")
            assert f.func == "<module>" and 1 <= f.line <= last_line, f
            assert not alpha_hot - 1 <= f.line <= alpha_hot, f


def test_failed_run_leaves_output_file_alone(tmp_path):
    existing = tmp_path / "existing.txt"
    existing.write_text("keep me\n")
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        res = run_pyflame(["-o", str(existing), "-p", str(sleeper.pid)])
        assert res.returncode == 1
        assert existing.read_text() == "keep me\n"
        fresh = tmp_path / "fresh.txt"
        res = run_pyflame(["-o", str(fresh), "-p", str(sleeper.pid)])
        assert res.returncode == 1 and not fresh.exists()
    finally:
        sleeper.kill()
        sleeper.wait()


def short_programs(python):
    """Programs that end within a few tens of milliseconds, as pyflame
    attaches or samples, each with the exit status it must have."""
    return [
        (["/bin/sleep", "0.05"], 0),
        (["sh", "-c", "exit 7"], 7),
        ([python, "-c", "raise SystemExit(3)"], 3),
        ([python, "-c", "import os; os.execv('/bin/sleep', ['sleep', '0.05'])"], 0),
        ([python, "-c", "import os; os.execv('/bin/sh', ['sh', '-c', 'exit 5'])"], 5),
    ]


@pytest.mark.parametrize("extra", [[], ["--nonblocking"]], ids=["stop", "nonblocking"])
def test_trace_keeps_the_exit_status_of_short_programs(python, extra):
    """-t exits with the program's own status, and says nothing is wrong,
    however the program's exit (or its exec into a program that is no
    Python) falls among pyflame's attach, its search for the interpreter
    and its samples: 200 short programs, two at a time.  Before, with
    --nonblocking, a few in a hundred exited 1 with 'no process with PID
    N', or printed 'none of the 1 samples could be read'."""
    runs = [kind for _ in range(40) for kind in short_programs(python)]

    def run(kind):
        argv, want = kind
        res = run_pyflame([*extra, "-o", os.devnull, "-t", *argv])
        err = res.stderr.decode(errors="replace")
        if res.returncode != want or "error:" in err:
            return f"{argv[-1]!r}: exit {res.returncode}, not {want}: {err.strip()}"
        return None

    with ThreadPoolExecutor(max_workers=2) as pool:
        wrong = [w for w in pool.map(run, runs) if w]
    assert not wrong, f"{len(wrong)} of {len(runs)} runs:\n" + "\n".join(wrong[:10])


# Busy for argv[1] seconds without a system call, then prints how many
# times it left the CPU of its own accord meanwhile: a ptrace stop is one.
SPINNER = r"""
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 1.0;
    struct rusage before, after;
    struct timespec start, now;
    volatile unsigned long work = 0;
    getrusage(RUSAGE_SELF, &before);
    clock_gettime(CLOCK_MONOTONIC, &start);
    do {
        for (int i = 0; i < 10000; i++)
            work++;
        clock_gettime(CLOCK_MONOTONIC, &now); /* the vDSO: no system call */
    } while ((double)(now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 < seconds);
    getrusage(RUSAGE_SELF, &after);
    printf("stops %ld\n", after.ru_nvcsw - before.ru_nvcsw);
    return 0;
}
"""


@pytest.mark.parametrize("how", ["direct", "exec_from_python"])
def test_trace_of_a_non_python_program_never_stops_it(python, how, tmp_path):
    """-t of a program that is no Python, or that a Python program execs
    into: while no interpreter is found, pyflame neither stops it nor reads
    its ELF files again at every tick, only its maps, less and less often
    while they stay the same.  Before, each tick (1 kHz) stopped it and
    read its maps and every ELF file mapped as code: a second of the
    spinner was stopped about 900 times, and pyflame called openat about
    2,000 times."""
    require(shutil.which("cc"), "cc")
    require(shutil.which("strace"), "strace")
    src, exe = tmp_path / "spinner.c", tmp_path / "spinner"
    src.write_text(SPINNER)
    subprocess.run(["cc", "-O1", "-o", str(exe), str(src)], check=True)
    argv = [str(exe), "1"]
    if how == "exec_from_python":
        argv = [python, "-c", "import os, sys; os.execv(sys.argv[1], sys.argv[1:])", *argv]
    trace = tmp_path / "strace.txt"
    # strace follows pyflame alone (no -f): its child is pyflame's to trace.
    res = subprocess.run(["strace", "-c", "-e", "trace=openat", "-o", str(trace),
                          PYFLAME, "-r", "0.001", "-o", os.devnull, "-t", *argv],
                         capture_output=True, timeout=60, env=env_for_pyflame_under_tracer())
    err = res.stderr.decode(errors="replace")
    assert res.returncode == 0, err
    stops = int(re.search(rb"^stops (\d+)$", res.stdout, re.M).group(1))
    # A thousand ticks; an exec, a dynamic loader and a stray wake-up at most.
    assert stops <= 5, (stops, err)
    calls = re.search(r"^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)(\s+\d+)?\s+openat$",
                      trace.read_text(), re.M)
    # pyflame's start (its plugins, the loader, a sanitizer's files) and a
    # look at the maps every 50 ms: tens, not thousands.
    assert calls and int(calls.group(1)) <= 200, trace.read_text()
