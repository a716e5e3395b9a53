"""CPython releases no interpreter of which runs here (3.13t, 3.14, 3.14t,
3.15, 3.15t), profiled in fake processes laid out from their own headers'
facts (tests/fake): every stack pyflame prints must be one the fake could
have had, with the lines it set, in every thread, stopped or not, with or
without the symbols, and the free-threaded builds need no GIL.

What the fake does (tests/fake/fake_cpython.c): its main thread calls
<module> -> a0 -> a1 -> a2, then b0 -> b1 -> b2, then c0 -> ... -> c9,
and each worker thread w0 -> w1; a function whose code begins at line
FIRST waits in a call at FIRST + 1 and runs at FIRST + 2, FIRST before
it starts (and a caller its callee has just returned to is still at its
call).
"""
import os
import re
import subprocess

import pytest

from conftest import NO_GIL, Profile, error_of, run_pyflame

FAKE_DIR = os.environ.get("PYFLAME_FAKE_DIR", "")
FAKES = ["313t", "314", "314t", "315", "315t"]

FIRST = {"<module>": 1, "a0": 10, "a1": 20, "a2": 30, "b0": 40, "b1": 50, "b2": 60,
         "w0": 300, "w1": 310}
FIRST.update({"c%d" % i: 100 + 10 * i for i in range(10)})
CHAINS = [("a0", "a1", "a2"), ("b0", "b1", "b2"), tuple("c%d" % i for i in range(10)),
          ("w0", "w1")]
# Samples a 1 s run at pyflame's default 1 kHz must at least show.
MIN_SHOWN = 200


def fake(abi, stripped=False):
    path = os.path.join(FAKE_DIR, "fake_cpython_%s%s" % (abi, "_stripped" if stripped else ""))
    if not os.path.exists(path):
        pytest.fail("%s is missing: build the tree (tests/fake)" % path)
    return path


def free_threaded(abi):
    return abi.endswith("t")


def impossible(stack):
    """Why the fake could never have had `stack` (label frames left out),
    or None."""
    names = [f.func for f in stack]
    if names[0] != "<module>":
        return "its root is not <module>"
    calls = tuple(names[1:])
    if calls and not any(chain[:len(calls)] == calls for chain in CHAINS):
        return "no chain of calls is %s" % " -> ".join(calls)
    for i, frame in enumerate(stack):
        first, leaf = FIRST[frame.func], i == len(stack) - 1
        # A leaf may also be back at its call, its callee just returned.
        allowed = (first, first + 1, first + 2) if leaf else (first + 1,)
        if frame.file != "fake_target.py" or frame.line not in allowed:
            return "%s at %s:%s, not at line %s" % (frame.func, frame.file, frame.line, allowed)
    return None


def python_frames(stack):
    return tuple(f for f in stack if f.file)


def profile_of(abi, tmp_path, *args, stripped=False, workers=0):
    out = tmp_path / "fake.folded"
    res = run_pyflame(["-o", str(out), *args, "-t", fake(abi, stripped), "1", str(workers)])
    assert res.returncode == 0, res.stderr.decode()
    return Profile(out.read_text())


def assert_only_possible_stacks(prof):
    wrong = {}
    for stack, n in prof.stacks.items():
        frames = python_frames(stack)
        why = impossible(frames) if frames else None  # an idle thread's label
        if why:
            wrong[";".join("%s:%s:%s" % f for f in stack)] = (n, why)
    assert not wrong, wrong


def assert_chains_seen(prof, chains, again, tries=4):
    """Each chain is seen whole at least once.  Whether a 1 s run catches
    the deepest level of every chain is up to the machine's load (a
    sanitized pyflame on a busy machine takes few samples), so one missing
    is looked for in more runs, each checked as the first, up to `tries`
    runs in all."""
    seen = set()
    for attempt in range(tries):
        seen |= {tuple(f.func for f in python_frames(s))[1:] for s in prof.stacks}
        missing = [c for c in chains if c not in seen]
        if not missing or attempt == tries - 1:
            break
        prof = again()
        assert_only_possible_stacks(prof)
    assert not missing, (missing, sorted(seen))


@pytest.mark.parametrize("abi", FAKES)
def test_stacks_and_lines_are_the_fakes(abi, tmp_path):
    prof = profile_of(abi, tmp_path)
    assert prof.total >= MIN_SHOWN, prof.text
    assert prof.failed <= 0.01 * prof.samples, prof.text
    assert_only_possible_stacks(prof)
    assert_chains_seen(prof, CHAINS[:3], lambda: profile_of(abi, tmp_path))
    if free_threaded(abi):
        assert not any(s[-1].func == NO_GIL for s in prof.stacks), prof.text


