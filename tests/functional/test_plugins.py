"""Plugins: listing, the installed SDK and plugins built out of tree against
it, and the plugins pyflame refuses to load (named unlike their file, of
another API, not plugins at all)."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import TARGETS, error_of, require, run_pyflame, start_target, stop_target
from testlib.interpreters import installed_python
from plugin_sdk import (API_VERSION, BUILD, EXAMPLE, EXAMPLES, SOURCE, build_plugin, copy_plugin,
                        installed_flags)


def test_list_plugins():
    res = run_pyflame(["--list-plugins"])
    assert res.returncode == 0, res.stderr.decode()
    text = res.stdout.decode()
    for name in ["27", "36", "37", "38", "39", "310", "311", "312", "313"]:
        assert f"pyflame-abi-{name}.so" in text
        assert f"CPython {name[0]}.{name[1:]}" in text
    assert "pyflame-output-folded.so" in text
    assert "API 2" in text


def test_installed_tree_has_header_pc_and_plugins(installed):
    assert (installed / "include/pyflame/pyflame.h").exists()
    assert (installed / "include/pyflame/output.h").exists()
    res = subprocess.run([str(installed / "bin/pyflame"), "--list-plugins"],
                         capture_output=True, text=True)
    assert res.returncode == 0
    assert str(installed / "lib/pyflame/pyflame-abi-311.so") in res.stdout


def test_out_of_tree_output_plugin(python, installed, tmp_path):
    plugins = build_plugin(installed, tmp_path / "plugins")
    env = dict(os.environ, PYFLAME_PLUGIN_PATH=f"/nonexistent:{plugins}")
    listing = run_pyflame(["--list-plugins"], env=env).stdout.decode()
    assert str(plugins / "pyflame-output-stackcount.so") in listing
    res = run_pyflame(["-f", "stackcount", "-t", python, str(TARGETS / "exact_line.py"), "1"],
                      env=env)
    assert res.returncode == 0, res.stderr.decode()
    lines = res.stdout.decode().splitlines()
    assert lines[0] == "ready"  # the target's own output comes first
    samples = [l for l in lines[1:] if not l.startswith("summary")]
    summary = lines[-1].split()
    assert summary[0] == "summary"
    counts = dict(kv.split("=") for kv in summary[1:])
    assert int(counts["samples"]) == len(samples)
    leaves = [l for l in samples if l.startswith("leaf ")]
    assert int(counts["ok"]) == len(leaves)
    assert leaves.count("leaf hot_leaf") > 0.5 * len(samples)


def docs_example_plugin():
    """The example plugin of docs/plugins.md, as the page shows it."""
    text = (SOURCE / "docs/plugins.md").read_text()
    block = text.split("<!-- example-plugin -->", 1)[1].split("<!-- /example-plugin -->", 1)[0]
    return block.split("```c\n", 1)[1].rsplit("```", 1)[0]


@pytest.mark.parametrize("lang", ["c", "c++"])
def test_docs_example_plugin_builds_and_runs(python, installed, tmp_path, lang):
    """The page's example builds warning-free from the installed SDK, as C
    and as C++ (the header gives the entry point C linkage), hidden
    visibility and all, and prints each sample's leaf function."""
    cflags = installed_flags(installed, "--cflags", "pyflame")
    src = tmp_path / ("leaves.c" if lang == "c" else "leaves.cc")
    src.write_text(docs_example_plugin())
    compiler = ["cc", "-std=c11"] if lang == "c" else ["c++", "-std=c++20"]
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    subprocess.run([*compiler, "-Wall", "-Wextra", "-Werror", "-fvisibility=hidden", "-shared",
                    "-fPIC", *cflags, str(src), "-o", str(plugins / "pyflame-output-leaves.so")],
                   check=True)
    res = run_pyflame(["-f", "leaves", "-t", python, str(TARGETS / "exact_line.py"), "1"],
                      env=dict(os.environ, PYFLAME_PLUGIN_PATH=str(plugins)))
    assert res.returncode == 0, res.stderr.decode()
    lines = res.stdout.decode().splitlines()
    assert lines[0] == "ready"  # the target's own output comes first
    assert len(lines) > 50 and lines[1:].count("hot_leaf") > 0.5 * len(lines), lines


