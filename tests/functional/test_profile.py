"""What pyflame reports for real interpreters, in attach and trace mode."""
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from conftest import (MIN_SAMPLES, MODES, PYFLAME, TARGETS, Profile, assert_exact_line_profile,
                      assert_left_running, assert_steady_profile, error_of, marker_line,
                      non_ascii_target, profile, require, run_pyflame, start_target, stop_target,
                      tracer_of)
from invariants import CHAINS, CHURN, chains_possible, churn_possible, wrong_stacks

FLAMEGRAPH = "/usr/share/perl5/Devel/NYTProf/flamegraph.pl"


@pytest.mark.parametrize("mode", MODES)
def test_exact_leaf_and_line(python, mode, tmp_path):
    script = TARGETS / "exact_line.py"
    prof, _ = profile(python, mode, script, tmp_path=tmp_path)
    assert_exact_line_profile(prof, script)


# Timing: ctest runs it alone (RUN_SERIAL); on a loaded machine the target
# is descheduled in the middle of its wall-clock busy loops.
@pytest.mark.timing
@pytest.mark.parametrize("mode", MODES)
def test_time_split_three_to_one(python, mode, tmp_path):
    prof, _ = profile(python, mode, TARGETS / "split.py", seconds=3, tmp_path=tmp_path)
    three = sum(n for s, n in prof.stacks.items() if any(f.func == "three" for f in s))
    one = sum(n for s, n in prof.stacks.items() if any(f.func == "one" for f in s))
    assert three + one > 500, prof.text
    share = three / (three + one)
    assert abs(share - 0.75) <= 0.05, f"three() has {share:.3f} of the samples"


@pytest.mark.parametrize("mode", MODES)
def test_deep_recursion_is_whole_and_in_order(python, mode, tmp_path):
    script = TARGETS / "deep.py"
    prof, _ = profile(python, mode, script, tmp_path=tmp_path)
    deep = prof.with_function("bottom")
    assert deep, prof.text
    stack, _ = max(deep.items(), key=lambda kv: kv[1])
    funcs = [f.func for f in stack]
    assert funcs == ["<module>", "main"] + ["recurse"] * 300 + ["bottom"]
    lines = [f.line for f in stack]
    assert lines[1] == marker_line(script, "CALL")
    assert lines[2:301] == [marker_line(script, "RECURSE CALL")] * 299
    assert lines[301] == marker_line(script, "BOTTOM CALL")
    assert lines[302] == marker_line(script, "HOT")


@pytest.mark.parametrize("mode", MODES)
def test_non_ascii_names(python, python_version, mode, tmp_path):
    script, names = non_ascii_target(python_version, tmp_path)
    prof, _ = profile(python, mode, script, tmp_path=tmp_path)
    hot = prof.with_function(names[-1])
    assert hot, prof.text
    stack = max(hot, key=hot.get)
    assert [f.func for f in stack[-3:]] == names
    assert all(f.file == str(script) for f in stack)
    assert stack[-1].line == marker_line(script, "HOT")


@pytest.mark.parametrize("mode", MODES)
def test_idle_is_counted_and_excluded_with_x(python, mode, tmp_path):
    prof, _ = profile(python, mode, TARGETS / "sleeper.py", seconds=1, tmp_path=tmp_path)
    assert prof.idle > 0.8 * (prof.idle + prof.total), prof.text
    prof_x, _ = profile(python, mode, TARGETS / "sleeper.py", seconds=1, extra=["-x"],
                        tmp_path=tmp_path)
    assert prof_x.idle == 0 and "(idle)" not in prof_x.text


@pytest.mark.parametrize("mode", MODES)
def test_no_line_numbers(python, mode, tmp_path):
    prof, _ = profile(python, mode, TARGETS / "exact_line.py", seconds=1, extra=["-n"],
                      tmp_path=tmp_path)
    assert prof.with_function("hot_leaf"), prof.text
    for stack in prof.stacks:
        assert all(f.line is None for f in stack), stack


@pytest.mark.parametrize("mode", MODES)
def test_renders_with_flamegraph_pl(python, mode, tmp_path):
    require(Path(FLAMEGRAPH).exists(), f"{FLAMEGRAPH} (package libdevel-nytprof-perl)")
    prof, _ = profile(python, mode, TARGETS / "split.py", seconds=1, tmp_path=tmp_path)
    folded = tmp_path / "in.folded"
    folded.write_text(prof.text, encoding="utf-8")
    svg = subprocess.run(["perl", FLAMEGRAPH, str(folded)], capture_output=True, check=True)
    text = svg.stdout.decode("utf-8")
    assert text.lstrip().startswith("<?xml") and "</svg>" in text
    # Each function has a box, whose title names it at its line.
    for func in ("three", "one", "spin"):
        assert re.search(r"<title>[^<]*:%s:\d+ \(" % func, text), func
    total = prof.total + prof.idle + prof.failed
    assert f"all ({total:,} samples, 100%)" in text


