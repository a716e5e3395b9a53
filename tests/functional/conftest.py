"""Helpers for running pyflame against real interpreters.

Environment (set by tests/functional/CMakeLists.txt):
  PYFLAME              the pyflame binary under test
  PYFLAME_TEST_PYTHON  the interpreter that runs the targets
  PYFLAME_TEST_PYTHONS every interpreter ctest found, joined by ":"
  PYFLAME_PYTHON_ROOT  the directory they were found under (both read by
                       tests/testlib/interpreters.py)
  PYFLAME_PEAK_RSS     tests/bench/peak_rss (tests of pyflame's memory)
  PYFLAME_REPORT_DIR   where each run records what passed, failed and was
                       skipped, and why (tests/report.py prints the table)
  PYFLAME_CTEST_NAME   the ctest test this pytest run is
  CI                   "true": something the README's install step provides
                       that is missing fails the run instead of skipping

Targets print "ready" when they are at work; tests wait on that, on
pyflame being attached (/proc's TracerPid), or on the state of the
target's threads, never on a fixed sleep.
"""
import collections
import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

import plugin_sdk

from testlib.measure import run_measured, start_ready, thread_states

# Fixtures of the pure-Python package's tests, for every test file.
pytest_plugins = ["python_package"]

TARGETS = Path(__file__).parent / "targets"
PYFLAME = os.environ.get("PYFLAME", "")
# tests/bench/peak_rss: runs pyflame and tells its own peak memory.
PEAK_RSS = os.environ.get("PYFLAME_PEAK_RSS", "")
MODES = ["attach", "trace"]
# Set by the sanitized run of the suite (tests/functional/CMakeLists.txt):
# pyflame and its plugins are built with ASan and UBSan, and so must be a
# test's own program that loads a plugin.
SANITIZED = os.environ.get("PYFLAME_SANITIZED") == "1"
SANITIZE_CFLAGS = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all"] if SANITIZED else []


IN_CI = os.environ.get("CI") == "true"


def require(available, what):
    """Skips the test when `what`, which the README's install step
    provides, is not `available` here; in CI (CI=true) fails instead, so
    that a broken install step never turns into a green run that tested
    less.  Skips of tests that do not apply (a feature a version lacks)
    use pytest.skip directly."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"missing in CI: {what}", pytrace=False)
    pytest.skip(f"missing: {what}")


def wait_until(condition, what, timeout=30.0):
    """Polls condition() until it is true; fails after `timeout` seconds
    saying `what` never happened.  The deadline only bounds a hang: the
    test waits for the event itself, however slow the machine."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.005)


def wait_traced_by(pid, tracer):
    """Waits until process `tracer` (a pyflame) has attached to `pid`."""
    wait_until(lambda: tracer_of(pid) == tracer, f"pyflame {tracer} attached to {pid}")


# The system calls time.sleep() waits in, on every supported CPython:
# select (2.7-3.10), pselect6, nanosleep and clock_nanosleep (3.11+).
SLEEP_SYSCALLS = {23, 270, 35, 230}


def asleep_threads(pid):
    """Threads of `pid` blocked in time.sleep() now (/proc/PID/task/TID/syscall)."""
    asleep = set()
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/syscall") as f:
                call = f.read().split()[0]
        except (OSError, IndexError):
            continue
        if call.isdigit() and int(call) in SLEEP_SYSCALLS:
            asleep.add(int(tid))
    return asleep


def wait_asleep(pid, count):
    """Waits until `count` threads of `pid` sleep in time.sleep()."""
    wait_until(lambda: len(asleep_threads(pid)) >= count, f"{count} threads of {pid} asleep")


def env_for_pyflame_under_tracer():
    """The environment for pyflame run under strace: LeakSanitizer cannot
    work in a traced process, so it is turned off there (ASan still runs)."""
    env = dict(os.environ)
    if SANITIZED:
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
    return env


def assert_one_sleep(idle, mode, shown):
    """The sleeper sleeps once: whether each sample, in order, is idle.
    Attached after its "ready", the sleep is all there is (but for the
    moment before it): one unbroken idle run to the end.  With -t the
    interpreter's start comes first, itself idle at times (3.6 and 3.7
    read their files asleep), and as long as a loaded machine makes it:
    the sleep is then the longest idle run, at least half the idle
    samples.  Counted in samples, not time."""
    assert sum(idle) >= 1, shown
    if mode == "attach":
        first = idle.index(True)
        assert first <= 1 and all(idle[first:]), shown
        return
    runs, run = [], 0
    for is_idle in idle + [False]:
        run = run + 1 if is_idle else 0
        runs.append(run)
    assert 2 * max(runs) >= sum(idle), shown


