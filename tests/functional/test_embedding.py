"""pyflame profiles CPython however a program carries it: libpython linked
by an embedding program (shared or static, PIE or not, stripped), a
libpython loaded under another name, an interpreter reached through a
symlink, a copy or a venv, and with --abi forced.

The C programs (embed/) are built at test time with the interpreter's own
sysconfig, so each runs against the runtime of PYFLAME_TEST_PYTHON."""
import json
import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import (TARGETS, Profile, assert_exact_line_profile, assert_steady_profile,
                      marker_line, profile, run_pyflame, stop_target)
from conftest import start_ready

EMBED = Path(__file__).parent / "embed"
BUSY = TARGETS / "embedded_busy.py"
EXACT = TARGETS / "exact_line.py"
CFLAGS = ["-std=c11", "-Wall", "-Wextra", "-Werror"]
CONFIG_VARS = ["INCLUDEPY", "LIBDIR", "LDLIBRARY", "LIBRARY", "LIBPL", "LIBS", "SYSLIBS",
               "MODLIBS", "VERSION", "INSTSONAME", "prefix"]
# The code the embedding programs run: frames carry the target's file name.
BUSY_CODE = "path = %r\nexec(compile(open(path).read(), path, 'exec'))\n" % str(BUSY)
STATIC_KINDS = ["pie", "nopie", "stripped"]


class Build:
    """The interpreter's sysconfig, and the programs built against it (once
    per session)."""

    def __init__(self, python, root):
        code = ("import json, sys, sysconfig\n"
                "json.dump(dict((k, sysconfig.get_config_var(k)) for k in %r), sys.stdout)"
                % CONFIG_VARS)
        out = subprocess.run([python, "-c", code], capture_output=True, check=True).stdout
        self.var = {k: v or "" for k, v in json.loads(out.decode()).items()}
        self.major, self.minor = map(int, self.var["VERSION"].split("."))
        self.root = root
        self.built = {}
        # The programs find the standard library through PYTHONHOME; nothing
        # of the test runner's Python environment leaks in.
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        self.env["PYTHONHOME"] = self.var["prefix"]
        self.env["PYTHONDONTWRITEBYTECODE"] = "1"

    @property
    def abi(self):
        return "%d%d" % (self.major, self.minor)

    def libs(self):
        return [*shlex.split(self.var["LIBS"]), *shlex.split(self.var["MODLIBS"]),
                *shlex.split(self.var["SYSLIBS"]), "-lm", "-lpthread", "-ldl", "-lutil"]

    def cc(self, out, *args):
        out.parent.mkdir(parents=True, exist_ok=True)
        res = subprocess.run(["cc", *CFLAGS, "-o", str(out), *map(str, args)],
                             capture_output=True, text=True)
        assert res.returncode == 0, "cc failed:\n" + res.stderr
        return out

    def once(self, key, make):
        if key not in self.built:
            try:
                self.built[key] = ("ok", make())
            except pytest.skip.Exception as e:
                self.built[key] = ("skip", e.msg)
        kind, value = self.built[key]
        if kind == "skip":
            pytest.skip(value)
        return value

    def shared(self):
        """embed.c linked against libpythonX.Y.so, found through an rpath."""
        def make():
            lib = Path(self.var["LIBDIR"], self.var["LDLIBRARY"])
            if not self.var["LDLIBRARY"].endswith(".so") or not lib.exists():
                pytest.skip(f"no shared libpython: {lib} is missing (distributions ship "
                            "it in a -dev package)")
            return self.cc(self.root / "shared" / "embedded", "-I" + self.var["INCLUDEPY"],
                           EMBED / "embed.c", lib, "-Wl,-rpath," + str(lib.parent),
                           *self.libs())
        return self.once("shared", make)

    def archive(self, pic):
        """The static libpython; Debian ships a PIC one apart (-pic.a)."""
        name = self.var["LIBRARY"]
        names = [name.replace(".a", "-pic.a"), name] if pic else [name]
        for n in names:
            for d in (self.var["LIBPL"], self.var["LIBDIR"]):
                if n and Path(d, n).is_file():
                    return Path(d, n)
        pytest.skip(f"no static libpython ({name}) in {self.var['LIBPL']} or "
                    f"{self.var['LIBDIR']} (distributions ship it in a -dev package)")

    def static(self, kind):
        """embed.c with libpythonX.Y.a linked in, as a PIE, a non-PIE, or a
        PIE stripped down to .dynsym (all runtime symbols exported)."""
        def make():
            flags = {"pie": ["-fPIE", "-pie"], "nopie": ["-fno-pie", "-no-pie"],
                     "stripped": ["-fPIE", "-pie", "-Xlinker", "-export-dynamic"]}[kind]
            if self.major == 2:
                flags.append("-DEMBED_NO_SITE")
            out = self.cc(self.root / kind / "embedded", *flags,
                          "-I" + self.var["INCLUDEPY"], EMBED / "embed.c",
                          self.archive(kind != "nopie"), *self.libs())
            if kind == "stripped":
                subprocess.run(["strip", str(out)], check=True)
            return out
        return self.once(kind, make)

    def dlopen(self):
        """embed_dlopen.c, which dlopen()s a copy of libpythonX.Y.so.1.0
        called libembedded.so."""
        def make():
            lib = Path(self.var["LIBDIR"], self.var["INSTSONAME"])
            if not self.var["INSTSONAME"] or not lib.exists():
                pytest.skip(f"no shared libpython: {lib} is missing")
            renamed = self.root / "dlopen" / "libembedded.so"
            renamed.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(lib, renamed)
            prog = self.cc(self.root / "dlopen" / "embedder", EMBED / "embed_dlopen.c", "-ldl")
            return prog, renamed
        return self.once("dlopen", make)


