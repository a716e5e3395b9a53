"""pyflame.profile() and python -m pyflame run by an ordinary user
(nobody, through setpriv), with Debian's python3 and the package's
source: what Yama lets a user do.  (pyenv's interpreters are installed
under /root, which no other user may enter.)

Without Yama (this CI machine's kernel) a user's process may trace its
own parent, so the block is profiled.  Yama's scopes are made up here: a
file that says the scope, which the package reads in place of
/proc/sys/kernel/yama/ptrace_scope.  Under scope 1 the package names
pyflame with prctl(PR_SET_PTRACER): on a kernel without Yama that call
fails (EINVAL), which is what the test sees; on one with Yama it works
and the block is profiled.  Scopes 2 and 3 refuse a user before
pyflame starts."""
import json
import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import PYFLAME, TARGETS, require
from python_package import DEBIAN_PYTHON, PACKAGE
from test_format_svg import Graph
from test_python_package import assert_hot_leaf
from test_python_region import assert_only, scope_file

NOBODY = 65534
SETPRIV = ["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups", "--"]
YAMA = Path("/proc/sys/kernel/yama/ptrace_scope")


@pytest.fixture(scope="module")
def tree():
    """The package and the target, in a directory anyone may read, and a
    directory nobody may write."""
    if os.geteuid() != 0:
        pytest.skip("becoming another user (nobody) takes root")
    require(shutil.which("setpriv"), "setpriv (util-linux), to run as nobody")
    root = Path(tempfile.mkdtemp(prefix="pyflame-nonroot-"))
    shutil.copytree(str(PACKAGE / "pyflame"), str(root / "pyflame"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    for target in ("region_api.py", "sampled_work.py", "exact_line.py"):
        shutil.copy(str(TARGETS / target), str(root))
    for path in [root, *root.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH |
                   (stat.S_IXOTH | stat.S_IXGRP if path.is_dir() else 0))
    (root / "out").mkdir()
    (root / "out").chmod(0o777)
    # The build must be within reach of nobody for these tests to mean anything.
    reach = subprocess.run(SETPRIV + ["test", "-x", PYFLAME], capture_output=True)
    require(reach.returncode == 0, "a build of pyflame that nobody can run (%s)" % PYFLAME)
    yield root
    shutil.rmtree(str(root), True)


def run_as_nobody(tree, args, pyflame=PYFLAME):
    """Debian's python3 with `args`, as nobody, in tree/out."""
    env = dict(os.environ, PYFLAME=str(pyflame), PYTHONPATH=str(tree), HOME=str(tree / "out"))
    res = subprocess.run(SETPRIV + [DEBIAN_PYTHON, *map(str, args)], env=env,
                         cwd=str(tree / "out"), capture_output=True, timeout=120)
    assert res.returncode == 0, res.stderr.decode()
    return res


def as_nobody(tree, *args, pyflame=PYFLAME):
    """What region_api.py saw, run as nobody."""
    res = run_as_nobody(tree, [tree / "region_api.py", *args], pyflame)
    return json.loads(res.stdout.decode().splitlines()[-1])


def marking_pyflame(tree):
    """A pyflame that leaves a mark (out/ran) when it runs, then is the
    real one."""
    mark = tree / "out" / "ran"
    if mark.exists():
        mark.unlink()
    shim = tree / "out" / "pyflame"
    shim.write_text('#!/bin/sh\ntouch "%s"\nexec "%s" "$@"\n' % (tree / "out" / "ran", PYFLAME))
    shim.chmod(0o755)
    return shim


def test_a_user_profiles_a_block(tree):
    out = as_nobody(tree, "block", tree / "out" / "block.svg")
    assert out["traced_at_start"] != 0 and out["tracer_after"] == 0
    assert out["children_after"] == []
    assert_only(out["folded"], "region_work")
    assert (tree / "out" / "block.svg").read_bytes().startswith(b"<?xml ")


def test_a_user_runs_python_m_pyflame(tree):
    """The program is pyflame's child: an ordinary user may trace it."""
    run_as_nobody(tree, ["-m", "pyflame", "-o", "script.svg", tree / "exact_line.py", "0.3"])
    assert_hot_leaf(Graph(tree / "out" / "script.svg"), tree / "exact_line.py")


def made_up_scope(tree, value):
    path = scope_file(value)
    try:
        return as_nobody(tree, "scope", path, pyflame=marking_pyflame(tree))
    finally:
        path.unlink()


def test_scope_1_names_pyflame_with_prctl(tree):
    out = made_up_scope(tree, 1)
    if YAMA.exists():  # the kernel has Yama: the call lets pyflame in
        assert out["ran"], out
        assert_only(out["folded"], "region_work")
        return
    # No Yama: the kernel refuses the call, and pyflame never starts.
    assert not out["ran"] and out["children_after"] == []
    assert "prctl(PR_SET_PTRACER): Invalid argument" in out["refused"], out["refused"]
    assert "kernel.yama.ptrace_scope is 1" in out["refused"]
    assert not (tree / "out" / "ran").exists()


@pytest.mark.parametrize("scope,why", [
    (2, "lets only a process with CAP_SYS_PTRACE trace another; an administrator can run "
        "the program as root, give the native pyflame the capability (setcap "
        "cap_sys_ptrace+ep "),
    (3, "forbids ptrace to every process, root too, until the next boot")])
def test_scopes_2_and_3_refuse_a_user_before_pyflame_starts(tree, scope, why):
    out = made_up_scope(tree, scope)
    assert not out["ran"] and out["children_after"] == []
    assert "kernel.yama.ptrace_scope is %d" % scope in out["refused"]
    assert why in out["refused"], out["refused"]
    assert not (tree / "out" / "ran").exists()
