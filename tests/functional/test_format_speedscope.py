"""-f speedscope: speedscope's own JSON file format, checked against the
schema that the speedscope npm package ships (validated with ajv), imported
by that package's speedscope app in headless Chromium, and checked for what
it says about real interpreters in attach and trace mode."""
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import time

import pytest

from consumers import SCHEMA_IN_PACKAGE, ToolsMissing, install_tools, speedscope_import
from conftest import (MODES, NO_GIL, TARGETS, assert_one_sleep, marker_line, non_ascii_target,
                      run_pyflame, run_spooling_in_tmpdir, start_target, stop_target)

SCHEMA_URL = "https://www.speedscope.app/file-format-schema.json"
SPECIAL = ("(idle)", "(failed)")

# Reads the paths of JSON files on stdin, one JSON string a line, and
# answers one line each: "ok", or why the file does not match the schema.
VALIDATOR = r"""
const fs = require("fs"), path = require("path"), readline = require("readline");
const dir = process.argv[1];
const Ajv = require(path.join(dir, "node_modules", "ajv"));
const schema = JSON.parse(fs.readFileSync(path.join(dir, process.argv[2]), "utf8"));
const ajv = new Ajv({allErrors: true});
const validate = ajv.compile(schema);
readline.createInterface({input: process.stdin}).on("line", line => {
  let answer;
  try {
    const doc = JSON.parse(fs.readFileSync(JSON.parse(line), "utf8"));
    answer = validate(doc) ? "ok" : ajv.errorsText(validate.errors, {separator: "; "});
  } catch (e) {
    answer = "cannot read: " + e.message;
  }
  process.stdout.write(answer.replace(/\n/g, " ") + "\n");
});
"""