@pytest.fixture(scope="session")
def build(python, tmp_path_factory):
    return Build(python, tmp_path_factory.mktemp("embed"))


def readelf(path, *args):
    return subprocess.run(["readelf", "-W", *args, str(path)], capture_output=True,
                          text=True, check=True).stdout


def mapped_files(pid):
    with open(f"/proc/{pid}/maps") as f:
        return {line.split(None, 5)[5].strip() for line in f if len(line.split(None, 5)) == 6}


def start_program(argv, env):
    """Starts an embedding program and waits until it says it is ready."""
    proc = start_ready(argv, env)
    assert proc.poll() is None, proc.stderr.read()
    return proc


def attach(proc, seconds=1.0, extra=()):
    return run_pyflame([*extra, "-s", str(seconds), "-p", str(proc.pid)])


def profile_program(argv, env, extra=()):
    """Profiles a program for a second; returns (Profile, files it maps)."""
    proc = start_program(argv, env)
    try:
        files = mapped_files(proc.pid)
        res = attach(proc, extra=extra)
    finally:
        stop_target(proc)
    assert res.returncode == 0, res.stderr.decode()
    prof = Profile(res.stdout.decode("utf-8"))
    prof.text += res.stderr.decode()  # what pyflame said, for a failure's message
    return prof, files


def assert_busy_profile(prof):
    """Most samples are in hot_leaf at its HOT line, called by the target's
    main() from the code PyRun_SimpleString ran."""
    assert_steady_profile(prof)
    hot = prof.with_function("hot_leaf")
    assert sum(hot.values()) >= 0.8 * prof.samples, prof.text
    hot_line, call_line = marker_line(BUSY, "HOT"), marker_line(BUSY, "CALL")
    at_hot = sum(n for s, n in hot.items() if s[-1].line == hot_line)
    assert at_hot >= 0.95 * sum(hot.values()), prof.text
    for stack in hot:
        assert [f.func for f in stack] == ["<module>", "<module>", "main", "hot_leaf"], stack
        assert stack[0].file == "<string>", stack
        assert all(f.file == str(BUSY) for f in stack[1:]), stack
        assert stack[-2].line == call_line, stack


def libpythons(files):
    return sorted(f for f in files if os.path.basename(f).startswith("libpython"))


def test_embedded_shared(build):
    prog = build.shared()
    prof, files = profile_program([prog, BUSY_CODE], build.env)
    assert libpythons(files), files
    assert_busy_profile(prof)


@pytest.mark.parametrize("kind", STATIC_KINDS)
def test_embedded_static(build, kind):
    prog = build.static(kind)
    assert "python" not in prog.name
    header = readelf(prog, "-h")
    assert ("EXEC (" in header) == (kind == "nopie"), header
    sections = readelf(prog, "-S")
    assert (".symtab" in sections) == (kind != "stripped"), sections
    if kind == "stripped":
        assert " Py_Initialize" in readelf(prog, "--dyn-syms")
    prof, files = profile_program([prog, BUSY_CODE], build.env)
    # Only the program holds the runtime: nothing loaded a libpython (an
    # extension module linked against one would).
    assert not libpythons(files), libpythons(files)
    assert_busy_profile(prof)