def test_code_made_and_dropped_keeps_its_own_names(python):
    """Code objects freed and made again at the same address between
    samples are named after what they are now, not after what was there:
    each of the two sources has its half of the time, and no stack mixes
    the two (its module code and function are made together).  A code
    cache that trusts an address without reading its code object again
    fails here.  Runs are repeated until 1,000 samples of work() are in:
    a loaded machine gives fewer per run."""
    seen = {"churn_a.py": 0, "churn_b.py": 0}
    proc = start_target(python, TARGETS / "code_churn.py", 120)
    try:
        for _ in range(20):
            res = run_pyflame(["-r", "0.0002", "-s", "2", "-p", str(proc.pid)])
            assert res.returncode == 0, res.stderr.decode()
            prof = Profile(res.stdout.decode())
            assert_steady_profile(prof)
            for stack, count in prof.stacks.items():
                assert len({f.file for f in stack if f.file in seen}) <= 1, stack
                works = [f for f in stack if f.func == "work"]
                assert all(f.file in seen for f in works), stack
                if works:
                    seen[works[-1].file] += count
            if sum(seen.values()) >= 1000:
                break
    finally:
        stop_target(proc)
    assert sum(seen.values()) >= 1000, seen
    assert all(n > 0.3 * sum(seen.values()) for n in seen.values()), seen


# The walker's depth limit (WALK_MAX_DEPTH in abi-plugins/common/walker.h).
MAX_DEPTH = 4096


@pytest.mark.parametrize("nonblocking", [False, True], ids=["stop", "nonblocking"])
@pytest.mark.parametrize("depth", [MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1])
def test_stack_at_the_depth_limit(python, depth, nonblocking):
    """A stack of up to 4,096 Python frames prints whole, <module> at its
    root, on every version (3.12+ keep a C-stack shim frame under
    <module> that is no Python frame and cuts nothing); one frame more is
    cut at the root, marked (truncated), and keeps its leaf end."""
    script = TARGETS / "exact_depth.py"
    proc = start_target(python, script, depth, 60)
    try:
        res = run_pyflame([*(["--nonblocking"] if nonblocking else []),
                           "-s", "0.5", "-p", str(proc.pid)])
    finally:
        stop_target(proc)
    assert res.returncode == 0, res.stderr.decode()
    prof = Profile(res.stdout.decode("utf-8"))
    hot = prof.with_function("down")
    assert hot, prof.text[:2000]
    stack = max(hot, key=hot.get)
    call, hot_line = marker_line(script, "CALL"), marker_line(script, "HOT")
    if depth <= MAX_DEPTH:
        assert len(stack) == depth
        assert stack[0].func == "<module>" and stack[0].line == marker_line(script, "FIRST CALL")
        downs = stack[1:]
    else:
        assert len(stack) == MAX_DEPTH + 1
        assert stack[0] == ("(truncated)", "(truncated)", 0)
        downs = stack[1:]
    assert all(f.func == "down" for f in downs), {f for f in downs if f.func != "down"}
    assert [f.line for f in downs[:-1]] == [call] * (len(downs) - 1)
    assert downs[-1].line == hot_line
    assert all("(truncated)" not in f.func for s in prof.stacks for f in s) == (depth <= MAX_DEPTH)


# At most one sample in a thousand of a stopped target fails: 40 times
# what 3.12 showed on the churning target.
STOPPED_MAX_FAILED_SHARE = 0.001


@pytest.mark.parametrize("kind", ["deep chains", "code churn"])
def test_stop_mode_shows_only_stacks_the_target_had(python, kind):
    """Stopped, the target cannot change while it is read: each sample is
    a stack the target can have, even as fast as pyflame can sample an
    invariant target that changes its stack every microsecond
    (targets/chains.py) or frees and remakes its code objects
    (targets/churn_chains.py), and next to none fails.  Not none: on the
    churning target, 3.12 failed 2 of 8,006 samples in about one run in
    eight on a busy machine (before this test's bound, in CI), a stop that
    lands where the thread's frames cannot be read; counted as failed,
    never shown as a stack."""
    if kind == "deep chains":
        argv, possible = [CHAINS, "deep", 60], chains_possible("deep")
    else:
        argv, possible = [CHURN, 60], churn_possible()
    proc = start_target(python, *argv)
    try:
        res = run_pyflame(["-r", "0.000001", "-s", "1", "-p", str(proc.pid)])
        assert_left_running(proc.pid)
    finally:
        stop_target(proc)
    assert res.returncode == 0, res.stderr.decode()
    prof = Profile(res.stdout.decode())
    assert prof.samples >= MIN_SAMPLES, prof.text
    assert prof.failed <= STOPPED_MAX_FAILED_SHARE * prof.samples, res.stderr.decode()
    assert "torn" not in res.stderr.decode(), res.stderr.decode()
    assert not wrong_stacks(prof.stacks, possible.fault), prof.text


def test_another_pyflame_is_no_python_process(python):
    """A pyflame reading a target maps the target's libpython (or
    executable) to read its symbols, but does not run it: pyflame -p on
    that pyflame says it is no Python process, and does not wait for an
    interpreter to start in it."""
    target = start_target(python, TARGETS / "exact_line.py", 60)
    other = subprocess.Popen([PYFLAME, "-s", "60", "-p", str(target.pid), "-o", os.devnull],
                             stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while tracer_of(target.pid) != other.pid and time.monotonic() < deadline:
            assert other.poll() is None, other.stderr.read().decode()
            time.sleep(0.01)
        assert tracer_of(target.pid) == other.pid
        # It used to wait the whole -s for an interpreter to start: the
        # timeout, far shorter, fails such a wait.
        res = run_pyflame(["-s", "120", "-p", str(other.pid)], timeout=30)
    finally:
        other.terminate()
        other.wait(timeout=30)
        stop_target(target)
    assert res.returncode == 1
    assert f"process {other.pid} ({PYFLAME}) is not a Python process" in error_of(res)
