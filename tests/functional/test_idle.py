"""Idle is what the kernel says: a thread is running in state R, with the
GIL or without it.  Threads busy in C code that releases the GIL, and
threads blocked without it (targets/gil_released.py), on every
interpreter."""
import collections
import os
import re

import pytest

from conftest import (MAX_FAILED_SHARE, SLEEP_SYSCALLS, TARGETS, Frame, Profile,
                      assert_steady_profile, marker_line, run_pyflame, start_target,
                      stop_target, wait_until)

TARGET = TARGETS / "gil_released.py"
NO_GIL = Frame("", "(no GIL)", None)
IDLE = Frame("", "(idle)", None)  # a thread's idle time, under its name
SAMPLING = {"stop": [], "nonblocking": ["--nonblocking"]}
# Each busy kind: the function whose marked line calls into C without the GIL.
LOOPS = {"hash": ("hash_loop", "HASH"), "zlib": ("zlib_loop", "ZLIB")}
# socket.recv() blocks in recvfrom(2), Thread.join() in futex(2).
RECVFROM, FUTEX = 45, 202


def blocked_threads(pid, calls):
    """Threads of `pid` asleep (state S) in one of the system calls `calls`."""
    found = set()
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
            with open("/proc/%d/task/%s/syscall" % (pid, tid)) as f:
                call = f.read().split()[0]
        except (OSError, IndexError):
            continue
        if state == "S" and call.isdigit() and int(call) in calls:
            found.add(int(tid))
    return found


def wait_blocked(proc, kind):
    """Waits until the blocking threads of `kind` are asleep in their calls
    (threads: the sleeper, and the main thread in join()): also after a
    pyflame has left, which stopped them, and which they may outlast on
    their way back in."""
    if kind == "threads":
        wait_until(lambda: (blocked_threads(proc.pid, SLEEP_SYSCALLS) and
                            proc.pid in blocked_threads(proc.pid, {FUTEX})),
                   "the sleeper asleep, the main thread in join()")
    else:
        calls = SLEEP_SYSCALLS if kind == "sleep" else {RECVFROM}
        wait_until(lambda: proc.pid in blocked_threads(proc.pid, calls), kind + ": blocked")


def start(python, kind):
    """The target at work: since "ready" comes just before the work, each
    busy thread in a dump at its marked call (threads: the main thread in
    join()), and the blocking threads blocked."""
    proc = start_target(python, TARGET, kind, 60)
    places = {"hash": [("hash_loop", "HASH")], "zlib": [("zlib_loop", "ZLIB")],
              "threads": [("zlib_loop", "ZLIB"), ("threads", "JOIN")]}.get(kind, [])
    places = ["    %s (%s:%d)" % (func, TARGET, marker_line(TARGET, marker))
              for func, marker in places]

    def dumped_in_place():
        res = run_pyflame(["-d", "-p", str(proc.pid)])
        assert res.returncode == 0, res.stderr.decode()
        return all(place in res.stdout.decode("utf-8") for place in places)

    try:
        if places:
            wait_until(dumped_in_place, "the target's threads at %s" % places)
        if kind in ("sleep", "socket", "threads"):
            wait_blocked(proc, kind)
    except BaseException:
        stop_target(proc)
        raise
    return proc


def sample(proc, *extra):
    """pyflame `extra` on the running target for half a second."""
    res = run_pyflame([*extra, "-s", "0.5", "-p", str(proc.pid)])
    assert res.returncode == 0, res.stderr.decode()
    return Profile(res.stdout.decode("utf-8"))


# The share of samples in which a thread busy in zlib or hashlib runs
# without the GIL, at least.  Between two calls that release it, it holds
# the GIL to allocate and join the output, for a share of its time that
# grows with the machine's load (page faults, CPU contention): about 2%
# on a quiet machine, 20% seen with the suite and a build beside it.
# Most of its samples are still without the GIL, which is what is tested.
MOSTLY_WITHOUT_GIL = 0.5


