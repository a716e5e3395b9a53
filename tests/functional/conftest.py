"""Helpers for running pyflame against real interpreters.

Environment (set by tests/functional/CMakeLists.txt):
  PYFLAME              the pyflame binary under test
  PYFLAME_TEST_PYTHON  the interpreter that runs the targets
  PYFLAME_PEAK_RSS     tests/bench/peak_rss (tests of pyflame's memory)
"""
import collections
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from measure import run_measured, start_ready, thread_states  # noqa: E402

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


def env_for_pyflame_under_tracer():
    """The environment for pyflame run under strace: LeakSanitizer cannot
    work in a traced process, so it is turned off there (ASan still runs)."""
    env = dict(os.environ)
    if SANITIZED:
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
    return env


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
        return sum(self.stacks.values())

    def with_function(self, func):
        """Stacks (and counts) whose leaf is `func`."""
        return {s: n for s, n in self.stacks.items() if s[-1].func == func}


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


def start_target(python, script, *args):
    """Starts a target and waits until it says it is ready."""
    return start_ready([python, script, *args])


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
            time.sleep(0.2)
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


@pytest.fixture(scope="session")
def python():
    path = os.environ.get("PYFLAME_TEST_PYTHON")
    if not path:
        pytest.skip("PYFLAME_TEST_PYTHON is not set")
    if not os.access(path, os.X_OK):
        pytest.skip(f"interpreter {path} is not installed")
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
            time.sleep(0.1)
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


def assert_exact_line_profile(prof, script):
    """What a profile of targets/exact_line.py (or a copy) must show: the
    hot leaf dominating, at its exact line, under main at its call line."""
    hot = prof.with_function("hot_leaf")
    assert sum(hot.values()) >= 0.5 * prof.total and prof.total > 0, prof.text
    hot_line, call_line = marker_line(script, "HOT"), marker_line(script, "CALL")
    at_hot = sum(n for s, n in hot.items() if s[-1].line == hot_line)
    assert at_hot >= 0.95 * sum(hot.values()), prof.text
    for stack in hot:
        assert stack[-1].file == str(script)
        assert [f.func for f in stack[-3:]] == ["<module>", "main", "hot_leaf"]
        assert stack[-2].line == call_line


def assert_sample_times(times, start, end, mode, seconds, rate):
    """Real sample times (us since the epoch) of a run between `start` and
    `end`: increasing, inside the run, about `rate` apart, one per -r over
    -s (attach) or over the command's run (trace)."""
    assert all(a < b for a, b in zip(times, times[1:])), times
    assert start <= times[0] and times[-1] <= end, (start, times[0], times[-1], end)
    # The mean gap: on a loaded machine a late stop makes the gaps alternate
    # short and long (1 and 7 ms at -r 0.004), and a median picks either.
    mean_gap = (times[-1] - times[0]) / max(len(times) - 1, 1)
    assert 0.5 * rate * 1e6 <= mean_gap <= 2.5 * rate * 1e6, (mean_gap, times[:20])
    expected = seconds / rate
    if mode == "attach":
        assert 0.5 * expected <= len(times) <= expected + 2, len(times)
        assert 0.7 * seconds * 1e6 <= times[-1] - times[0] <= (seconds + 0.2) * 1e6
    else:
        assert 0.5 * expected <= len(times) <= (end - start) / 1e6 / rate + 2, len(times)