def test_examples_are_installed(installed):
    """Every example plugin of docs/examples/ is in the installed doc
    directory, for plugin writers to copy."""
    examples = sorted(p.name for p in EXAMPLES.glob("*.c"))
    assert "top.c" in examples and "stackcount.c" in examples, examples
    for name in examples:
        copy = installed / "share/doc/pyflame-dev/examples" / name
        assert copy.read_bytes() == (EXAMPLES / name).read_bytes(), name


def test_pc_file_under_a_multiarch_libdir(tmp_path):
    """Debian's libdir is lib/x86_64-linux-gnu: pyflame.pc, configured so
    and unpacked under another root, still points at the headers and the
    plugin directory of that root, and a plugin builds with pkg-config
    alone."""
    build, root = tmp_path / "build", tmp_path / "root"
    subprocess.run(["cmake", "-S", str(SOURCE), "-B", str(build), "-DPYFLAME_BUILD_TESTS=OFF",
                    "-DCMAKE_INSTALL_PREFIX=/usr",
                    "-DCMAKE_INSTALL_LIBDIR=lib/x86_64-linux-gnu"],
                   check=True, capture_output=True)
    pcdir = root / "usr/lib/x86_64-linux-gnu/pkgconfig"
    pcdir.mkdir(parents=True)
    shutil.copy(build / "pyflame.pc", pcdir)
    shutil.copytree(SOURCE / "core/include/pyflame", root / "usr/include/pyflame")
    env = dict(os.environ, PKG_CONFIG_PATH=str(pcdir))

    def pkg_config(*args):
        return subprocess.run(["pkg-config", *args, "pyflame"], env=env, check=True,
                              capture_output=True, text=True).stdout.strip()
    assert Path(pkg_config("--variable=includedir")).resolve() == root / "usr/include"
    assert (Path(pkg_config("--variable=plugindir")).resolve() ==
            root / "usr/lib/x86_64-linux-gnu/pyflame")
    subprocess.run(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC",
                    *pkg_config("--cflags").split(), str(EXAMPLE),
                    "-o", str(tmp_path / "pyflame-output-stackcount.so")], check=True)


SILENT_FAILURE = r"""
#include <errno.h>
#include <pyflame/output.h>

static void *silent_open(const pyflame_host *host, const pyflame_output_config *cfg)
{
    (void)host;
    return cfg->out;
}

static int silent_sample(void *state, const pyflame_sample *s)
{
    (void)state;
    (void)s;
    errno = 0;
    return PYFLAME_ERR_IO; /* and says nothing */
}

static int silent_close(void *state)
{
    (void)state;
    errno = ECHILD; /* a cause that is no cause: not to be shown */
    return PYFLAME_ERR_IO;
}

const pyflame_output_plugin pyflame_output_entry = {
    .api_version = PYFLAME_API_VERSION,
    .name = "silent",
    .description = "fails without a cause",
    .open = silent_open,
    .write_sample = silent_sample,
    .close = silent_close,
};
"""


def test_plugin_that_fails_without_a_cause_is_named(python, installed, tmp_path):
    """No stale errno ("No child processes") for a plugin that fails and
    sets none: one error that names the plugin, exit 1."""
    cflags = installed_flags(installed, "--cflags", "pyflame")
    src = tmp_path / "silent.c"
    src.write_text(SILENT_FAILURE)
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    subprocess.run(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC", *cflags,
                    str(src), "-o", str(plugins / "pyflame-output-silent.so")], check=True)
    sleeper = start_target(python, TARGETS / "sleeper.py", 60)
    try:
        res = run_pyflame(["-f", "silent", "-s", "1", "-p", str(sleeper.pid), "-o", os.devnull],
                          env=dict(os.environ, PYFLAME_PLUGIN_PATH=str(plugins)))
    finally:
        stop_target(sleeper)
    assert res.returncode == 1, res.stderr.decode()
    line = error_of(res)
    assert "the silent output plugin failed without saying why" in line, line


