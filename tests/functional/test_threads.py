"""--threads, --thread-names and -d against a target with busy and
sleeping threads, on every interpreter."""
import os
import re

import pytest

from conftest import (MODES, NO_GIL, TARGETS, Profile, marker_line, profile, python_leaf,
                      run_pyflame, start_target, stop_target, tracer_of, wait_asleep,
                      wait_until)

TARGET = TARGETS / "threads.py"
# Each thread's name, as the target sets it, by the function it runs.
NAMES = {"busy_alpha": "alpha", "busy_beta": "beta", "sleepy": u"schl\u00e4fer-\u00e9",
         "<module>": "main-waiter"}


def tasks(pid):
    return set(int(t) for t in os.listdir("/proc/%d/task" % pid))


def leaves(prof):
    counts = {}
    for stack, n in prof.stacks.items():
        func = python_leaf(stack).func
        counts[func] = counts.get(func, 0) + n
    return counts


@pytest.mark.parametrize("mode", MODES)
def test_every_busy_thread_shows_and_sleepers_are_idle(python, mode, tmp_path):
    prof, _ = profile(python, mode, TARGET, seconds=1.5, extra=["--threads"], tmp_path=tmp_path)
    found = leaves(prof)
    assert found.get("busy_alpha", 0) > 0 and found.get("busy_beta", 0) > 0, prof.text
    # Threads asleep are idle: the sleeper and the joining main thread
    # appear only in the moments they run around sleep() and join().
    waiting = sum(n for f, n in found.items() if f in ("sleepy", "join", "wait"))
    busy = found["busy_alpha"] + found["busy_beta"]
    assert waiting <= 0.05 * busy, found
    assert prof.idle > 0
    # Each busy thread sits on its loop's line; a sample may catch one on
    # its first line, before the loop (seen on a loaded machine), but the
    # loop's line must be where it mostly is.
    alpha_line = marker_line(TARGET, "ALPHA")
    alpha = {}
    for stack, n in prof.stacks.items():
        leaf = python_leaf(stack)
        if leaf.func == "busy_alpha":
            assert leaf.line in (alpha_line - 1, alpha_line), stack
            alpha[leaf.line] = alpha.get(leaf.line, 0) + n
    assert alpha.get(alpha_line, 0) > alpha.get(alpha_line - 1, 0), alpha

    prof_x, _ = profile(python, mode, TARGET, seconds=1.0, extra=["--threads", "-x"],
                        tmp_path=tmp_path)
    assert prof_x.idle == 0 and "(idle)" not in prof_x.text
    assert "busy_alpha" in leaves(prof_x) and "busy_beta" in leaves(prof_x)


def test_thread_names_put_each_thread_at_the_root(python):
    target = start_target(python, TARGET, 30)
    try:
        res = run_pyflame(["--thread-names", "-x", "-s", "1", "-p", str(target.pid)])
        assert res.returncode == 0, res.stderr.decode()
        threads = tasks(target.pid)
    finally:
        stop_target(target)
    roots = {}
    for line in res.stdout.decode("utf-8").splitlines():
        stack, _, count = line.rpartition(" ")
        root, _, rest = stack.partition(";")
        m = re.fullmatch(r"thread (?:(.+) )?\((\d+)\)", root)
        assert m, line
        tid = int(m.group(2))
        assert tid in threads, (tid, threads)
        leaf = [f for f in rest.split(";") if f != NO_GIL][-1].split(":")[-2]
        roots.setdefault(leaf, set()).add((m.group(1), tid))
    # Each busy function runs in one thread, named as the target named it,
    # and not the same one.
    for busy in ("busy_alpha", "busy_beta"):
        assert len(roots[busy]) == 1, roots
        assert next(iter(roots[busy]))[0] == NAMES[busy], roots
    assert roots["busy_alpha"] != roots["busy_beta"]