def test_renamed_runtime_loaded_with_dlopen(build):
    prog, lib = build.dlopen()
    prof, files = profile_program([prog, lib, BUSY_CODE], build.env)
    assert str(lib) in files, files
    assert not libpythons(files), libpythons(files)
    assert_busy_profile(prof)


@pytest.mark.parametrize("how", ["symlink", "copy"])
def test_interpreter_under_another_name(python, how, tmp_path):
    exe = tmp_path / "mypy"
    if how == "symlink":
        exe.symlink_to(python)
    else:
        shutil.copy(python, exe)
    prof, _ = profile(str(exe), "attach", EXACT, seconds=1)
    assert_exact_line_profile(prof, EXACT)


@pytest.mark.parametrize("how", ["symlinks", "copies"])
def test_venv(python, build, how, tmp_path):
    if build.major < 3:
        pytest.skip("Python 2.7 has no venv module")
    if subprocess.run([python, "-c", "import venv"], capture_output=True).returncode != 0:
        pytest.skip(f"{python} has no venv module")
    venv = tmp_path / "venv"
    args = [python, "-m", "venv", "--without-pip", *(["--copies"] if how == "copies" else []),
            str(venv)]
    res = subprocess.run(args, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    exe = venv / "bin" / "python"
    assert exe.is_symlink() == (how == "symlinks")
    prof, _ = profile(str(exe), "attach", EXACT, seconds=1)
    assert_exact_line_profile(prof, EXACT)


def test_abi_forced_on_interpreter(python, build):
    prof, _ = profile(python, "attach", EXACT, seconds=1, extra=["--abi", build.abi])
    assert_exact_line_profile(prof, EXACT)


def test_abi_26_means_27(python, build):
    if build.abi != "27":
        pytest.skip("--abi=26 names the 2.7 ABI; this is not 2.7")
    prof, _ = profile(python, "attach", EXACT, seconds=1, extra=["--abi", "26"])
    assert_exact_line_profile(prof, EXACT)


@pytest.mark.parametrize("kind", ["pie", "stripped"])
def test_abi_forced_on_static(build, kind):
    prog = build.static(kind)
    prof, _ = profile_program([prog, BUSY_CODE], build.env, extra=["--abi", build.abi])
    assert_busy_profile(prof)


def abi_plugins():
    res = run_pyflame(["--list-plugins"])
    assert res.returncode == 0, res.stderr.decode()
    return [line.split()[1] for line in res.stdout.decode().splitlines()
            if line.startswith("ABI ")]


@pytest.mark.parametrize("kind", ["pie", "stripped"])
def test_wrong_abi_on_static_never_crashes(build, kind):
    """Where the version is told from symbols alone (before 3.11), a wrong
    --abi reads the target with the wrong layout: pyflame may fail, but
    cleanly, and leaves the target running and intact."""
    prog = build.static(kind)
    right = {build.abi, "26"} if build.abi == "27" else {build.abi}
    wrong = [abi for abi in abi_plugins() + ["26"] if abi not in right]
    assert len(wrong) >= 2, wrong
    proc = start_program([prog, BUSY_CODE], build.env)
    try:
        for abi in wrong:
            res = attach(proc, seconds=0.25, extra=["--abi", abi])
            err = res.stderr.decode("utf-8", "replace")
            assert res.returncode >= 0, f"--abi={abi}: killed by signal {-res.returncode}\n{err}"
            assert res.returncode == 0 or "pyflame: error" in err, f"--abi={abi}: {err}"
            if res.returncode == 0:
                # Told, and what it wrote is still folded stacks.
                assert "pyflame: warning" in err, f"--abi={abi}: no warning"
                Profile(res.stdout.decode("utf-8", "replace"))
            assert proc.poll() is None, f"--abi={abi} left the target dead"
        res = attach(proc)
    finally:
        stop_target(proc)
    assert res.returncode == 0, res.stderr.decode()
    assert_busy_profile(Profile(res.stdout.decode("utf-8")))