def test_out_of_tree_abi_plugin_from_a_layout_table(installed, tmp_path):
    """An ABI plugin built from the installed SDK alone (pkg-config
    pyflame-abi: the walker's library and headers), from a layout table and
    one line of entry point, as a distribution would for a CPython newer
    than its pyflame; found first, it reads a real 3.12 in place of ours."""
    python = installed_python("3.12")
    require(python, "CPython 3.12 in an installation directory of its own")
    flags = installed_flags(installed, "--cflags", "--libs", "pyflame-abi")
    assert all(str(installed) in f for f in flags if f.startswith(("-I", "-L"))), flags
    shutil.copy(SOURCE / "abi-plugins/layouts/py312.c", tmp_path / "py312.c")
    (tmp_path / "entry.c").write_text('#include "abi_entry.h"\nPYFLAME_ABI_PLUGIN(312, 3, 12)\n')
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    plugin = plugins / "pyflame-abi-312.so"
    subprocess.run(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-fvisibility=hidden",
                    "-shared", "-fPIC", str(tmp_path / "py312.c"), str(tmp_path / "entry.c"),
                    *flags, "-o", str(plugin)], check=True)
    env = dict(os.environ, PYFLAME_PLUGIN_PATH=str(plugins))
    listing = run_pyflame(["--list-plugins"], env=env).stdout.decode()
    assert f"(not used: {plugin} comes first)" in listing, listing
    res = run_pyflame(["-t", python, str(TARGETS / "exact_line.py"), "0.5"], env=env)
    assert res.returncode == 0, res.stderr.decode()
    assert "exact_line.py:hot_leaf:" in res.stdout.decode()


def test_abi_sdk_defines_only_names_of_its_own(installed):
    """libpyflame-abi.a links into a third party's plugin beside that
    party's code: every global name it defines begins with pyflame_."""
    res = subprocess.run(["nm", "-g", "--defined-only", str(installed / "lib/libpyflame-abi.a")],
                         check=True, capture_output=True, text=True)
    names = [line.split()[-1] for line in res.stdout.splitlines() if line.count(" ") >= 2]
    assert "pyflame_walker_open" in names, res.stdout
    assert [name for name in names if not name.startswith("pyflame_")] == []


def test_plugin_built_for_an_older_api_still_loads(python, installed, tmp_path):
    """Fields are only appended: a plugin built for API 1 keeps working."""
    plugins = build_plugin(installed, tmp_path / "plugins", "-DSTACKCOUNT_API_VERSION=1")
    env = dict(os.environ, PYFLAME_PLUGIN_PATH=str(plugins))
    listing = run_pyflame(["--list-plugins"], env=env).stdout.decode()
    line = next(l for l in listing.splitlines() if "pyflame-output-stackcount.so" in l)
    assert "API 1" in line, listing
    res = run_pyflame(["-f", "stackcount", "-t", python, str(TARGETS / "exact_line.py"), "1"],
                      env=env)
    assert res.returncode == 0, res.stderr.decode()
    assert "leaf hot_leaf" in res.stdout.decode()


@pytest.mark.parametrize("version, advice", [
    (99, "newer than this pyflame's (%d): upgrade pyflame" % API_VERSION),
    (0, "older than any this pyflame speaks (1 to %d): rebuild the plugin" % API_VERSION),
])
def test_plugin_with_wrong_api_version(python, installed, tmp_path, version, advice):
    """Too new: upgrade pyflame; too old: rebuild the plugin."""
    plugins = build_plugin(installed, tmp_path / "plugins", f"-DSTACKCOUNT_API_VERSION={version}")
    env = dict(os.environ, PYFLAME_PLUGIN_PATH=str(plugins))
    res = run_pyflame(["-f", "stackcount", "-t", python, "-c", "pass"], env=env)
    assert res.returncode == 1
    line = error_of(res)
    assert f"built for plugin API {version}, {advice}" in line, line


def test_plugin_named_unlike_its_file_is_refused(tmp_path):
    """-f selects by file name, --list-plugins shows the struct's name: a
    plugin whose two names differ could be listed under one and found
    under the other.  It is refused, in the listing and by -f."""
    copy = copy_plugin(BUILD / "plugins/pyflame-output-folded.so", tmp_path / "p", "samename")
    env = dict(os.environ, PYFLAME_PLUGIN_PATH=str(copy.parent))
    res = run_pyflame(["-f", "samename", "-p", "1"], env=env)
    assert res.returncode == 1
    assert (f"plugin {copy} is broken: it calls itself 'folded' but its file is named for "
            "'samename' (rename the file pyflame-output-folded.so" in error_of(res))
    listing = run_pyflame(["--list-plugins"], env=env).stdout.decode()
    line = next(l for l in listing.splitlines() if str(copy) in l)
    assert "(cannot be loaded)" in line and "calls itself 'folded'" in line, line