def marker_line(path, marker):
    """Line number of the line carrying comment `# MARKER` in a target."""
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if line.rstrip().endswith("# " + marker):
            return number
    raise AssertionError(f"no '# {marker}' line in {path}")


Frame = collections.namedtuple("Frame", "file func line")


class Profile:
    """Folded output, parsed: stacks (tuples of Frames, root first)."""

    def __init__(self, text):
        self.text = text
        self.stacks = collections.Counter()
        self.idle = self.failed = 0
        for line in text.splitlines():
            stack, _, count = line.rpartition(" ")
            assert stack and count.isdigit(), f"malformed line {line!r}"
            if stack == "(idle)":
                self.idle += int(count)
            elif stack == "(failed)":
                self.failed += int(count)
            else:
                frames = tuple(parse_frame(f) for f in stack.split(";"))
                self.stacks[frames] += int(count)

    @property
    def total(self):
        """Samples with a stack (neither idle nor failed)."""
        return sum(self.stacks.values())

    @property
    def samples(self):
        """Every sample taken: with a stack, idle or failed."""
        return self.total + self.idle + self.failed

    def with_function(self, func):
        """Stacks (and counts) whose leaf is `func`."""
        return {s: n for s, n in self.stacks.items() if s[-1].func == func}


# The leaf pyflame puts above the stack of a thread that runs without
# the GIL (not with --gil).
NO_GIL = "(no GIL)"


def python_leaf(stack):
    """The last Python frame of a stack of Frames, past a (no GIL) leaf."""
    return stack[-2] if stack[-1].func == NO_GIL else stack[-1]


def abi_order(name):
    """Sort key of ABI plugin names: 39, 310, then 313 before 313t."""
    return (int(name.rstrip("t")), name.endswith("t"))


def parse_frame(text):
    m = re.fullmatch(r"(.*):([^:]*):(\d+)", text)
    if m:
        return Frame(m.group(1), m.group(2), int(m.group(3)))
    file, _, func = text.rpartition(":")
    return Frame(file, func, None)


def run_pyflame(args, timeout=60, **kwargs):
    return subprocess.run([PYFLAME, *args], capture_output=True, timeout=timeout, **kwargs)


def run_pyflame_measured(args, timeout=60):
    """run_pyflame, and pyflame's own peak resident memory in KB."""
    res, _, peak_kb = run_measured([PYFLAME, *args], timeout, PEAK_RSS)
    return res, peak_kb


# Targets that go to sleep once they are ready: start_target waits until
# they are in the sleep, past the write of "ready".
SLEEPING_TARGETS = {"sleeper.py"}


def start_target(python, script, *args):
    """Starts a target and waits until it says it is ready (and, for a
    sleeping target, until it sleeps)."""
    proc = start_ready([python, script, *args])
    if Path(script).name in SLEEPING_TARGETS:
        wait_asleep(proc.pid, 1)
    return proc


def stop_target(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)


def profile(python, mode, script, seconds=1.0, extra=(), tmp_path=None):
    """Profiles `script` for about `seconds` in attach or trace mode and
    returns (Profile, completed pyflame process)."""
    if mode == "attach":
        proc = start_target(python, script, seconds + 30)
        try:
            res = run_pyflame([*extra, "-s", str(seconds), "-p", str(proc.pid)])
        finally:
            stop_target(proc)
        out = res.stdout.decode("utf-8")
    else:
        out_file = Path(tmp_path) / "profile.txt"
        res = run_pyflame([*extra, "-o", str(out_file), "-t", python, str(script), str(seconds)])
        out = out_file.read_text(encoding="utf-8") if out_file.exists() else ""
    assert res.returncode == 0, res.stderr.decode()
    return Profile(out), res


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "timing: measures time shares; must not share the CPU with other tests")


@pytest.fixture
def sleeper(python):
    """A target that sleeps (targets/sleeper.py), for the tests of what
    pyflame does around a run rather than of its samples."""
    proc = start_target(python, TARGETS / "sleeper.py", 60)
    yield proc
    stop_target(proc)


