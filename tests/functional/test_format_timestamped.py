"""The timestamped format (-f timestamped, -T, --timestamp, --flamechart):
Uber Pyflame's flame-chart output, one time line (microseconds since the
epoch) then the sample's stack line(s), root first, each frame followed by
';', or (idle) / (failed)."""
import re
import shutil

import pytest

from conftest import (NO_GIL, TARGETS, assert_sample_times, marker_line, non_ascii_target,
                      parse_frame, python_leaf, run_timed)

# A worker thread each for spin_a and spin_b; main waits in join() (idle).
THREADS_TARGET = TARGETS / "paused_workers.py"


class Samples:
    """Timestamped output, parsed: a list of (time_us, lines), lines being
    "(idle)", "(failed)" or stacks as tuples of Frames, root first."""

    def __init__(self, text):
        self.text = text
        self.samples = []
        assert text == "" or text.endswith("\n"), text[-200:]
        for line in text.splitlines():
            if re.fullmatch(r"\d+", line):
                self.samples.append((int(line), []))
                continue
            assert self.samples, f"stack line before any time line: {line!r}"
            if line in ("(idle)", "(failed)"):
                self.samples[-1][1].append(line)
            else:
                assert line.endswith(";"), f"stack line without its final ';': {line!r}"
                frames = tuple(parse_frame(f) for f in line[:-1].split(";"))
                self.samples[-1][1].append(frames)
        for t, lines in self.samples:
            assert lines, f"time line {t} without a stack line"
            if "(idle)" in lines or "(failed)" in lines:
                assert len(lines) == 1, (t, lines)

    @property
    def times(self):
        return [t for t, _ in self.samples]

    @property
    def stacks(self):
        return [s for _, lines in self.samples for s in lines if isinstance(s, tuple)]

    @property
    def idle(self):
        return sum(lines == ["(idle)"] for _, lines in self.samples)


def run(python, mode, script, seconds, tmp_path, extra=(), target_args=()):
    """pyflame `extra` on `script` (attach: for `seconds`; trace: the script
    runs `seconds`).  Returns (Samples, start, end of the run in us)."""
    text, start, end, tasks = run_timed(python, mode, script, seconds, tmp_path,
                                        extra, target_args)
    prof = Samples(text)
    prof.tasks = tasks  # the target's kernel thread ids (attach mode)
    return prof, start, end


# Every spelling of the format (and of the rate), spread over the tests.
@pytest.mark.parametrize("mode,select,rate_args", [
    ("attach", ["-f", "timestamped"], ["-r", "0.004"]),
    ("trace", ["--timestamp"], ["--hz", "250"]),
])
def test_times_count_and_exact_line(python, mode, select, rate_args, tmp_path):
    script = TARGETS / "exact_line.py"
    seconds, rate = 0.6, 0.004
    prof, start, end = run(python, mode, script, seconds, tmp_path,
                           extra=[*select, *rate_args])
    times = prof.times
    assert times, prof.text
    assert_sample_times(times, start, end, mode, seconds, rate)

    stacks = prof.stacks
    hot = [s for s in stacks if s[-1].func == "hot_leaf"]
    assert len(hot) >= 0.5 * len(times), prof.text[:3000]
    hot_line, call_line = marker_line(script, "HOT"), marker_line(script, "CALL")
    assert sum(s[-1].line == hot_line for s in hot) >= 0.95 * len(hot)
    for stack in hot:
        assert [f.func for f in stack[-3:]] == ["<module>", "main", "hot_leaf"], stack
        assert all(f.file == str(script) for f in stack[-3:]), stack
        assert stack[-2].line == call_line


def test_idle_then_excluded_with_x(python, tmp_path):
    script = TARGETS / "sleeper.py"
    prof, _, _ = run(python, "attach", script, 0.5, tmp_path, extra=["--flamechart"])
    assert len(prof.samples) >= 20, prof.text
    assert prof.idle > 0.8 * len(prof.samples), prof.text
    assert all(a < b for a, b in zip(prof.times, prof.times[1:]))

    prof_x, _, _ = run(python, "attach", script, 0.5, tmp_path, extra=["--flamechart", "-x"])
    assert prof_x.idle == 0 and "(idle)" not in prof_x.text, prof_x.text
    # Nothing but idle to sample: no sample at all, not an empty stack.
    assert prof_x.samples == [], prof_x.text