@pytest.mark.parametrize("abi", [a for a in FAKES if a >= "314"])
def test_no_symbols_but_its_section(abi, tmp_path):
    """3.14+ keep _PyRuntime in a .PyRuntime section: a binary stripped of
    every symbol is read through it, its version told by its table."""
    prof = profile_of(abi, tmp_path, stripped=True)
    assert prof.total >= MIN_SHOWN, prof.text
    assert prof.failed <= 0.01 * prof.samples, prof.text
    assert_only_possible_stacks(prof)
    assert_chains_seen(prof, CHAINS[:3], lambda: profile_of(abi, tmp_path, stripped=True))


@pytest.mark.parametrize("abi", FAKES)
def test_every_thread(abi, tmp_path):
    """Two workers beside the main thread, each under its own label with its
    Python name: in the free-threaded 3.14+ builds each runs its own copy
    of the bytecode."""
    prof = profile_of(abi, tmp_path, "--threads", "--thread-names", workers=2)
    by_thread = {}
    for stack, n in prof.stacks.items():
        calls = tuple(f.func for f in python_frames(stack))[1:]
        if calls:
            by_thread.setdefault(stack[0].func, set()).add(calls[0][0])
    assert_only_possible_stacks(prof)
    workers = [t for t, first in by_thread.items() if first == {"w"}]
    main = [t for t, first in by_thread.items() if first <= {"a", "b", "c"}]
    assert len(workers) == 2 and len(main) == 1, by_thread
    # Named as threading._active names them (the fake's Thread objects).
    name = lambda label: re.fullmatch(r"thread (\S+) \(\d+\)", label).group(1)
    assert name(main[0]) == "MainThread", main
    assert sorted(map(name, workers)) == ["worker-1", "worker-2"], workers
    assert_chains_seen(prof, CHAINS, lambda: profile_of(abi, tmp_path, "--threads",
                                                        "--thread-names", workers=2))


@pytest.mark.parametrize("abi", FAKES)
def test_nonblocking_reads_no_impossible_stack(abi, tmp_path):
    prof = profile_of(abi, tmp_path, "--nonblocking", workers=1)
    assert prof.total >= MIN_SHOWN, prof.text
    assert_only_possible_stacks(prof)


@pytest.mark.parametrize("abi", [a for a in FAKES if free_threaded(a)])
def test_gil_has_no_meaning_without_one(abi, tmp_path):
    res = run_pyflame(["-o", str(tmp_path / "out"), "--gil", "-t", fake(abi), "1"])
    assert res.returncode != 0
    error = error_of(res)
    assert "--gil" in error and "free-threaded" in error, error


def test_a_release_no_plugin_reads(tmp_path):
    """A 3.16 (laid out as 3.15 is): refused, named, and where to look."""
    res = run_pyflame(["-o", str(tmp_path / "out"), "-t", fake("316"), "1"])
    assert res.returncode != 0
    error = error_of(res)
    assert "CPython 3.16" in error and "newer pyflame" in error, error
    assert not (tmp_path / "out").exists() or not (tmp_path / "out").read_text().strip()
    res = run_pyflame(["-o", str(tmp_path / "out"), "--abi=315", "-t", fake("316"), "1"])
    assert res.returncode != 0
    error = error_of(res)
    assert "--abi=315" in error and "3.16" in error, error


@pytest.mark.parametrize("abi", ["314", "314t"])
def test_dump_says_the_build(abi):
    """-d names a free-threaded build, and says nothing of a GIL it has not."""
    proc = subprocess.Popen([fake(abi), "10", "1"], stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline() == b"ready\n"
        res = run_pyflame(["-d", "-p", str(proc.pid)])
    finally:
        proc.kill()
        proc.wait()
    assert res.returncode == 0, res.stderr.decode()
    lines = res.stdout.decode().splitlines()
    threads = [l for l in lines if re.match(r"\d+\*?:", l)]
    assert len(threads) == 2, lines
    if free_threaded(abi):
        assert lines[0].endswith("CPython 3.14 free-threaded") and lines[1] == "2 threads, no GIL"
        assert not any("GIL" in l for l in threads), threads
    else:
        assert lines[0].endswith("CPython 3.14") and "GIL" in lines[1], lines


@pytest.mark.parametrize("abi,other", [("314t", "314"), ("314", "314t"), ("313t", "313")])
def test_the_build_must_be_the_plugins(abi, other, tmp_path):
    res = run_pyflame(["-o", str(tmp_path / "out"), "--abi=" + other, "-t", fake(abi), "1"])
    assert res.returncode != 0
    error = error_of(res)
    build = "free-threaded" if free_threaded(abi) else "built with the GIL"
    assert "--abi=" + other in error and build in error, error