def assert_no_gil_at(stacks, samples, func, line, sampling):
    """Asserts that the leaf (no GIL) of these stacks (and counts) is right
    below the marked call in `func`, the one call that releases the GIL,
    in every stop-mode sample: the thread is stopped, its GIL and its stack
    are of one moment.  --nonblocking reads the one, then the other, and
    may pair a released GIL with the line the thread went on to: in a few
    of the `samples`.  The label is a leaf, never above one."""
    misplaced = 0
    for stack, n in stacks.items():
        assert NO_GIL not in stack[:-1], stack
        if stack[-1] == NO_GIL and stack[-2] != Frame(str(TARGET), func, line):
            assert sampling == "nonblocking", stack
            misplaced += n
    assert misplaced <= MAX_FAILED_SHARE * samples, (misplaced, samples, stacks)


# Each kind in stop mode, one of them also --nonblocking: the paths apart
# from the reads are the same, and the suite runs once per interpreter.
@pytest.mark.parametrize("kind, sampling", [("zlib", "stop"), ("zlib", "nonblocking"),
                                            ("hash", "stop")])
def test_busy_without_the_gil_is_running(python, python_version, kind, sampling):
    """A thread busy in C code without the GIL is running: its stack under
    a leaf (no GIL) in most samples (MOSTLY_WITHOUT_GIL).  With --gil, only the GIL's
    holder runs: nearly every sample idle, no (no GIL)."""
    if kind == "hash" and python_version < (3, 6):
        pytest.skip("hash is BLAKE2b, 3.6+: 2.7's hashes release the GIL only from "
                    "OpenSSL's _hashlib, which not every build has")
    func, marker = LOOPS[kind]
    line = marker_line(TARGET, marker)
    proc = start(python, kind)
    try:
        prof = sample(proc, *SAMPLING[sampling])
        assert_steady_profile(prof)
        assert_no_gil_at(prof.stacks, prof.samples, func, line, sampling)
        for stack in prof.stacks:
            assert [f.func for f in stack[:2]] == ["<module>", func], stack
        without_gil = sum(n for s, n in prof.stacks.items() if s[-1] == NO_GIL)
        assert without_gil >= MOSTLY_WITHOUT_GIL * prof.samples, prof.text
        assert prof.idle <= 0.1 * prof.samples, prof.text

        gil = sample(proc, "--gil", *SAMPLING[sampling])
    finally:
        stop_target(proc)
    assert_steady_profile(gil)
    assert "(no GIL)" not in gil.text
    assert gil.idle >= 0.5 * gil.samples, gil.text


@pytest.mark.parametrize("kind, sampling", [("sleep", "stop"), ("sleep", "nonblocking"),
                                            ("socket", "stop")])
def test_blocked_without_the_gil_is_idle(python, kind, sampling):
    """A thread asleep, or blocked in recv(), is idle in every sample; -x
    leaves them all out, says so, and prints nothing."""
    proc = start(python, kind)
    try:
        prof = sample(proc, *SAMPLING[sampling])
        wait_blocked(proc, kind)
        res = run_pyflame(["-x", *SAMPLING[sampling], "-s", "0.2", "-p", str(proc.pid)])
    finally:
        stop_target(proc)
    assert_steady_profile(prof)
    assert prof.total == 0, prof.text
    assert res.returncode == 0, res.stderr.decode()
    assert res.stdout == b""
    assert re.search(r"^pyflame: warning: -x left out (all \d+ samples|the one sample) as idle",
                     res.stderr.decode(), re.M), res.stderr.decode()