def test_no_line_numbers(python, tmp_path):
    script = TARGETS / "exact_line.py"
    prof, _, _ = run(python, "trace", script, 0.5, tmp_path, extra=["-T", "-n", "-r", "0.004"])
    hot = [s for s in prof.stacks if s[-1].func == "hot_leaf"]
    assert len(hot) >= 0.5 * len(prof.samples), prof.text[:3000]
    for stack in prof.stacks:
        assert all(f.line is None for f in stack), stack
    # file:function exactly: no ":0" left behind.
    assert f"{script}:<module>;{script}:main;{script}:hot_leaf;\n" in prof.text


def test_non_ascii_names(python, python_version, tmp_path):
    script, names = non_ascii_target(python_version, tmp_path)
    prof, _, _ = run(python, "trace", script, 0.5, tmp_path, extra=["-T", "-r", "0.004"])
    hot = [s for s in prof.stacks if s[-1].func == names[-1]]
    assert len(hot) >= 0.5 * len(prof.samples), prof.text[:3000]
    for stack in hot:
        assert [f.func for f in stack[-3:]] == names
        assert all(f.file == str(script) for f in stack[-3:])
    hot_line = marker_line(script, "HOT")
    assert sum(s[-1].line == hot_line for s in hot) >= 0.95 * len(hot)


def test_separators_in_names_are_replaced(python, tmp_path):
    # ';' and line breaks would cut a stack or a sample apart.
    script = tmp_path / 'odd;na\nme "q\\ \t.py'
    shutil.copy(TARGETS / "exact_line.py", script)
    prof, _, _ = run(python, "trace", script, 0.4, tmp_path, extra=["-T", "-r", "0.004"])
    shown = str(script).replace(";", "_").replace("\n", "_")
    hot = [s for s in prof.stacks if s[-1].func == "hot_leaf"]
    assert hot, prof.text[:3000]
    assert all(s[-1].file == shown for s in hot), hot[0]


@pytest.mark.parametrize("threads", ["--threads", "--thread-names"])
def test_threads(python, threads, tmp_path):
    script = THREADS_TARGET
    prof, _, _ = run(python, "attach", script, 0.5, tmp_path,
                     extra=["-T", threads, "-r", "0.004"])
    assert len(prof.samples) >= 20, prof.text[:3000]
    # Only running threads show a stack: the workers, never main asleep in
    # join().  One GIL: at most one of them runs Python code; the other
    # may be awake, waiting for the GIL (the kernel runs it): (no GIL).
    # With --thread-names each idle thread has its line, "(idle)" under
    # its name.
    named = threads == "--thread-names"
    busy = [s for s in prof.stacks if s[-1].func != "(idle)"]
    leaves = [python_leaf(s).func for s in busy]
    assert leaves.count("spin_a") > 2 and leaves.count("spin_b") > 2, leaves
    assert sum(f in ("spin_a", "spin_b") for f in leaves) >= 0.9 * len(leaves), leaves
    for _, lines in prof.samples:
        if lines == ["(failed)"]:
            continue
        running = [line for line in lines if isinstance(line, tuple) and line[-1].func != "(idle)"]
        assert sum(line[-1].func != NO_GIL for line in running) <= 1, lines
        if named:
            assert len(lines) == 3 and len(set(line[0] for line in lines)) == 3, lines
        else:  # the running threads (on 2.7 main now and then, awake in join())
            assert 1 <= len(lines) <= 3, lines
    for stack in prof.stacks:
        if named:
            # The core's frame naming the thread comes first, as its name alone.
            m = re.fullmatch(r"thread (?:(.+) )?\((\d+)\)", stack[0].func)
            assert m and stack[0].file == "" and stack[0].line is None, stack[0]
            assert int(m.group(2)) in prof.tasks, (stack[0], prof.tasks)
            if stack[-1].func == "(idle)":
                assert len(stack) == 2 and stack[1].file == "", stack
                continue
            if python_leaf(stack).func in ("spin_a", "spin_b"):
                assert m.group(1) == "worker-" + python_leaf(stack).func[-1], stack
            stack = stack[1:]
        if python_leaf(stack).func in ("spin_a", "spin_b"):
            assert stack[0].func.endswith("_bootstrap"), stack
    if named:
        assert re.search(r"^thread (.+ )?\(\d+\);", prof.text, re.M), prof.text[:3000]
        tids = {s[0].func for s in prof.stacks if python_leaf(s).func == "spin_a"}
        assert len(tids) == 1 and tids != {s[0].func for s in prof.stacks
                                           if python_leaf(s).func == "spin_b"}
