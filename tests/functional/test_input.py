"""--input: a profile recorded before (folded or timestamped), read back
and written in the format of -f.  What is read back is checked against
the recording itself, counted here, and against the formats' own readers
(the SVG's and .cpuprofile's checks of test_format_svg and
test_format_chrome)."""
import collections
import json
import os
import re

import pytest

from conftest import TARGETS, error_of, run_pyflame
from test_format_chrome import CpuProfile
from test_format_svg import Graph, check_consistent


def record(python, tmp_path, name, *args):
    """A recording of threads.py (two busy threads, one asleep, main waits)
    by -t, in the format that `args` ask for."""
    out = tmp_path / name
    res = run_pyflame([*args, "-o", str(out), "-t", python, str(TARGETS / "threads.py"), "0.3"])
    assert res.returncode == 0, res.stderr.decode()
    return out


def replay(*args, **kwargs):
    res = run_pyflame(["--input", *args], **kwargs)
    assert res.returncode == 0, res.stderr.decode()
    return res.stdout.decode()


def folded_lines(text):
    return collections.Counter(line for line in text.splitlines() if line)


def timestamped_samples(text):
    """[(time in microseconds, [the sample's lines, each without its last
    ';'])], as the timestamped format is documented."""
    samples = []
    for line in text.splitlines():
        if line.isdigit():
            samples.append((int(line), []))
        elif line:
            samples[-1][1].append(line.rstrip(";"))
    return samples


def counted(samples):
    """The folded profile of timestamped samples, counted here."""
    return collections.Counter("%s %d" % kv for kv in collections.Counter(
        stack for _, stacks in samples for stack in stacks).items())


@pytest.mark.parametrize("args", [(), ("--threads",), ("--thread-names",), ("-n",)],
                         ids=["plain", "threads", "thread-names", "no-lines"])
def test_folded_read_back_is_the_same_profile(python, tmp_path, args):
    rec = record(python, tmp_path, "rec.txt", *args)
    text = rec.read_text()
    assert any(":busy_alpha" in line or ":busy_beta" in line for line in text.splitlines()), text
    assert folded_lines(replay(str(rec))) == folded_lines(text)
    # From standard input too.
    assert folded_lines(replay("-", input=rec.read_bytes())) == folded_lines(text)


@pytest.mark.parametrize("args", [(), ("--threads",), ("--thread-names",)],
                         ids=["plain", "threads", "thread-names"])
def test_timestamped_read_back_keeps_every_sample_and_its_time(python, tmp_path, args):
    rec = record(python, tmp_path, "rec.txt", "-T", *args)
    text = rec.read_text()
    samples = timestamped_samples(text)
    assert len(samples) >= 10, text
    assert replay(str(rec), "-T") == text
    assert folded_lines(replay(str(rec), "-f", "folded")) == counted(samples)
    # A format of times (chrome): each sample at its recorded time, with
    # the function of its stack's leaf.
    prof = CpuProfile(replay(str(rec), "-f", "chrome"))
    if not args:  # one stack a sample, as chrome shows it without threads
        assert prof.times == [t for t, _ in samples]
        for i, (_, stacks) in zip(prof.samples, samples):
            leaf = stacks[0].split(";")[-1]
            assert prof.frame(i)["functionName"] == leaf.split(":")[1 if ":" in leaf else 0]


def test_svg_of_a_folded_profile(tmp_path):
    """flamegraph.pl's job, with pyflame's own graph: a folded profile made
    up here, with what pyflame's frames can be."""
    made = tmp_path / "made.folded"
    made.write_text("/app/m.py:<module>:9;/app/m.py:main:5;/app/m.py:work:2 60\n"
                    "/app/m.py:<module>:9;/app/m.py:main:6;/lib/x.py:wait:40;(no GIL) 25\n"
                    "/app/m.py:<module>:9;/app/m.py:main:5 5\n"
                    "(idle) 7\n(failed) 3\n\n")
    out = tmp_path / "made.svg"
    replay(str(made), "-f", "svg", "-o", str(out))
    g = Graph(out)
    check_consistent(g)
    assert (g.samples, g.python, g.idle, g.failed) == (100, 90, 7, 3), g
    assert [f.n for f in g.named("work")] == [60]
    assert sum(f.n for f in g.named("main")) == 90
    assert [f.n for f in g.named("(no GIL)")] == [25]
    # Titled by the file it was read from, with no process.
    assert g.title == "Flame graph of made.folded" and g.title_tooltip == str(made)


def test_lines_are_kept_or_left_out(tmp_path):
    made = tmp_path / "made.folded"
    made.write_text("a.py:f:3;a.py:g:4 2\na.py:f:3;a.py:g:5 1\n")
    assert folded_lines(replay(str(made))) == folded_lines(made.read_text())
    assert folded_lines(replay(str(made), "-n")) == {"a.py:f;a.py:g 3": 1}
    # A profile recorded with -n is written without lines: none to write.
    bare = tmp_path / "bare.folded"
    bare.write_text("a.py:f;a.py:g 3\n")
    assert replay(str(bare)) == "a.py:f;a.py:g 3\n"


