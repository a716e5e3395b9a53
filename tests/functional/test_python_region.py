"""pyflame.profile(): a block, or each call of a function, of a running
program profiled by the native pyflame of this build, through the
package installed for the interpreter under test (python_package.py).
targets/region_api.py uses it as a program would and prints what it
saw."""
import json
import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import PYFLAME, TARGETS
from test_format_chrome import CpuProfile
from test_format_svg import Graph, check_consistent

REGION_API = TARGETS / "region_api.py"


def region_api(python, site, *args, env=None):
    env = dict(os.environ, PYFLAME=PYFLAME, **(env or {}))
    env["PYTHONPATH"] = str(site)
    res = subprocess.run([str(python), str(REGION_API), *map(str, args)], env=env,
                         capture_output=True, timeout=120)
    assert res.returncode == 0, res.stderr.decode()
    return json.loads(res.stdout.decode().splitlines()[-1])


def stacks(folded):
    """{stack: count} of a folded profile, (idle) and (failed) apart."""
    out = {}
    for line in folded.splitlines():
        stack, _, count = line.rpartition(" ")
        out[stack] = out.get(stack, 0) + int(count)
    return out


def python_stacks(folded):
    return {s: n for s, n in stacks(folded).items() if s not in ("(idle)", "(failed)")}


def functions(stack):
    return [frame.split(":")[1] for frame in stack.split(";") if ":" in frame]


# The block's own code in targets/region_api.py: the functions a sample
# may catch between the block's statements, in them or in what they call.
BLOCK_CODE = ("main", "block", "decorated", "recursive", "tracer")


def assert_only(folded, function):
    """`function` was sampled, and every stack with Python code is the
    block's, called from main: `function`'s, or the block's own code
    between its statements (pyflame has let the process go when the
    block ends, so no sample comes from after it); no other thread's, no
    frame of pyflame's own package."""
    shown = python_stacks(folded)
    assert any(function in functions(stack) for stack in shown), folded
    for stack in shown:
        assert_block_stack(functions(stack), function, stack)
        assert "/pyflame/_" not in stack, stack  # the package's own frames


def assert_block_stack(names, function, stack):
    """The functions `names` of a stack sampled in a block of main that
    calls `function`: main itself, or the block's code and what it calls
    (ci57: tracer() reading its file, in codecs' decode)."""
    assert names[:2] == ["<module>", "main"], stack
    assert function in names or len(names) == 2 or names[2] in BLOCK_CODE, stack
    assert "other_work" not in names, stack


def test_block_of_the_calling_thread(package_python, site, tmp_path):
    out = region_api(package_python, site, "block", tmp_path / "block.svg")
    # Sampling had begun when the block began; pyflame is gone after it.
    assert out["traced_at_start"] != 0
    assert out["tracer_after"] == 0 and out["children_after"] == []
    assert_only(out["folded"], "region_work")
    assert out["samples"] == sum(stacks(out["folded"]).values())
    # The file saved is the same profile, as pyflame's own SVG.
    assert out["output"] == str(tmp_path / "block.svg")
    g = Graph(tmp_path / "block.svg")
    check_consistent(g)
    assert g.samples == out["samples"]
    # Every sample of region_work is in the graph (samples of the block's
    # own code between its statements have none: ci51, a `tracer` one).
    assert sum(f.n for f in g.named("region_work")) == \
        sum(n for s, n in python_stacks(out["folded"]).items() if "region_work" in functions(s))
    assert g.title.startswith("Flame graph of region_api.py (PID ")
    assert out["repr"] == "<pyflame.Profile of %s: %d samples>" % (g.title[15:], g.samples)


def test_every_thread(package_python, site):
    shown = python_stacks(region_api(package_python, site, "threads")["folded"])
    names = {name for stack in shown for name in functions(stack)}
    assert {"region_work", "other_work"} <= names, shown


def test_decorator_keeps_each_calls_profile(package_python, site):
    out = region_api(package_python, site, "decorated")
    assert_only(out["first"], "work_a")
    assert_only(out["last"], "work_b")
    # The wrapper is no frame of the profile: decorated calls work directly.
    # A sample may catch main at the call, after the block began (its own
    # frames are left out) and before decorated did (ci65).
    for stack in python_stacks(out["last"]):
        assert functions(stack)[2:4] in (["decorated", "work_b"], ["decorated"], []), stack
    assert out["label"].startswith("decorated (PID ")


def test_decorated_function_calling_itself_is_one_profile(package_python, site):
    """A decorated function called within its own block runs as it is,
    in that block's profile."""
    out = region_api(package_python, site, "recursive")
    assert_only(out["folded"], "region_work")
    for stack in python_stacks(out["folded"]):
        names = functions(stack)[2:]
        # recursive 3 deep, then region_work; or caught between calls, in
        # main too (ci49: <module>;main alone, the decorator's own frames
        # left out before its first call of recursive)
        depth = names.index("region_work") if "region_work" in names else len(names)
        assert depth <= 3 and names[:depth] == ["recursive"] * depth, stack
        assert depth == 3 or "region_work" not in names, stack


def test_formats_of_time(package_python, site, tmp_path):
    """format="chrome" records every sample's time; a block recorded
    without says so when asked for a format of time."""
    out = region_api(package_python, site, "chrome", tmp_path / "block.cpuprofile")
    prof = CpuProfile(out["chrome"])
    shown = [[cf["functionName"] for cf in prof.path(i)] for i in prof.samples]
    shown = [names for names in shown if names[0] not in ("(idle)", "(failed)")]
    assert shown, prof.samples
    assert any("region_work" in names for names in shown), shown
    for names in shown:
        assert_block_stack(names, "region_work", names)
    CpuProfile((tmp_path / "block.cpuprofile").read_text())
    assert out["saved"] == str(tmp_path / "block.cpuprofile")
    assert "recorded without times" in out["error"], out["error"]
    assert not (tmp_path / "block.cpuprofile.other.cpuprofile").exists()


def test_one_block_at_a_time(package_python, site):
    out = region_api(package_python, site, "nested")
    assert "already sampling this process" in out["error"], out["error"]
    assert_only(out["folded"], "region_work")


def test_block_that_raises_keeps_its_profile(package_python, site):
    out = region_api(package_python, site, "raises")
    assert out["raised"] == "from the block" and out["tracer_after"] == 0
    assert_only(out["folded"], "region_work")


def scope_file(value):
    """A file that says Yama's scope is `value`, readable by anyone."""
    fd, path = tempfile.mkstemp(prefix="yama-scope-")
    os.write(fd, b"%d\n" % value)
    os.close(fd)
    os.chmod(path, 0o644)
    return Path(path)


def test_yama_scopes_as_root(package_python, site):
    """Root has CAP_SYS_PTRACE, which Yama's scopes 1 and 2 let trace any
    process: no prctl, the block is profiled; scope 3 refuses everyone,
    before pyflame starts.  (As another user: test_python_nonroot.py.)"""
    if os.geteuid() != 0:
        pytest.skip("run as root: a user's scopes are test_python_nonroot.py's")
    for scope in (0, 1, 2):
        path = scope_file(scope)
        try:
            out = region_api(package_python, site, "scope", path)
        finally:
            path.unlink()
        assert out["ran"] and out["children_after"] == [], out
        assert_only(out["folded"], "region_work")
    path = scope_file(3)
    try:
        out = region_api(package_python, site, "scope", path)
    finally:
        path.unlink()
    assert not out["ran"] and out["children_after"] == []
    assert "kernel.yama.ptrace_scope is 3" in out["refused"], out["refused"]
