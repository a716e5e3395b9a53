"""The chrome format (-f chrome): a Chrome DevTools .cpuprofile, the JSON
that DevTools' "Load profile" and speedscope read.  Checked for structure
and consistency, and imported by the speedscope app in headless Chromium."""
import collections
import json
import os
import re
import shutil
import sys

import pytest

from consumers import speedscope_import
from conftest import (MODES, NO_GIL, TARGETS, assert_one_sleep, assert_sample_times, marker_line,
                      non_ascii_target, run_pyflame, run_spooling_in_tmpdir, run_timed)

# A worker thread each for spin_a and spin_b; main waits in join() (idle).
THREADS_TARGET = TARGETS / "paused_workers.py"

SPECIAL = ("(root)", "(idle)", "(failed)")
THREAD_LABEL = re.compile(r"thread (?:(.+) )?\((\d+)\)")


class CpuProfile:
    """A .cpuprofile, checked for what DevTools and speedscope rely on."""

    def __init__(self, text):
        self.text = text
        p = self.json = json.loads(text)
        assert set(p) == {"nodes", "startTime", "endTime", "samples", "timeDeltas"}, set(p)
        nodes = p["nodes"]
        self.by_id = {}
        for n in nodes:
            assert set(n) == {"id", "callFrame", "hitCount", "children"}, n
            assert isinstance(n["id"], int) and n["id"] not in self.by_id, n["id"]
            self.by_id[n["id"]] = n
            cf = n["callFrame"]
            assert set(cf) == {"functionName", "scriptId", "url", "lineNumber", "columnNumber"}
            assert isinstance(cf["functionName"], str) and isinstance(cf["url"], str)
            assert isinstance(cf["scriptId"], str) and cf["scriptId"].isdigit()
            assert isinstance(cf["lineNumber"], int) and cf["lineNumber"] >= -1
            assert cf["columnNumber"] in (-1, 0)
            assert isinstance(n["hitCount"], int) and n["hitCount"] >= 0
        # Node 1, first, is the root; every other node has exactly one parent.
        self.root = nodes[0]
        assert self.root["id"] == 1 and self.root["callFrame"]["functionName"] == "(root)"
        self.parent = {}
        for n in nodes:
            for c in n["children"]:
                assert c in self.by_id, f"child {c} of {n['id']} is no node"
                assert c not in self.parent, f"node {c} has two parents"
                self.parent[c] = n["id"]
        assert 1 not in self.parent
        assert set(self.parent) == set(self.by_id) - {1}, "nodes out of the tree"
        for i in self.by_id:  # no cycle: every node leads up to the root
            seen = 0
            while i != 1:
                i = self.parent[i]
                seen += 1
                assert seen <= len(nodes)
        # Samples and times.
        samples, deltas = p["samples"], p["timeDeltas"]
        assert len(samples) == len(deltas)
        assert all(s in self.by_id for s in samples), "a sample is no node"
        hits = collections.Counter(samples)
        for n in nodes:
            assert n["hitCount"] == hits[n["id"]], n
        assert all(isinstance(d, int) and d >= 0 for d in deltas), deltas
        assert abs(sum(deltas) - (p["endTime"] - p["startTime"])) <= 1
        self.times = []
        t = p["startTime"]
        for d in deltas:
            t += d
            self.times.append(t)

    @property
    def samples(self):
        return self.json["samples"]

    def frame(self, i):
        return self.by_id[i]["callFrame"]

    def path(self, i):
        """Call frames from below the root (and thread node) to node i."""
        out = []
        while i != 1:
            cf = self.frame(i)
            if not (self.parent[i] == 1 and self.is_thread(i)):
                out.append(cf)
            i = self.parent[i]
        return out[::-1]

    def is_thread(self, i):
        cf = self.frame(i)
        return (self.parent.get(i) == 1 and cf["url"] == "" and
                cf["functionName"].startswith("thread "))

    def special(self, name):
        """The root's child `name`, e.g. (idle), or None."""
        found = [c for c in self.root["children"] if self.frame(c)["functionName"] == name]
        assert len(found) <= 1
        return self.by_id[found[0]] if found else None

    def python_leaf(self, i):
        """Sampled node i, or its parent if i is a (no GIL) leaf."""
        return self.parent[i] if self.frame(i)["functionName"] == NO_GIL else i

    def leaves(self, func):
        """Sampled nodes named `func`, with their hit counts."""
        return {i: n for i, n in collections.Counter(self.samples).items()
                if self.frame(i)["functionName"] == func}


def run(python, mode, script, seconds, tmp_path, extra=(), target_args=()):
    """pyflame -f chrome `extra` on `script` (attach: for `seconds`; trace:
    the script runs `seconds`).  Returns (CpuProfile, start, end in us)."""
    text, start, end, tasks = run_timed(python, mode, script, seconds, tmp_path,
                                        ["-f", "chrome", *extra], target_args)
    prof = CpuProfile(text)
    prof.tasks = tasks  # the target's kernel thread ids (attach mode)
    return prof, start, end