def test_exclude_idle(tmp_path):
    made = tmp_path / "made.txt"
    made.write_text("1000\n(idle)\n2000\na.py:f:1;\n3000\n(failed)\n"
                    "4000\nthread main (7);(idle);\nthread w (8);a.py:g:2;\n")
    assert folded_lines(replay(str(made))) == {
        "(idle) 1": 1, "a.py:f:1 1": 1, "(failed) 1": 1, "thread main (7);(idle) 1": 1,
        "thread w (8);a.py:g:2 1": 1}
    assert folded_lines(replay(str(made), "-x")) == {
        "a.py:f:1 1": 1, "(failed) 1": 1, "thread w (8);a.py:g:2 1": 1}
    out = tmp_path / "made.svg"
    replay(str(made), "-x", "-f", "svg", "-o", str(out))
    assert "2 idle left out (-x)" in Graph(out).subtitle


def test_threads_named_in_speedscope(tmp_path, python):
    """A thread's label (--thread-names) gives it back its id and name:
    speedscope shows a profile for each, named as a run would name it."""
    rec = record(python, tmp_path, "rec.txt", "-T", "--thread-names")
    labels = {stacks.split(";")[0] for _, lines in timestamped_samples(rec.read_text())
              for stacks in lines}
    labels = {label for label in labels if re.fullmatch(r"thread .+ \(\d+\)", label)}
    assert {"alpha", "beta"} <= {label.split()[1] for label in labels}, labels
    doc = json.loads(replay(str(rec), "-f", "speedscope"))
    named = {p["name"] for p in doc["profiles"]} & labels
    # One profile a thread id, named by one of its labels (main is renamed).
    assert {label.rpartition(" ")[2] for label in named} == \
        {label.rpartition(" ")[2] for label in labels}, (named, labels)


BAD = [
    ("a.py:f:1 3\nhello\n", "line 2: not a folded stack"),
    ("a.py:f:1;;a.py:g:2 3\n", "line 1: an empty frame"),
    ("a.py:f:1 99999999999999999999\n", "line 1: not a folded stack"),
    ("a.py:f:1 999999999999999\n" * 1001 + "\n", "line 1001: the counts add up"),
    ("123\n", "line 1: a time with no stack"),
    ("1\n(idle)\na.py:f:1;\n", "line 3: a stack after (idle)"),
    ("1\na.py:f:1;\n(failed)\n", "line 3: (failed) among other lines"),
    ("a.py:f:1;\n", "line 1: not a folded stack"),
    ("a.py:f:1 3\n\0\n", "holds NUL bytes"),
]


@pytest.mark.parametrize("text,error", BAD, ids=range(len(BAD)))
def test_what_is_no_profile_fails_and_writes_nothing(tmp_path, text, error):
    bad = tmp_path / "bad.txt"
    bad.write_text(text)
    out = tmp_path / "out.svg"
    out.write_text("kept")
    res = run_pyflame(["--input", str(bad), "-f", "svg", "-o", str(out)])
    assert res.returncode == 1
    assert error in error_of(res), res.stderr.decode()
    assert error_of(res).startswith("pyflame: error: --input %s" % bad)
    assert out.read_text() == "kept"


def test_random_bytes_are_no_profile(tmp_path):
    bad = tmp_path / "random"
    bad.write_bytes(os.urandom(65536).replace(b"\0", b"x"))
    res = run_pyflame(["--input", str(bad)])
    assert res.returncode == 1 and res.stdout == b""
    assert "is no profile" in error_of(res) or "line " in error_of(res)


def test_folded_has_no_times_for_formats_of_times(tmp_path):
    made = tmp_path / "made.folded"
    made.write_text("a.py:f:1 3\n")
    for fmt in ("chrome", "speedscope", "timestamped"):
        res = run_pyflame(["--input", str(made), "-f", fmt])
        assert res.returncode == 1 and res.stdout == b""
        assert "record the profile with -T" in error_of(res), res.stderr.decode()


@pytest.mark.parametrize("option", [["-p", "1"], ["--threads"], ["-s", "1"], ["--tid", "1"],
                                    ["-t", "python3"]])
def test_sampling_options_have_no_use(tmp_path, option):
    made = tmp_path / "made.folded"
    made.write_text("a.py:f:1 3\n")
    res = run_pyflame(["--input", str(made), *option])
    assert res.returncode == 1
    assert error_of(res) == ("pyflame: error: %s has no use with --input, which reads a profile recorded "
                             "before instead of sampling a process" % option[0])


def test_empty_input_is_an_empty_profile(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    res = run_pyflame(["--input", str(empty)])
    assert res.returncode == 0 and res.stdout == b""
    assert "holds no samples" in res.stderr.decode()
    missing = run_pyflame(["--input", str(tmp_path / "none.txt")])
    assert missing.returncode == 1
    assert "cannot open --input" in error_of(missing)