def test_idle_threads_are_idle_under_their_own_names(python):
    """--thread-names: a thread that is not running is "(idle)" under its
    own name, so that each thread counts once a sample and no idle time is
    without its thread."""
    target = start_target(python, TARGET, 30)
    try:
        res = run_pyflame(["--thread-names", "-s", "1", "-p", str(target.pid)])
        threads = tasks(target.pid)
    finally:
        stop_target(target)
    assert res.returncode == 0, res.stderr.decode()
    prof = Profile(res.stdout.decode("utf-8"))
    assert prof.idle == 0, prof.text
    counts, idle = {}, {}
    for stack, n in prof.stacks.items():
        m = re.fullmatch(r"thread (?:(.+) )?\((\d+)\)", stack[0].func)
        assert m and int(m.group(2)) in threads, (stack[0], threads)
        counts[m.group(1)] = counts.get(m.group(1), 0) + n
        if [f.func for f in stack[1:]] == ["(idle)"]:
            assert stack[1].file == "", stack
            idle[m.group(1)] = idle.get(m.group(1), 0) + n
    assert set(counts) == set(NAMES.values()), counts
    assert len(set(counts.values())) == 1, counts
    # The sleeper and main (in join()) are idle nearly always.
    for name in (NAMES["sleepy"], NAMES["<module>"]):
        assert idle.get(name, 0) >= 0.95 * counts[name], (name, idle, counts)


def test_dump_shows_every_thread_once(python, python_version):
    sleep_line = marker_line(TARGET, "SLEEP")
    join_line = marker_line(TARGET, "JOIN")
    target = start_target(python, TARGET, 30)
    try:
        # The sleeper may not be in its sleep yet, nor the main thread in
        # join(), when "ready" comes: dump until both are.
        def dumped_in_place():
            res = run_pyflame(["-d", "-p", str(target.pid)])
            text = res.stdout.decode("utf-8")
            return res if (res.returncode != 0 or
                           ("    sleepy (%s:%d)" % (TARGET, sleep_line) in text and
                            "    <module> (%s:%d)" % (TARGET, join_line) in text)) else None
        res = wait_until(dumped_in_place, "the sleeper asleep and main in join()")
        threads = tasks(target.pid)
        assert tracer_of(target.pid) == 0  # detached again
        assert target.poll() is None
    finally:
        stop_target(target)
    assert res.returncode == 0, res.stderr.decode()
    text = res.stdout.decode("utf-8")
    assert text.startswith("Process %d: CPython %d.%d\n" % ((target.pid,) + python_version))
    blocks = text.split("\n\n")[1:]
    assert len(blocks) == len(threads) == 4, text
    heads = [b.splitlines()[0] for b in blocks]
    # Each thread's head line begins "TID:" ("TID*:" for the GIL's holder)
    # in the first column, as Uber's Pyflame printed it.
    tids = set(int(re.match(r"(\d+)\*?: ", h).group(1)) for h in heads)
    assert tids == threads, (tids, threads)
    # Every thread by its Python name, found from the function it runs;
    # the main thread is the one whose id is the process id.
    for block in blocks:
        head = block.splitlines()[0]
        functions = [line.split()[0] for line in block.splitlines()[1:]]
        function = [f for f in functions if f in NAMES][0]
        assert re.match(r'\d+\*?: "%s" \(' % re.escape(NAMES[function]), head), block
        if function == "<module>":
            assert re.match(r"%d\*?: " % target.pid, head), head
    # Then what the kernel says the thread does, and the GIL, apart.
    assert all(re.search(r" \((running|sleeping), (holds|without) the GIL\)$", h)
               for h in heads), heads
    assert sum("holds the GIL" in h for h in heads) <= 1
    assert all(("holds the GIL" in h) == bool(re.match(r"\d+\*:", h)) for h in heads), heads
    frames = dict((b.splitlines()[1].split()[0], b) for b in blocks)
    assert "    sleepy (%s:%d)" % (TARGET, sleep_line) in frames["sleepy"], text
    assert "(sleeping, without the GIL)" in frames["sleepy"].splitlines()[0]
    assert "    <module> (%s:%d)" % (TARGET, join_line) in text
    for busy in ("busy_alpha", "busy_beta"):
        assert busy in frames, text



def context_switches(pid, tid):
    counts = {}
    with open("/proc/%d/task/%d/status" % (pid, tid)) as f:
        for line in f:
            key, _, value = line.partition(":")
            if key.endswith("ctxt_switches"):
                counts[key] = int(value)
    return sum(counts.values())


# How often attaching and detaching may wake a sleeping thread: each stops
# every thread once or twice.
ATTACH_WAKES = 8