@pytest.mark.parametrize("mode", MODES)
def test_times_count_and_exact_line(python, mode, tmp_path):
    script = TARGETS / "exact_line.py"
    seconds, rate = 0.6, 0.004
    prof, start, end = run(python, mode, script, seconds, tmp_path, extra=["-r", str(rate)])
    p, times = prof.json, prof.times
    assert times, prof.text
    assert start <= p["startTime"] <= times[0], (start, p["startTime"], times[0])
    assert times[-1] == p["endTime"] <= end
    assert_sample_times(times, start, end, mode, seconds, rate)

    hot = prof.leaves("hot_leaf")
    assert sum(hot.values()) >= 0.5 * len(times), prof.text[:3000]
    hot_line, call_line = marker_line(script, "HOT"), marker_line(script, "CALL")
    at_hot = sum(n for i, n in hot.items() if prof.frame(i)["lineNumber"] == hot_line - 1)
    assert at_hot >= 0.95 * sum(hot.values())
    for i in hot:
        path = prof.path(i)
        assert [cf["functionName"] for cf in path[-3:]] == ["<module>", "main", "hot_leaf"]
        assert all(cf["url"] == str(script) for cf in path[-3:]), path
        assert path[-2]["lineNumber"] == call_line - 1
        assert all(cf["columnNumber"] == 0 for cf in path)
        # One script per file.
        assert len({cf["scriptId"] for cf in path[-3:]}) == 1
    # A single thread: no thread level in the tree.
    assert not any(prof.is_thread(c) for c in prof.root["children"])
    # The call tree holds each distinct stack once.
    keys = [(prof.parent.get(i), json.dumps(n["callFrame"], sort_keys=True))
            for i, n in prof.by_id.items()]
    assert len(keys) == len(set(keys))


def test_idle_then_excluded_with_x(python, tmp_path):
    script = TARGETS / "sleeper.py"
    prof, _, _ = run(python, "trace", script, 0.5, tmp_path, extra=["-r", "0.004"])
    idle = prof.special("(idle)")
    assert idle and idle["children"] == [], prof.text[:3000]
    assert idle["callFrame"]["lineNumber"] == -1 and idle["callFrame"]["url"] == ""
    assert len(prof.samples) >= 20, prof.text
    assert_one_sleep([i == idle["id"] for i in prof.samples], "trace", prof.text[:3000])

    prof_x, _, _ = run(python, "trace", script, 0.5, tmp_path, extra=["-r", "0.004", "-x"])
    assert prof_x.special("(idle)") is None and "(idle)" not in prof_x.text
    # Only the interpreter's start is left, and the moments on the sleep's
    # line before the GIL is let go: a few samples, where the sleep took
    # all but a few of the other run's.
    sleep_line = marker_line(script, "SLEEP")
    at_sleep = sum(prof_x.frame(i)["url"] == str(script) and
                   prof_x.frame(i)["lineNumber"] == sleep_line - 1 for i in prof_x.samples)
    assert at_sleep <= 2, prof_x.text[:3000]


def test_nothing_sampled_is_still_a_profile(python, tmp_path):
    prof, start, end = run(python, "attach", TARGETS / "sleeper.py", 0.3, tmp_path,
                           extra=["-x"])
    p = prof.json
    assert p["nodes"] == [prof.root] and prof.root["children"] == []
    assert p["samples"] == [] and p["timeDeltas"] == []
    assert start <= p["startTime"] == p["endTime"] <= end


def test_trace_without_o_writes_its_own_file(python, tmp_path):
    """-t shares standard output with the command, whose lines would break
    the JSON: without -o it goes to pyflame-PID.cpuprofile, named on stderr."""
    res = run_pyflame(["-f", "chrome", "-t", python, str(TARGETS / "exact_line.py"), "0.3"],
                      cwd=tmp_path)
    assert res.returncode == 0, res.stderr.decode()
    assert res.stdout == b"ready\n"
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and re.fullmatch(r"pyflame-\d+\.cpuprofile", files[0].name), files
    assert f"pyflame: profile written to {files[0].name}\n" in res.stderr.decode()
    prof = CpuProfile(files[0].read_text("utf-8"))
    assert len(prof.samples) > 0


def test_samples_wait_on_disk_in_tmpdir(python, tmp_path):
    """The samples are spooled to $TMPDIR until the end, not kept in memory."""
    out = tmp_path / "p.cpuprofile"
    run_spooling_in_tmpdir(["-f", "chrome", "-t", python, str(TARGETS / "exact_line.py"), "0.3"],
                           out, tmp_path)
    p = json.loads(out.read_text())
    assert len(p["samples"]) == len(p["timeDeltas"]) >= 20