@pytest.fixture(scope="session")
def installed(tmp_path_factory):
    """pyflame installed into a fresh prefix."""
    prefix = tmp_path_factory.mktemp("prefix")
    subprocess.run(["cmake", "--install", str(plugin_sdk.BUILD), "--prefix", str(prefix)],
                   check=True, capture_output=True)
    return prefix


@pytest.fixture(scope="session")
def python():
    path = os.environ.get("PYFLAME_TEST_PYTHON")
    require(path, "PYFLAME_TEST_PYTHON (set by ctest: which interpreter to profile)")
    require(os.access(path, os.X_OK), f"interpreter {path}")
    return path


def non_ascii_target(python_version, tmp_path):
    """A busy target whose file name mixes 1-, 2- and 4-byte characters, like
    its functions (2.7: a byte-string file name; its identifiers can only
    be ASCII).  Returns (script, [function names root to leaf])."""
    script = Path(tmp_path) / "données_日本_𠀀.py"
    if python_version[0] == 2:
        shutil.copy(str(TARGETS / "unicode_template27.py"), str(script))
        return script, ["kind4", "nihongo", "cafe"]
    shutil.copy(str(TARGETS / "unicode_template.py"), str(script))
    return script, ["𠀀𠀁", "日本語", "café"]


def run_timed(python, mode, script, seconds, tmp_path, extra=(), target_args=()):
    """pyflame `extra` on `script` (attach: for `seconds`; trace: the script
    runs `seconds`), timed.  Returns (output text, start and end of the run
    in microseconds since the epoch, the target's kernel thread ids in
    attach mode)."""
    if mode == "attach":
        proc = start_target(python, script, seconds + 30, *target_args)
        try:
            start = time.time()
            res = run_pyflame([*extra, "-s", str(seconds), "-p", str(proc.pid)])
            end = time.time()
            tasks = {int(t) for t in os.listdir("/proc/%d/task" % proc.pid)}
        finally:
            stop_target(proc)
        text = res.stdout.decode("utf-8")
    else:
        out = Path(tmp_path) / "profile.out"
        start = time.time()
        res = run_pyflame([*extra, "-o", str(out), "-t", python, str(script), str(seconds),
                           *target_args])
        end = time.time()
        text = out.read_text(encoding="utf-8")
        tasks = set()
    assert res.returncode == 0, res.stderr.decode()
    return text, int(start * 1e6), int(end * 1e6) + 1, tasks


@pytest.fixture(scope="session")
def python_version(python):
    """(major, minor) of the interpreter under test."""
    out = subprocess.run([python, "-c", "import sys; print('%d %d' % sys.version_info[:2])"],
                         capture_output=True, text=True, check=True).stdout
    return tuple(int(x) for x in out.split())


@pytest.fixture(scope="session", autouse=True)
def pyflame_binary():
    assert PYFLAME and os.access(PYFLAME, os.X_OK), "PYFLAME must name the built binary"


def status_field(path, key):
    """The number after `key:` in a /proc status file."""
    with open(path) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {key} in {path}")