def woken_sleepers(python, extra, *target_args):
    """Runs pyflame on busy_among_sleepers.py for 1 s at 500 Hz: how often
    each sleeping thread was woken, and in how many samples main was busy."""
    target = start_target(python, TARGETS / "busy_among_sleepers.py", 30, *target_args)
    try:
        wait_asleep(target.pid, 4)
        sleepers = tasks(target.pid) - {target.pid}
        before = dict((t, context_switches(target.pid, t)) for t in sleepers)
        res = run_pyflame([*extra, "-s", "1", "-r", "0.002", "-p", str(target.pid)])
        after = dict((t, context_switches(target.pid, t)) for t in sleepers)
    finally:
        stop_target(target)
    assert res.returncode == 0, res.stderr.decode()
    # Samples in which the main thread was busy: nearly all of them, and
    # enough that a sleeper stopped for each would be woken far more often
    # than attaching and detaching wake it.
    busy_line = ":%d" % marker_line(TARGETS / "busy_among_sleepers.py", "BUSY")
    stacks = [line.rpartition(" ") for line in res.stdout.decode().splitlines()]
    busy = sum(int(n) for stack, _, n in stacks if stack.endswith(busy_line))
    assert busy >= 3 * ATTACH_WAKES, res.stdout.decode()
    return dict((t, after[t] - before[t]) for t in sleepers), busy


@pytest.mark.parametrize("extra", [[], ["--threads"]], ids=["holder", "threads"])
def test_only_the_gil_holder_is_stopped(python, extra):
    """Stop mode stops the thread holding the GIL (on 2.7, the threads
    running), not the threads asleep: they are not woken for every
    sample (a stopped sleeper is woken to stop, and again to go on)."""
    woken, busy = woken_sleepers(python, extra)
    assert len(woken) == 4, woken
    assert all(n <= ATTACH_WAKES for n in woken.values()), (woken, busy)


def stops_of_a_sleeping_program(python, *target):
    """Profiles a program whose every thread sleeps, 1 s at 500 Hz: the
    profile, and how often each of its threads was woken meanwhile."""
    proc = start_target(python, *target)
    try:
        # "ready" comes just before the main thread's sleep: wait until it
        # and every other thread are in it.
        threads = tasks(proc.pid)
        wait_asleep(proc.pid, len(threads))
        before = dict((t, context_switches(proc.pid, t)) for t in threads)
        res = run_pyflame(["-s", "1", "-r", "0.002", "-p", str(proc.pid)])
        after = dict((t, context_switches(proc.pid, t)) for t in threads)
    finally:
        stop_target(proc)
    assert res.returncode == 0, res.stderr.decode()
    prof = Profile(res.stdout.decode())
    assert prof.idle >= 3 * ATTACH_WAKES and prof.total == 0 and prof.failed == 0, prof.text
    return prof, dict((t, after[t] - before[t]) for t in threads)


def test_a_program_nobody_runs_is_not_stopped(python):
    """With every thread asleep, the kernel says no thread runs: the
    sample is idle, and no thread is stopped for it."""
    prof, woken = stops_of_a_sleeping_program(
        python, TARGETS / "busy_among_sleepers.py", 30, "asleep")
    assert len(woken) == 5, woken
    assert all(n <= ATTACH_WAKES for n in woken.values()), (woken, prof.idle)


def test_a_sleeping_program_of_one_thread_is_not_stopped(python):
    """The same for a program of one thread, 2.7 too: a sample that would
    stop it would wake it from its sleep."""
    prof, woken = stops_of_a_sleeping_program(python, TARGETS / "sleeper.py", 30)
    assert len(woken) == 1, woken
    assert all(n <= ATTACH_WAKES for n in woken.values()), (woken, prof.idle)


def test_every_running_thread_is_stopped_beside_an_own_gil(python, python_version):
    """A subinterpreter with a GIL of its own (3.12+) runs Python code
    beside the main GIL's holder: then every running thread is stopped,
    not the holder of one of the GILs alone, and the sleepers still are
    not."""
    if python_version < (3, 12):
        pytest.skip("interpreters with a GIL of their own came in 3.12")
    woken, busy = woken_sleepers(python, ["--threads"], "own-gil")
    assert len(woken) == 5, woken
    # The fifth thread is busy in the subinterpreter: stopped once a sample.
    assert sorted(n >= busy for n in woken.values()) == [False] * 4 + [True], (woken, busy)
    assert sorted(woken.values())[3] <= ATTACH_WAKES, (woken, busy)