def test_no_line_numbers(python, tmp_path):
    script = TARGETS / "exact_line.py"
    prof, _, _ = run(python, "attach", script, 0.5, tmp_path, extra=["-n", "-r", "0.004"])
    hot = prof.leaves("hot_leaf")
    assert sum(hot.values()) >= 0.5 * len(prof.samples), prof.text[:3000]
    # Without lines, main and hot_leaf are one node each.
    assert len(hot) == 1
    for n in prof.by_id.values():
        assert n["callFrame"]["lineNumber"] == -1 and n["callFrame"]["columnNumber"] == -1, n


def test_non_ascii_names(python, python_version, tmp_path):
    script, names = non_ascii_target(python_version, tmp_path)
    prof, _, _ = run(python, "attach", script, 0.5, tmp_path, extra=["-r", "0.004"])
    hot = prof.leaves(names[-1])
    assert sum(hot.values()) >= 0.5 * len(prof.samples), prof.text[:3000]
    for i in hot:
        path = prof.path(i)
        assert [cf["functionName"] for cf in path[-3:]] == names
        assert all(cf["url"] == str(script) for cf in path[-3:])
        assert path[-1]["lineNumber"] == marker_line(script, "HOT") - 1
    # UTF-8 as is, not \u escapes.
    assert str(script) in prof.text


def test_json_escapes(python, tmp_path):
    # Quotes, backslashes and control characters in a (file) name.
    script = tmp_path / 'q"uo\\te;\t\x01\x1f\nline.py'
    shutil.copy(TARGETS / "exact_line.py", script)
    prof, _, _ = run(python, "trace", script, 0.4, tmp_path, extra=["-r", "0.004"])
    hot = prof.leaves("hot_leaf")
    assert hot, prof.text[:3000]
    assert all(prof.frame(i)["url"] == str(script) for i in hot)
    assert r'q\"uo\\te;\t\u0001\u001f\nline.py' in prof.text


@pytest.mark.parametrize("threads", ["--threads", "--thread-names"])
def test_threads(python, threads, tmp_path):
    script = THREADS_TARGET
    named = threads == "--thread-names"
    prof, _, _ = run(python, "attach", script, 0.5, tmp_path, extra=[threads, "-r", "0.004"])
    leaf_names = [prof.frame(prof.python_leaf(i))["functionName"] for i in prof.samples]
    leaf_names = [f for f in leaf_names if f != "(idle)"]
    assert leaf_names.count("spin_a") > 2 and leaf_names.count("spin_b") > 2, leaf_names
    # Only running threads: not main asleep in join().
    assert sum(f in ("spin_a", "spin_b") for f in leaf_names) >= 0.9 * len(leaf_names)
    for i in prof.samples:
        path = prof.path(prof.python_leaf(i))
        if path[-1]["functionName"] in ("spin_a", "spin_b"):
            assert path[0]["functionName"].endswith("_bootstrap"), path
    # A node per thread under the root, named after the thread and its
    # kernel thread id (ours, or the core's frame with --thread-names), each
    # holding its spin.
    threads = [c for c in prof.root["children"] if prof.is_thread(c)]
    assert len(threads) >= 2, prof.root
    spins = {}
    for t in threads:
        cf = prof.frame(t)
        m = THREAD_LABEL.fullmatch(cf["functionName"])
        assert m and int(m.group(2)) in prof.tasks, (cf, prof.tasks)
        assert cf["lineNumber"] == -1 and cf["scriptId"] == "0", cf
        under = {prof.frame(prof.python_leaf(i))["functionName"] for i in prof.samples
                 if t in walk_up(prof, i)}
        if m.group(1) == "MainThread":
            # In join(): idle (with --thread-names, under its name), or
            # awake now and then on 2.7, but never spinning.
            assert not under & {"spin_a", "spin_b"}, (cf, under)
            assert named or "(idle)" not in under, (cf, under)
            continue
        assert m.group(1) in ("worker-a", "worker-b"), cf
        spins[t] = under & {"spin_a", "spin_b"}
    assert all(len(s) <= 1 for s in spins.values()), spins
    assert set().union(*spins.values()) == {"spin_a", "spin_b"}
    # Every stack sits under its thread.
    assert all(prof.parent[i] == 1 or set(walk_up(prof, i)) & set(threads)
               for i in prof.samples if prof.frame(i)["functionName"] != "(idle)")


def walk_up(prof, i):
    while i != 1:
        yield i
        i = prof.parent[i]


def test_imports_in_speedscope(python, tmp_path):
    # speedscope's Chrome importer reads the file: once, with the
    # interpreter that runs pytest (the file does not depend on it).
    if os.path.realpath(python) != os.path.realpath(sys.executable):
        pytest.skip("the browser import runs once, with the interpreter that runs pytest")
    script = THREADS_TARGET
    prof, _, _ = run(python, "attach", script, 0.5, tmp_path, extra=["--threads"])
    path = tmp_path / "threads.cpuprofile"
    path.write_text(prof.text, encoding="utf-8")
    text, _ = speedscope_import(path, tmp_path)
    assert "Something went wrong" not in text, text
    # Imported: the views of a loaded profile, titled with the file's name.
    assert "Time Order" in text and "Sandwich" in text and path.name in text, text