def child_processes(pid):
    """The processes whose parent is `pid`."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as f:
                if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry))
        except (OSError, ValueError, IndexError):
            pass
    return found


def wait_sampled(pid, samples=3):
    """Waits until a pyflame in stop mode has stopped busy process `pid`
    `samples` more times to read it: each stop is a voluntary context
    switch of its main thread, which a busy loop has none of otherwise."""
    path = f"/proc/{pid}/status"
    start = status_field(path, "voluntary_ctxt_switches")
    wait_until(lambda: status_field(path, "voluntary_ctxt_switches") >= start + samples,
               f"pyflame's first {samples} samples of {pid}")


def tracer_of(pid):
    """TracerPid of process `pid`: 0 when nobody traces it."""
    return status_field(f"/proc/{pid}/status", "TracerPid")


def assert_left_running(pid):
    """No thread of `pid` is stopped (t or T), and nobody traces it."""
    assert not set(thread_states(pid)) & {"t", "T"}, (pid, thread_states(pid))
    assert tracer_of(pid) == 0, pid


def error_of(res):
    """The single error line pyflame printed."""
    lines = [l for l in res.stderr.decode().splitlines() if l.startswith("pyflame: error:")]
    assert len(lines) == 1, res.stderr.decode()
    return lines[0]


def run_spooling_in_tmpdir(args, out, tmp_path):
    """For a format that keeps its samples in $TMPDIR until the end: args
    with an unusable TMPDIR must fail with one error and say why; with a
    usable one, args + ["-o", out] must succeed and leave it empty (the
    file unlinked at once)."""
    res = run_pyflame(args, env=dict(os.environ, TMPDIR=str(tmp_path / "missing")))
    assert res.returncode != 0
    assert "point TMPDIR at a writable directory" in res.stderr.decode(), res.stderr.decode()
    error_of(res)  # and one error line
    spool_dir = tmp_path / "spool"
    spool_dir.mkdir()
    res = run_pyflame(["-o", str(out)] + args, env=dict(os.environ, TMPDIR=str(spool_dir)))
    assert res.returncode == 0, res.stderr.decode()
    assert list(spool_dir.iterdir()) == []


# A profile whose proportions are checked has at least this many samples
# (of every kind), and a steady target (one whose stack does not change
# faster than it is read) fails at most this share of them.  A 1 s run at
# the default rate takes about 1,000 on a quiet machine; a loaded one, with
# each stop drawn out, gave 37 (ci67).
MIN_SAMPLES = 20
MAX_FAILED_SHARE = 0.02


def assert_steady_profile(prof):
    """Enough samples to judge a profile by, and few failed."""
    assert prof.samples >= MIN_SAMPLES, prof.text
    assert prof.failed <= MAX_FAILED_SHARE * prof.samples, prof.text


def assert_exact_line_profile(prof, script):
    """What a profile of targets/exact_line.py (or a copy) must show: the
    hot leaf in most samples (idle and failed ones count in the total), at
    its exact line, under main at its call line."""
    assert_steady_profile(prof)
    hot = prof.with_function("hot_leaf")
    assert sum(hot.values()) >= 0.5 * prof.samples, prof.text
    hot_line, call_line = marker_line(script, "HOT"), marker_line(script, "CALL")
    at_hot = sum(n for s, n in hot.items() if s[-1].line == hot_line)
    assert at_hot >= 0.95 * sum(hot.values()), prof.text
    for stack in hot:
        assert stack[-1].file == str(script)
        assert [f.func for f in stack[-3:]] == ["<module>", "main", "hot_leaf"]
        assert stack[-2].line == call_line


def assert_sample_times(times, start, end, mode, seconds, rate):
    """Real sample times (us since the epoch) of a run between `start` and
    `end`: increasing, inside the run, and not closer together on average
    than -r asks (a tick never starts before its deadline; half of -r
    leaves room for a late first sample); in attach mode no more than -s /
    -r of them, within -s (and the time to read the last one).  How many a
    loaded machine lets pyflame take is the benchmark's business, not a
    test's."""
    assert len(times) >= 2, times
    assert all(a < b for a, b in zip(times, times[1:])), times
    assert start <= times[0] and times[-1] <= end, (start, times[0], times[-1], end)
    mean_gap = (times[-1] - times[0]) / (len(times) - 1)
    assert mean_gap >= 0.5 * rate * 1e6, (mean_gap, times[:20])
    if mode == "attach":
        assert len(times) <= seconds / rate + 2, len(times)
        assert times[-1] - times[0] <= (seconds + 0.2) * 1e6, (times[0], times[-1])


# Each test's outcome in this run, for $PYFLAME_REPORT_DIR.
_OUTCOMES = []


def pytest_runtest_logreport(report):
    """Records each test's outcome, and a skip's reason, for the report."""
    if report.when == "call" or report.outcome != "passed":
        outcome, reason = report.outcome, ""
        if hasattr(report, "wasxfail"):  # a known bug, said so by pytest.xfail
            outcome, reason = "xfailed", report.wasxfail.replace("reason: ", "", 1)
        elif report.skipped and isinstance(report.longrepr, tuple):
            reason = report.longrepr[2].replace("Skipped: ", "", 1)
        _OUTCOMES.append({"test": report.nodeid, "outcome": outcome, "reason": reason})


def pytest_sessionfinish(session, exitstatus):
    """Writes what this run did to $PYFLAME_REPORT_DIR/<ctest name>.json."""
    folder, name = os.environ.get("PYFLAME_REPORT_DIR"), os.environ.get("PYFLAME_CTEST_NAME")
    if not folder or not name:
        return
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name + ".json"), "w", encoding="utf-8") as f:
        json.dump({"ctest": name, "exitstatus": int(exitstatus), "tests": _OUTCOMES}, f)