@pytest.fixture(scope="session")
def schema_validator():
    """validate(path): None if the file matches speedscope's schema, else
    ajv's reasons.  Without Node.js and npm every test fails."""
    try:
        dest = install_tools()
    except ToolsMissing as e:
        problem = str(e)

        def cannot_validate(path):
            pytest.fail(problem, pytrace=False)

        yield cannot_validate
        return
    node = subprocess.Popen(["node", "-e", VALIDATOR, str(dest), SCHEMA_IN_PACKAGE],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def validate(path):
        node.stdin.write(json.dumps(str(path)) + "\n")
        node.stdin.flush()
        answer = node.stdout.readline().strip()
        assert answer, "the ajv validator (node) died"
        return None if answer == "ok" else answer

    yield validate
    node.stdin.close()
    node.wait(timeout=30)


Run = collections.namedtuple("Run", "doc raw out pid info tasks wall_us")


def speedscope(python, mode, script, seconds, tmp_path, validate, extra=(), info_lines=0):
    """Profiles `script` with -f speedscope; checks that the file matches
    the schema and is well formed.  info: the lines the target printed
    after "ready"; tasks: its kernel thread ids (attach mode)."""
    out = tmp_path / ("%s-%d.json" % (mode, len(list(tmp_path.glob("*.json")))))
    args = ["-f", "speedscope", "-o", str(out), *extra]
    tasks = set()
    if mode == "attach":
        proc = start_target(python, script, seconds + 30)
        try:
            info = [proc.stdout.readline().decode().strip() for _ in range(info_lines)]
            began = time.monotonic()
            res = run_pyflame([*args, "-s", str(seconds), "-p", str(proc.pid)])
            wall = time.monotonic() - began
            tasks = set(int(t) for t in os.listdir("/proc/%d/task" % proc.pid))
        finally:
            stop_target(proc)
        pid = proc.pid
    else:
        began = time.monotonic()
        res = run_pyflame([*args, "-t", python, str(script), str(seconds)])
        wall = time.monotonic() - began
        lines = res.stdout.decode().splitlines()
        assert lines[:1] == ["ready"], res.stdout
        info = lines[1:1 + info_lines]
    assert res.returncode == 0, res.stderr.decode()
    raw = out.read_bytes()
    problem = validate(out)
    assert problem is None, "does not match speedscope's schema: %s\n%s" % (problem, raw[:4000])
    doc = json.loads(raw.decode("utf-8"))  # strict UTF-8
    check_structure(doc)
    if mode == "trace":
        pid = int(re.fullmatch(r"pyflame \(pid (\d+)\)", doc["name"]).group(1))
    return Run(doc, raw, out, pid, info, tasks, wall * 1e6)


def check_structure(doc):
    """What the schema does not say but speedscope's importer relies on,
    and what pyflame promises."""
    assert doc["$schema"] == SCHEMA_URL
    assert doc["exporter"] == "pyflame"
    frames = doc["shared"]["frames"]
    seen = set()
    for f in frames:
        assert set(f) <= {"name", "file", "line"}, f
        assert isinstance(f["name"], str)
        assert isinstance(f.get("file", ""), str)
        if "line" in f:
            assert isinstance(f["line"], int) and f["line"] > 0, f
        if f["name"] in SPECIAL:
            assert set(f) == {"name"}, f
        key = (f["name"], f.get("file"), f.get("line"))
        assert key not in seen, "frame listed twice: %r" % (f,)
        seen.add(key)
    profiles = doc["profiles"]
    assert profiles, doc
    assert 0 <= doc["activeProfileIndex"] < len(profiles)
    names = [p["name"] for p in profiles]
    assert len(set(names)) == len(names), names
    used = set()
    for p in profiles:
        assert p["type"] == "sampled" and p["unit"] == "microseconds", p["name"]
        samples, weights = p["samples"], p["weights"]
        assert len(samples) == len(weights), p["name"]
        for stack in samples:
            assert stack and all(isinstance(i, int) and 0 <= i < len(frames) for i in stack)
            if any(frames[i]["name"] in SPECIAL for i in stack):
                assert len(stack) == 1, [frames[i] for i in stack]
            used.update(stack)
        assert all(isinstance(w, (int, float)) and w > 0 for w in weights), p["name"]
        assert 0 <= p["startValue"] <= p["endValue"]
        assert abs(p["endValue"] - p["startValue"] - sum(weights)) < 1e-3 + 1e-9 * sum(weights)
    assert used == set(range(len(frames))), "frames that no sample uses"


def samples(doc, profile):
    """(stack of frames root first, weight) of a profile."""
    frames = doc["shared"]["frames"]
    return [([frames[i] for i in s], w) for s, w in zip(profile["samples"], profile["weights"])]


def total_us(doc):
    return sum(sum(p["weights"]) for p in doc["profiles"])


THREAD_NAME = re.compile(r"thread (?:(?P<name>.+) )?\((?P<id>\d+|0x[0-9a-f]+)\)")


@pytest.mark.parametrize("mode", MODES)
def test_exact_leaf_line_and_real_time_weights(python, mode, tmp_path, schema_validator):
    script = TARGETS / "exact_line.py"
    seconds = 0.8
    run = speedscope(python, mode, script, seconds, tmp_path, schema_validator)
    doc = run.doc
    # One thread: one profile, named after it (the main thread's id is the pid).
    assert [p["name"] for p in doc["profiles"]] == ["thread (%d)" % run.pid], doc["profiles"]
    stacks = samples(doc, doc["profiles"][0])
    total = sum(w for _, w in stacks)
    hot = [(s, w) for s, w in stacks if s[-1]["name"] == "hot_leaf"]
    assert sum(w for _, w in hot) >= 0.5 * total
    hot_line, call_line = marker_line(script, "HOT"), marker_line(script, "CALL")
    assert sum(w for s, w in hot if s[-1]["line"] == hot_line) >= 0.95 * sum(w for _, w in hot)
    for stack, _ in hot:
        assert stack[-1]["file"] == str(script)
        assert [f["name"] for f in stack[-3:]] == ["<module>", "main", "hot_leaf"]
        assert stack[-2]["line"] == call_line
    assert_real_time(run, 0.001)


def assert_real_time(run, rate):
    """Weights are microseconds of real time: together no more than pyflame
    ran (as the test timed it), and, as ticks never start before their
    deadlines, on average at least half the interval asked between two
    samples.  How much of the run a loaded machine lets pyflame sample is
    the benchmark's business."""
    nsamples = sum(len(p["samples"]) for p in run.doc["profiles"])
    total = total_us(run.doc)
    assert nsamples >= 2, run.doc
    assert 0.5 * (nsamples - 1) * rate * 1e6 <= total <= run.wall_us, (nsamples, total, run.wall_us)


def test_weights_are_time_not_sample_counts(python, tmp_path, schema_validator):
    # Asked for a million samples a second, pyflame takes far fewer: each
    # still stands for the time until the next one, not for the interval
    # asked.  (At 100 000 a second, pyflame on 2.7 took more than half.)
    seconds, rate = 0.5, 0.000001
    run = speedscope(python, "attach", TARGETS / "exact_line.py", seconds, tmp_path,
                     schema_validator, extra=["-r", str(rate)])
    nsamples = sum(len(p["samples"]) for p in run.doc["profiles"])
    total = total_us(run.doc)
    assert total <= run.wall_us, (total, run.wall_us)
    # pyflame reads at most a few hundred thousand samples a second: had
    # each weighed the interval asked, they would add up to a fraction of
    # the real time they span.
    assert nsamples * rate * 1e6 < 0.5 * total, (total, nsamples)


def python_frames(stack):
    """A stack's frames without the core's (no GIL) leaf."""
    return stack[:-1] if stack[-1]["name"] == NO_GIL else stack


@pytest.mark.parametrize("mode", MODES)
def test_one_profile_per_thread(python, mode, tmp_path, schema_validator):
    script = TARGETS / "two_threads_busy.py"
    seconds = 0.6
    run = speedscope(python, mode, script, seconds, tmp_path, schema_validator,
                     extra=["--threads"], info_lines=3)
    doc = run.doc
    threads = {}  # Python thread name -> (ident, kernel tid)
    for line in run.info:
        _, name, ident, tid = line.split()
        threads[name] = (int(ident), int(tid))
    assert set(threads) == {"MainThread", "worker-alpha", "worker-beta"}, run.info
    if mode == "attach":
        assert set(tid for _, tid in threads.values()) <= run.tasks

    def profile_of(thread):
        ident, tid = threads[thread]
        found = []
        for p in doc["profiles"]:
            m = THREAD_NAME.fullmatch(p["name"])
            if m and m.group("id") in (str(tid), "0x%x" % ident):
                assert m.group("name") == thread, p["name"]
                found.append(p)
        assert len(found) == 1, (thread, threads, [p["name"] for p in doc["profiles"]])
        return found[0]

    for p in doc["profiles"]:
        assert p["name"] == "pyflame" or THREAD_NAME.fullmatch(p["name"]), p["name"]
    alpha, beta, main = (profile_of(t) for t in ("worker-alpha", "worker-beta", "MainThread"))
    assert alpha is not beta and main not in (alpha, beta)
    workers = ((alpha, "spin_alpha", "ALPHA", "spin_beta"), (beta, "spin_beta", "BETA", "spin_alpha"))
    for profile, func, marker, other in workers:
        stacks = samples(doc, profile)
        busy = [(s, w) for s, w in stacks if s[-1]["name"] not in SPECIAL]
        # A worker awake waiting for the GIL (2.7) runs, under (no GIL).
        spinning = [(s, w) for s, w in ((python_frames(s), w) for s, w in stacks)
                    if s[-1]["name"] == func]
        # The worker takes turns with the other one for the GIL (not fairly
        # on 2.7), idle while it waits; its stacks never show the other's
        # function.  Counted in samples: a weight also holds the delay to
        # the next sample, which a loaded machine stretches.
        assert spinning and len(spinning) >= 0.5 * len(busy), profile["name"]
        assert all(s[-1]["line"] == marker_line(script, marker) for s, _ in spinning)
        assert not any(f["name"] == other for s, _ in stacks for f in s), profile["name"]
        # It is in every sample, busy or idle, from its start: its weights
        # span most of what the longest-lived thread's do.
        longest = max(sum(p["weights"]) for p in doc["profiles"])
        assert sum(w for _, w in stacks) >= 0.5 * longest, profile["name"]
    # The main thread waits in join(): idle, never in a worker's function.
    main_leaves = set(s[-1]["name"] for s, _ in samples(doc, main))
    assert "(idle)" in main_leaves and not main_leaves & {"spin_alpha", "spin_beta"}
    # speedscope opens the busiest thread.
    assert doc["profiles"][doc["activeProfileIndex"]] in (alpha, beta)


@pytest.mark.parametrize("mode", MODES)
def test_idle_samples(python, mode, tmp_path, schema_validator):
    run = speedscope(python, mode, TARGETS / "sleeper.py", 0.5, tmp_path, schema_validator)
    doc = run.doc
    assert len(doc["profiles"]) == 1, [p["name"] for p in doc["profiles"]]
    idle = [s[-1]["name"] == "(idle)" for s, _ in samples(doc, doc["profiles"][0])]
    assert_one_sleep(idle, mode, doc)
    assert_real_time(run, 0.001)


def test_exclude_idle(python, tmp_path, schema_validator):
    # Every sample of the sleeper is idle: -x leaves an empty profile.
    run = speedscope(python, "attach", TARGETS / "sleeper.py", 0.5, tmp_path,
                     schema_validator, extra=["-x"])
    assert all(f["name"] != "(idle)" for f in run.doc["shared"]["frames"]), run.doc
    assert all(not p["samples"] for p in run.doc["profiles"]), run.doc


def test_excluded_idle_time_is_not_weighed(python, tmp_path, schema_validator):
    # Busy for 0.4 s, idle for 0.8 s, busy for 0.4 s.  With -x the idle
    # samples never reach the plugin: the last sample before them must not
    # stand for the idle time after it.  No weight is more than twice the
    # typical one (the median, or the interval asked if longer) and 10 ms
    # (docs/formats.md), however a loaded machine spaced the samples; the
    # sleep alone would be 800 ms.  Without
    # -x the idle time is weighed as (idle): the target sleeps 0.8 s at
    # least, however slow the machine.
    script, busy = TARGETS / "busy_sleep_busy.py", 0.4
    with_x = speedscope(python, "trace", script, busy, tmp_path, schema_validator,
                        extra=["-x"])
    weights = sorted(w for p in with_x.doc["profiles"] for w in p["weights"])
    assert len(weights) >= 10, weights
    typical = max(weights[len(weights) // 2], 1000)  # the default -r: 1 ms
    assert weights[-1] <= 2 * typical + 10000 + 1, weights[-5:]
    without = speedscope(python, "trace", script, busy, tmp_path, schema_validator)
    idle = sum(w for p in without.doc["profiles"] for s, w in samples(without.doc, p)
               if s[-1]["name"] == "(idle)")
    assert idle >= 0.75 * 2 * busy * 1e6, idle


@pytest.mark.parametrize("mode", MODES)
def test_non_ascii_names(python, python_version, mode, tmp_path, schema_validator):
    script, names = non_ascii_target(python_version, tmp_path)
    run = speedscope(python, mode, script, 0.5, tmp_path, schema_validator)
    doc = run.doc
    hot = [(s, w) for p in doc["profiles"] for s, w in samples(doc, p)
           if s[-1]["name"] == names[-1]]
    assert hot, doc
    stack = max(hot, key=lambda sw: sw[1])[0]
    assert [f["name"] for f in stack[-3:]] == names
    assert all(f["file"] == str(script) for f in stack[-3:])
    assert stack[-1]["line"] == marker_line(script, "HOT")
    # UTF-8 is written as it is, not as \u escapes.
    for text in [str(script)] + names:
        assert json.dumps(text, ensure_ascii=False).encode("utf-8") in run.raw, text


def test_json_escaping_and_no_line_numbers(python, tmp_path, schema_validator):
    # A file name with everything JSON must escape; -n leaves lines out.
    script = tmp_path / 'q"uote\\back\tslash\x01ctl\nnewline\x7fdel_é.py'
    shutil.copy(TARGETS / "exact_line.py", script)
    run = speedscope(python, "trace", script, 0.5, tmp_path, schema_validator, extra=["-n"])
    doc = run.doc
    hot = [s for p in doc["profiles"] for s, _ in samples(doc, p) if s[-1]["name"] == "hot_leaf"]
    assert hot, doc
    assert all(f["file"] == str(script) for f in hot[0][-3:])
    assert not any("line" in f for f in doc["shared"]["frames"]), doc["shared"]["frames"]
    # Control characters only as escapes (json.loads already refused raw
    # ones inside strings).
    assert not re.search(rb"[\x00-\x09\x0b-\x1f]", run.raw)
    assert b"\\u0001" in run.raw and b"\\t" in run.raw and b"\\n" in run.raw
    assert b'q\\"uote\\\\back' in run.raw


def test_trace_without_o_writes_its_own_file(python, tmp_path, schema_validator):
    """-t shares standard output with the command, whose lines would break
    the JSON: without -o it goes to pyflame-PID.speedscope.json, named on
    stderr."""
    res = run_pyflame(["-f", "speedscope", "-t", python, str(TARGETS / "exact_line.py"),
                       "0.3"], cwd=tmp_path)
    assert res.returncode == 0, res.stderr.decode()
    assert res.stdout == b"ready\n"
    files = list(tmp_path.iterdir())
    assert len(files) == 1, files
    assert re.fullmatch(r"pyflame-\d+\.speedscope\.json", files[0].name), files
    assert f"pyflame: profile written to {files[0].name}\n" in res.stderr.decode()
    assert schema_validator(files[0]) is None
    doc = json.loads(files[0].read_text("utf-8"))
    assert doc["profiles"] and doc["profiles"][0]["samples"]


def test_samples_wait_on_disk_in_tmpdir(python, tmp_path, schema_validator):
    """The samples wait in $TMPDIR until the end, not in memory (the unit
    test test_speedscope measures the heap)."""
    out = tmp_path / "p.speedscope.json"
    run_spooling_in_tmpdir(["-f", "speedscope", "--threads", "-t", python,
                            str(TARGETS / "threads.py"), "0.4"], out, tmp_path)
    assert schema_validator(out) is None
    doc = json.loads(out.read_text("utf-8"))
    assert len(doc["profiles"]) >= 3  # threads.py's threads, each from the spool
    for p in doc["profiles"]:
        assert len(p["samples"]) == len(p["weights"]) > 0, p["name"]


def test_imports_in_speedscope(python, tmp_path, schema_validator):
    # speedscope's own importer, in the app its npm package ships: once,
    # with the interpreter that runs pytest (the file does not depend on it).
    if os.path.realpath(python) != os.path.realpath(sys.executable):
        pytest.skip("the browser import runs once, with the interpreter that runs pytest")
    target = start_target(python, TARGETS / "threads.py", 30)
    try:
        out = tmp_path / "threads.speedscope.json"
        res = run_pyflame(["-f", "speedscope", "--threads", "-s", "0.5", "-o", str(out),
                           "-p", str(target.pid)])
    finally:
        stop_target(target)
    assert res.returncode == 0, res.stderr.decode()
    assert schema_validator(out) is None
    names = [p["name"] for p in json.loads(out.read_text("utf-8"))["profiles"]]
    text, listed = speedscope_import(out, tmp_path)
    assert "Something went wrong" not in text, text
    # Imported: the views of a loaded profile, and every thread's profile
    # in its list, with the names as written (non-ASCII among them).
    assert "Time Order" in text and "Sandwich" in text, text
    assert sorted(listed) == sorted(names), (listed, names)
    assert any("schl\u00e4fer-\u00e9" in n for n in listed), listed
