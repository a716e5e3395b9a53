"""python -m pyflame: the pure-Python package of packaging/python,
installed for the interpreter under test (python_package.py); the
source tree's own install commands are run with Debian's python3.  Every
run profiles a real program with the native pyflame of this build
(PYFLAME)."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys

import pytest

from conftest import (PYFLAME, TARGETS, Profile, child_processes, error_of, marker_line, require,
                      wait_sampled, wait_until)
from python_package import DEBIAN_PYTHON, PACKAGE, SOURCE, run_pip, source_copy
from test_format_svg import Graph, check_consistent

EXACT_LINE = TARGETS / "exact_line.py"
STDIO_EXIT = TARGETS / "stdio_exit.py"

def python_m_pyflame(python, args, cwd, site=None, env=None, stdin=b""):
    """python -m pyflame ARGS in `cwd`, the package found in `site`, the
    native pyflame of this build named by PYFLAME (unless `env` says
    otherwise)."""
    env = dict(os.environ, PYFLAME=PYFLAME) if env is None else dict(env)
    if site is not None:
        env["PYTHONPATH"] = str(site)
    return subprocess.run([str(python), "-m", "pyflame", *map(str, args)], cwd=str(cwd),
                          env=env, input=stdin, capture_output=True, timeout=120)


def written_to(res, path):
    """The run's last line on standard error says where the profile went."""
    assert res.stderr.decode().splitlines()[-1] == "pyflame: profile written to %s" % path, \
        res.stderr.decode()


def assert_hot_leaf(graph, script):
    """The graph of targets/exact_line.py (or stdio_exit.py): most of main's
    samples in hot_leaf, on its hot line, called from main (Graph.named_in
    says why main's)."""
    check_consistent(graph)
    hot = "%s:hot_leaf:%d" % (script, marker_line(script, "HOT"))
    frames = [f for f in graph.frames if f.name == hot]
    main = graph.named_in("main", script)
    assert frames and main, graph.frames[:20]
    assert sum(f.n for f in frames) >= 0.5 * sum(f.n for f in main), graph.frames[:20]
    callers = {f.name.split(":")[1] for f in graph.frames
               if f.depth == frames[0].depth - 1 and f.s <= frames[0].s < f.s + f.n}
    assert callers == {"main"}, callers


def test_package_version_is_pyflame_version(package_python, wheel):
    cmake = (SOURCE / "CMakeLists.txt").read_text()
    version = re.search(r"project\(pyflame VERSION ([\d.]+)", cmake).group(1)
    assert wheel.name == "pyflame-%s-py3-none-any.whl" % version


def test_svg_of_a_script(package_python, site, tmp_path):
    res = python_m_pyflame(package_python, ["-o", "out.svg", EXACT_LINE, "0.5"], tmp_path, site)
    assert res.returncode == 0, res.stderr.decode()
    assert res.stdout == b"ready\n"  # the program's, and only that
    written_to(res, "out.svg")
    assert_hot_leaf(Graph(tmp_path / "out.svg"), EXACT_LINE)


@pytest.mark.parametrize("fmt,name", [(None, "exact_line.py.svg"),
                                      ("chrome", "exact_line.py.cpuprofile")])
def test_default_output_is_named_after_the_script(package_python, site, tmp_path, fmt, name):
    """In the current directory, not the script's; the format's extension."""
    args = ["-f", fmt] if fmt else []
    res = python_m_pyflame(package_python, [*args, EXACT_LINE, "0.3"], tmp_path, site)
    assert res.returncode == 0, res.stderr.decode()
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]
    written_to(res, name)
    if fmt == "chrome":
        assert json.loads((tmp_path / name).read_text())["nodes"]
    else:
        assert_hot_leaf(Graph(tmp_path / name), EXACT_LINE)


def test_program_keeps_its_stdio_and_exit_status(package_python, site, tmp_path):
    res = python_m_pyflame(package_python, ["-o", "out.svg", STDIO_EXIT, "0.3", "3"], tmp_path,
                           site, stdin=b"line one\nline two\n")
    assert res.returncode == 3, res.stderr.decode()
    assert res.stdout.decode().splitlines()[1:] == ["line one", "line two"]
    # pyflame's warnings may come too: about a loaded machine (the program
    # stopped for a large share of the run), or a sample or two unread as
    # the interpreter exits.  They are pyflame's, not the program's output.
    told = [line for line in res.stderr.decode().splitlines()
            if not line.startswith("pyflame: warning: ")]
    assert told == ["the program's own error output", "pyflame: profile written to out.svg"]
    assert_hot_leaf(Graph(tmp_path / "out.svg"), STDIO_EXIT)