def test_abi_plugin_named_for_another_version_is_refused(python, tmp_path):
    """An ABI plugin's name is the version it reads: pyflame-abi-311.so that
    reads 3.12 would be picked for the wrong targets."""
    plugins = tmp_path / "p"
    plugins.mkdir()
    plugins.chmod(0o755)
    dst = plugins / "pyflame-abi-311.so"
    shutil.copy(BUILD / "plugins/pyflame-abi-312.so", dst)
    res = run_pyflame(["--abi", "311", "-t", python, "-c", "pass"],
                      env=dict(os.environ, PYFLAME_PLUGIN_PATH=str(plugins)))
    assert res.returncode == 1
    assert f"plugin {dst} is broken: it calls itself '312'" in error_of(res)


def test_plugin_glibc_keeps_loaded_does_not_stand_for_the_next(installed, tmp_path):
    """A plugin glibc never unloads (-z nodelete, as C++ code with unique
    symbols gets) keeps the name it was loaded by: every plugin listed after
    it is itself, not that one again."""
    plugins = build_plugin(installed, tmp_path / "plugins", "-Wl,-z,nodelete")
    listing = run_pyflame(["--list-plugins"],
                          env=dict(os.environ, PYFLAME_PLUGIN_PATH=str(plugins)))
    assert listing.returncode == 0, listing.stderr.decode()
    lines = listing.stdout.decode().splitlines()
    assert any("pyflame-output-stackcount.so" in l for l in lines), lines
    for name in ["folded", "chrome", "speedscope", "abi-311"]:
        line = next(l for l in lines if f"pyflame-{name}.so" in l or
                    f"pyflame-output-{name}.so" in l)
        assert "API" in line and "broken" not in line, line


def test_list_plugins_marks_a_plugin_another_shadows(tmp_path):
    """A user's folded plugin found first replaces ours: --list-plugins says
    which one -f folded loads and which one it does not."""
    ours = BUILD / "plugins/pyflame-output-folded.so"
    theirs = copy_plugin(ours, tmp_path / "p", "folded")
    listing = run_pyflame(["--list-plugins"],
                          env=dict(os.environ, PYFLAME_PLUGIN_PATH=str(theirs.parent)))
    lines = listing.stdout.decode().splitlines()
    used = next(l for l in lines if str(theirs) in l)
    shadowed = next(l for l in lines if str(ours) in l)
    assert "API" in used and "folded stacks" in used, used
    assert f"(not used: {theirs} comes first)" in shadowed, shadowed


def libm():
    for line in Path("/proc/self/maps").read_text().splitlines():
        if "/libm.so" in line or "/libm-" in line:
            return Path(line.split()[-1])
    pytest.skip("no libm mapped into the test runner")


# Files that pose as plugins: (kind, how the file is made, the error).
IMPOSTORS = [
    ("output", lambda: b"not an ELF file", "cannot load plugin"),
    ("output", lambda: b"", "cannot load plugin"),
    ("output", lambda: libm().read_bytes(), "has no 'pyflame_output_entry' symbol"),
    ("output", lambda: (BUILD / "plugins/pyflame-abi-311.so").read_bytes(),
     "has no 'pyflame_output_entry' symbol"),
    ("abi", lambda: b"\x7fELF" + b"\0" * 60, "cannot load plugin"),
    ("abi", lambda: libm().read_bytes(), "has no 'pyflame_abi_entry' symbol"),
    ("abi", lambda: (BUILD / "plugins/pyflame-output-folded.so").read_bytes(),
     "has no 'pyflame_abi_entry' symbol"),
]


@pytest.mark.parametrize("kind, content, message", IMPOSTORS,
                         ids=["junk", "empty", "foreign-elf", "abi-as-output",
                              "truncated-elf", "foreign-elf-abi", "output-as-abi"])
def test_file_that_is_not_a_plugin(python, python_version, tmp_path, kind, content, message):
    name = "junk" if kind == "output" else "%d%d" % python_version
    plugin = tmp_path / f"pyflame-{kind}-{name}.so"
    plugin.write_bytes(content())
    env = dict(os.environ, PYFLAME_PLUGIN_PATH=str(tmp_path))
    args = ["-f", "junk"] if kind == "output" else []
    res = run_pyflame([*args, "-t", python, "-c", "import time; time.sleep(30)"], env=env,
                      timeout=20)
    err = res.stderr.decode()
    assert res.returncode == 1, err
    assert message in error_of(res) and str(plugin) in err, err
    listing = run_pyflame(["--list-plugins"], env=env)
    assert listing.returncode == 1
    assert any("(cannot be loaded)" in line and str(plugin) in line
               for line in listing.stdout.decode().splitlines()), listing.stdout.decode()