@pytest.mark.parametrize("sampling", SAMPLING)
def test_threads_show_the_thread_running_without_the_gil(python, sampling):
    """--threads --thread-names: the compressor, running without the GIL,
    under its root `thread compressor (TID)` and a leaf (no GIL); the
    sleeper and the main thread, in join(), are idle."""
    line = marker_line(TARGET, "ZLIB")
    proc = start(python, "threads")
    try:
        prof = sample(proc, "--threads", "--thread-names", *SAMPLING[sampling])
        tasks = set(int(t) for t in os.listdir("/proc/%d/task" % proc.pid))
    finally:
        stop_target(proc)
    assert_steady_profile(prof)
    threads = collections.Counter()
    idle = collections.Counter()
    compressor_stacks = collections.Counter()
    assert prof.idle == 0, prof.text  # every idle sample is some thread's
    for stack, n in prof.stacks.items():
        m = re.fullmatch(r"thread (?:(.+) )?\((\d+)\)", stack[0].func)
        assert m and stack[0].file == "", stack
        assert int(m.group(2)) in tasks, (stack[0], tasks)
        threads[m.group(1), int(m.group(2))] += n
        if stack[1:] == (IDLE,):
            idle[m.group(1)] += n
        elif m.group(1) == "compressor":
            compressor_stacks[stack[1:]] += n
    compressor = [t for t in threads if t[0] == "compressor"]
    assert len(compressor) == 1 and compressor[0][1] != proc.pid, threads
    assert_no_gil_at(compressor_stacks, prof.samples, "zlib_loop", line, sampling)
    without_gil = sum(n for s, n in compressor_stacks.items() if s[-1] == NO_GIL)
    # Most of the compressor's stacks are without the GIL; it runs in every
    # tick, one of three threads (an idle one counts as a sample), as the
    # equal counts below require.
    assert without_gil >= MOSTLY_WITHOUT_GIL * threads[compressor[0]], prof.text
    # Each thread counts once a sample: its stack, or its (idle).
    assert len(threads) == 3 and len(set(threads.values())) == 1, threads
    # The others are idle, under their own names; they show a stack only if
    # caught runnable on their way back into the wait that attaching,
    # which stops every thread, broke off.
    others = sum(n for t, n in threads.items() if t[0] != "compressor")
    assert others - idle["sleeper"] - idle["MainThread"] <= 0.05 * without_gil, prof.text
    assert min(idle["sleeper"], idle["MainThread"]) >= 0.95 * threads[compressor[0]], idle


def test_dump_tells_the_kernel_state_and_the_gil_apart(python):
    """-d: each thread's head line says its kernel state and the GIL apart:
    the compressor running without the GIL, the sleeper and the main
    thread, in join(), sleeping without it."""
    head = re.compile(r'(\d+)(\*?): "([^"]*)" \(([^)]*)\)$')
    expected = {"compressor": "running, without the GIL", "sleeper": "sleeping, without the GIL",
                "main": "sleeping, without the GIL"}
    dumps = []

    def dumped_as_expected():
        """One dump, once the blocking threads block: TID -> (GIL star,
        name, state) of each thread if they are as expected."""
        wait_blocked(proc, "threads")
        res = run_pyflame(["-d", "-p", str(proc.pid)])
        assert res.returncode == 0, res.stderr.decode()
        dumps[:] = [res.stdout.decode("utf-8")]
        found = {}
        for block in dumps[0].split("\n\n")[1:]:
            m = head.match(block.splitlines()[0])
            assert m, block
            found[int(m.group(1))] = m.groups()[1:]
        states = dict(("main" if tid == proc.pid else name, state)
                      for tid, (_, name, state) in found.items())
        return found if states == expected else None

    proc = start(python, "threads")
    try:
        # The compressor holds the GIL for a moment between two calls, and
        # attaching stops every thread, which wakes the blocked ones: dump
        # until each is caught in its usual state.
        try:
            found = wait_until(dumped_as_expected, "a dump of the threads as expected")
        except AssertionError as e:
            raise AssertionError("%s; the last dump:\n%s" % (e, "".join(dumps))) from None
        tasks = set(int(t) for t in os.listdir("/proc/%d/task" % proc.pid))
    finally:
        stop_target(proc)
    assert set(found) == tasks and len(tasks) == 3, (found, tasks)
    # Nobody holds the GIL: no thread is marked its holder.
    assert not any(star for star, _, _ in found.values()), found