def test_a_module_with_its_arguments(package_python, site, tmp_path):
    shutil.copy(str(EXACT_LINE), str(tmp_path / "busy_module.py"))
    res = python_m_pyflame(package_python, ["-m", "busy_module", "0.5"], tmp_path, site)
    assert res.returncode == 0, res.stderr.decode()
    assert res.stdout == b"ready\n"
    written_to(res, "busy_module.svg")
    assert_hot_leaf(Graph(tmp_path / "busy_module.svg"), tmp_path / "busy_module.py")


def test_profile_to_stdout_with_o_dash(package_python, site, tmp_path):
    res = python_m_pyflame(package_python, ["-f", "folded", "-o", "-", EXACT_LINE, "0.3"],
                           tmp_path, site)
    assert res.returncode == 0, res.stderr.decode()
    lines = res.stdout.decode().splitlines()
    assert lines[0] == "ready"
    assert Profile("\n".join(lines[1:]) + "\n").with_function("hot_leaf")
    assert "profile written" not in res.stderr.decode()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args,every", [(["-s", "0.02"], "20 ms"), (["--hz", "40"], "25 ms")])
def test_sampling_interval_reaches_pyflame(package_python, site, tmp_path, args, every):
    res = python_m_pyflame(package_python, [*args, "-o", "out.svg", EXACT_LINE, "0.3"],
                           tmp_path, site)
    assert res.returncode == 0, res.stderr.decode()
    assert Graph(tmp_path / "out.svg").subtitle.endswith("; one every " + every)


def test_threads_reaches_pyflame(package_python, site, tmp_path):
    """targets/busy_among_sleepers.py: the main thread busy, four asleep.
    With --threads every tick counts each sleeper idle."""
    res = python_m_pyflame(package_python, ["--threads", "-f", "folded", "-o", "out.folded",
                                            TARGETS / "busy_among_sleepers.py", "0.5"],
                           tmp_path, site)
    assert res.returncode == 0, res.stderr.decode()
    prof = Profile((tmp_path / "out.folded").read_text())
    busy = sum(n for s, n in prof.stacks.items() if s[-1].func == "<module>")
    assert busy > 0 and prof.idle >= 2 * busy, prof.text