# An ABI plugin built for API 1: no features field, so no torn-sample check.
API1_ABI_PLUGIN = r"""
#include <stdio.h>
#include <pyflame/abi.h>
static void *open_it(const pyflame_host *h, int *status, char *err, size_t len)
{
    (void)h;
    *status = PYFLAME_ERR_UNSUPPORTED;
    snprintf(err, len, "a stub");
    return NULL;
}
static int sample(void *state, uint32_t flags, pyflame_sample *out)
{
    (void)state; (void)flags;
    out->status = PYFLAME_IDLE;
    return PYFLAME_IDLE;
}
static void close_it(void *state) { (void)state; }
__attribute__((visibility("default"))) const pyflame_abi_plugin pyflame_abi_entry = {
    .api_version = 1, .name = NAME, .description = "API 1 stub",
    .py_major = MAJOR, .py_minor = MINOR,
    .open = open_it, .sample = sample, .close = close_it,
};
"""


def test_nonblocking_refuses_an_abi_plugin_without_the_torn_check(python, python_version,
                                                                  tmp_path):
    major, minor = python_version
    source = tmp_path / "api1.c"
    source.write_text(API1_ABI_PLUGIN)
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    plugin = plugins / ("pyflame-abi-%d%d.so" % python_version)
    subprocess.run(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC",
                    "-I", str(SOURCE / "core/include"), '-DNAME="%d%d"' % python_version,
                    "-DMAJOR=%d" % major, "-DMINOR=%d" % minor, str(source), "-o", str(plugin)],
                   check=True)
    env = dict(os.environ, PYFLAME_PLUGIN_PATH=str(plugins))
    command = ["-t", python, "-c", "import time; time.sleep(30)"]
    res = run_pyflame(["--nonblocking", *command], env=env, timeout=20)
    assert res.returncode == 1, res.stderr.decode()
    err = error_of(res)
    assert "--nonblocking needs an ABI plugin that detects torn samples" in err, err
    assert str(plugin) in err and "plugin API 1" in err, err
    # Without --nonblocking the same plugin is used: its own error shows.
    res = run_pyflame(command, env=env, timeout=20)
    assert res.returncode == 1 and "a stub" in error_of(res), res.stderr.decode()


@pytest.mark.parametrize("fmt", ["folded", "svg", "chrome", "speedscope", "timestamped"])
def test_formats_of_pyflame_refuse_options(python, tmp_path, fmt):
    """-f NAME:OPTIONS hands the options to the plugin; pyflame's own take
    none, so an option (a typo, one meant for another plugin) is one error
    that names it, before anything starts (check_options): the command
    never runs, an existing -o file keeps what it held, and no file is
    made."""
    kept, ran = tmp_path / "kept", tmp_path / "ran"
    kept.write_text("keep")
    res = run_pyflame(["-f", f"{fmt}:x=1,y", "-o", str(kept), "-t", python, "-c",
                       f"open({str(ran)!r}, 'w')"], cwd=tmp_path)
    assert res.returncode == 1, res.stderr.decode()
    assert f"the {fmt} format takes no options, got 'x=1,y'" in error_of(res)
    assert list(tmp_path.iterdir()) == [kept] and kept.read_text() == "keep"
    res = run_pyflame(["-f", f"{fmt}:x=1,y", "-t", python, "-c", f"open({str(ran)!r}, 'w')"],
                      cwd=tmp_path)
    assert res.returncode == 1 and res.stdout == b"", res.stderr.decode()
    assert list(tmp_path.iterdir()) == [kept]


def test_options_for_a_plugin_older_than_options_are_refused(python, installed, tmp_path):
    """A plugin built for API 3 cannot read options: pyflame refuses them
    rather than drop them, and says why."""
    plugins = build_plugin(installed, tmp_path / "plugins", "-DSTACKCOUNT_API_VERSION=3")
    env = dict(os.environ, PYFLAME_PLUGIN_PATH=str(plugins))
    res = run_pyflame(["-f", "stackcount:rows=3", "-t", python, "-c", "print('ran')"], env=env)
    assert res.returncode == 1, res.stderr.decode()
    assert ("the stackcount output plugin takes no options: it was built for plugin API 3, "
            "and options came with API 4") in error_of(res)
    assert res.stdout == b""


def test_unknown_format():
    res = run_pyflame(["-f", "nosuchformat", "-p", "1"])
    assert res.returncode == 1
    assert "no output plugin 'nosuchformat' found" in res.stderr.decode()