def test_ctrl_c_ends_the_run_with_a_profile(package_python, site, tmp_path):
    """SIGINT to the terminal's process group: the program and pyflame
    end, and this command waits for them, says where the profile went
    and exits with the program's status."""
    env = dict(os.environ, PYFLAME=PYFLAME, PYTHONPATH=str(site))
    proc = subprocess.Popen([package_python, "-m", "pyflame", "-o", "out.svg", EXACT_LINE, "60"],
                            cwd=str(tmp_path), env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        assert proc.stdout.readline() == b"ready\n"
        # Ctrl-C once pyflame has samples: the program is its child.
        native = wait_until(lambda: child_processes(proc.pid), "pyflame started")[0]
        wait_sampled(wait_until(lambda: child_processes(native), "the program started")[0])
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 128 + signal.SIGINT, err.decode()
    err = err.decode()
    assert "KeyboardInterrupt" in err and "_cli.py" not in err, err  # the program's, not ours
    # pyflame leaves the program to end by itself: its traceback may come
    # after the line, or around it.
    assert "pyflame: profile written to out.svg\n" in err, err
    check_consistent(Graph(tmp_path / "out.svg"))


def test_a_virtual_environment_runs_its_own_interpreter(pip_python, wheel, tmp_path):
    """The package installed into a venv runs the program with the venv's
    interpreter, without PYTHONPATH."""
    venv = tmp_path / "venv"
    subprocess.run([pip_python, "-m", "venv", "--system-site-packages", "--without-pip",
                    str(venv)], check=True, capture_output=True, timeout=120)
    venv_python = venv / "bin" / "python"
    run_pip(venv_python, "install", "--no-index", "--no-deps", wheel)  # the base's pip
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    res = python_m_pyflame(venv_python, ["-o", "out.svg", STDIO_EXIT, "0.3", "0"], tmp_path,
                           env=env)
    assert res.returncode == 0, res.stderr.decode()
    assert res.stdout.decode().splitlines()[0] == "python %s %s" % (venv_python, venv)
    assert_hot_leaf(Graph(tmp_path / "out.svg"), STDIO_EXIT)


def one_error_line(res):
    """The command failed with one line on standard error, and ran nothing."""
    assert res.returncode != 0
    assert len(res.stderr.decode().splitlines()) == 1, res.stderr.decode()
    assert res.stdout == b""
    return error_of(res)


def test_native_binary_missing(package_python, site, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYFLAME"}
    env["PATH"] = str(empty)
    res = python_m_pyflame(package_python, [EXACT_LINE, "0.1"], tmp_path, site, env=env)
    assert res.returncode == 1
    line = one_error_line(res)
    assert "not on PATH" in line and "Debian package pyflame" in line and "PYFLAME=" in line
    res = python_m_pyflame(package_python, [EXACT_LINE, "0.1"], tmp_path, site,
                           env=dict(env, PYFLAME=str(empty / "pyflame")))
    assert res.returncode == 1
    assert "PYFLAME=%s is not an executable file" % (empty / "pyflame") in one_error_line(res)
    assert list(tmp_path.iterdir()) == [empty]


@pytest.mark.parametrize("args,error", [
    ([], "no program to run"),
    (["-o", "x.svg"], "no program to run"),
    (["-m"], "-m needs the name of a module"),
    (["missing.py"], "cannot open missing.py: No such file or directory"),
    (["-s", "0", "x.py"], "'0' is not a positive number"),
    (["--hz", "40", "-s", "0.1", "x.py"], "not allowed with"),
    (["--bogus", "x.py"], "unrecognized arguments: --bogus"),
])
def test_usage_errors(package_python, site, tmp_path, args, error):
    res = python_m_pyflame(package_python, args, tmp_path, site)
    assert res.returncode == 1
    assert error in one_error_line(res)
    assert list(tmp_path.iterdir()) == []


def test_ptrace_not_permitted(package_python, site, tmp_path):
    """The kernel refuses pyflame's PTRACE_SEIZE of the program (made to by
    strace): one line from pyflame, the program never runs, and an older
    profile of the same name is not said to be written."""
    strace = shutil.which("strace")
    require(strace, "strace, to make ptrace fail")
    shim = tmp_path / "pyflame"
    shim.write_text('#!/bin/sh\nexec %s -o /dev/null -e inject=ptrace:error=EPERM %s "$@"\n'
                    % (strace, PYFLAME))
    shim.chmod(0o755)
    (tmp_path / "out.svg").write_text("older")
    res = python_m_pyflame(package_python, ["-o", "out.svg", STDIO_EXIT, "0", "0"], tmp_path,
                           site, env=dict(os.environ, PYFLAME=str(shim)))
    line = one_error_line(res)
    assert "cannot trace" in line and "Operation not permitted" in line, line
    assert (tmp_path / "out.svg").read_text() == "older"


def cli_options():
    """Every option string python -m pyflame's parser takes."""
    sys.path.insert(0, str(PACKAGE))
    try:
        from pyflame import _cli
    finally:
        sys.path.remove(str(PACKAGE))
    return {s for action in _cli.parser()._actions for s in action.option_strings}


def test_help_documents_every_option(package_python, site, tmp_path):
    res = python_m_pyflame(package_python, ["--help"], tmp_path, site)
    assert res.returncode == 0 and res.stderr == b""
    text = res.stdout.decode()
    assert text.startswith("usage: python -m pyflame [options] [--] script.py [args ...]\n")
    assert package_python in text  # the interpreter that runs the program
    guide = (SOURCE / "docs" / "python.md").read_text()
    options = cli_options()
    assert {"-o", "-f", "-s", "--hz", "--threads", "-m"} <= options
    for option in options:
        assert re.search(r"(^|[\s,])%s\b" % re.escape(option), text, re.M), option
        if option not in ("-h", "--help"):
            assert "`%s" % option in guide, option


def test_source_tree_installs_offline_with_debian_python(package_python, tmp_path):
    """docs/python.md's two commands for Debian's python3, which needs
    --no-build-isolation offline (setuptools from python3-setuptools) and
    refuses to install into the system (PEP 668): into a directory, and
    into a venv that sees the system's packages."""
    if os.path.realpath(package_python) != os.path.realpath(DEBIAN_PYTHON):
        pytest.skip("the source tree's install is checked with Debian's python3; %s "
                    "installs the wheel" % package_python)
    src = source_copy(tmp_path / "src")
    run_pip(DEBIAN_PYTHON, "install", "--no-build-isolation", "--no-index", "--target",
            tmp_path / "site", src)
    subprocess.run([DEBIAN_PYTHON, "-m", "venv", "--system-site-packages", str(tmp_path / "venv")],
                   check=True, capture_output=True, timeout=300)
    run_pip(tmp_path / "venv" / "bin" / "python", "install", "--no-build-isolation", "--no-index",
            src)
    for python, site, out in [(DEBIAN_PYTHON, tmp_path / "site", "target.svg"),
                              (tmp_path / "venv" / "bin" / "python", None, "venv.svg")]:
        res = python_m_pyflame(python, ["-o", out, EXACT_LINE, "0.3"], tmp_path, site)
        assert res.returncode == 0, res.stderr.decode()
        assert_hot_leaf(Graph(tmp_path / out), EXACT_LINE)
