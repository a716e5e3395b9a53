"""Plugins: listing, and an output plugin built out of tree against the
installed header, loaded through PYFLAME_PLUGIN_PATH."""
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from conftest import (PYFLAME, SANITIZE_CFLAGS, TARGETS, Profile, error_of, profile, require,
                      run_pyflame, start_target, stop_target)
from testlib.interpreters import installed_python

BUILD = Path(os.environ.get("PYFLAME_BUILD_DIR", Path(PYFLAME).parent))
SOURCE = Path(os.environ.get("PYFLAME_SOURCE_DIR", Path(__file__).parents[2]))
EXAMPLES = SOURCE / "docs/examples"
EXAMPLE = EXAMPLES / "stackcount.c"
API_VERSION = int(re.search(r"#define PYFLAME_API_VERSION (\d+)",
                            (SOURCE / "core/include/pyflame/pyflame.h").read_text()).group(1))


def test_list_plugins():
    res = run_pyflame(["--list-plugins"])
    assert res.returncode == 0, res.stderr.decode()
    text = res.stdout.decode()
    for name in ["27", "36", "37", "38", "39", "310", "311", "312", "313"]:
        assert f"pyflame-abi-{name}.so" in text
        assert f"CPython {name[0]}.{name[1:]}" in text
    assert "pyflame-output-folded.so" in text
    assert "API 2" in text


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """pyflame installed into a fresh prefix."""
    prefix = tmp_path_factory.mktemp("prefix")
    subprocess.run(["cmake", "--install", str(BUILD), "--prefix", str(prefix)],
                   check=True, capture_output=True)
    return prefix


def installed_flags(installed, *args):
    """What pkg-config says (args: options, then the package) of the tree
    `installed`, and nothing else: the SDK as a third party builds with it."""
    env = dict(os.environ, PKG_CONFIG_PATH=str(installed / "lib/pkgconfig"))
    return subprocess.run(["pkg-config", *args], env=env, check=True, capture_output=True,
                          text=True).stdout.split()


def build_plugin(installed, out_dir, *defines):
    cflags = installed_flags(installed, "--cflags", "pyflame")
    assert any(str(installed) in f for f in cflags), cflags
    out_dir.mkdir(exist_ok=True)
    target = out_dir / "pyflame-output-stackcount.so"
    source = installed / "share/doc/pyflame-dev/examples" / EXAMPLE.name  # as installed
    subprocess.run(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC",
                    *cflags, *defines, str(source), "-o", str(target)], check=True)
    return out_dir


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


@pytest.fixture(scope="module")
def top_plugins(installed, tmp_path_factory):
    """docs/examples/top.c, as installed, built against the installed SDK
    alone: the directory of pyflame-output-top.so."""
    cflags = installed_flags(installed, "--cflags", "pyflame")
    plugins = tmp_path_factory.mktemp("top")
    subprocess.run(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC",
                    *SANITIZE_CFLAGS, *cflags,
                    str(installed / "share/doc/pyflame-dev/examples/top.c"),
                    "-o", str(plugins / "pyflame-output-top.so")], check=True)
    return plugins


Row = collections.namedtuple("Row", "own own_pct total total_pct func file")


def top_table(text):
    """top's output: (samples, idle, failed) and its rows."""
    lines = text.splitlines()
    header = re.fullmatch(r"samples (\d+), idle (\d+), failed (\d+)", lines[0])
    assert header, text
    assert lines[1].split() == ["own", "%own", "total", "%total", "function", "(file)"], text
    rows = []
    for line in lines[2:]:
        m = re.fullmatch(r" *(\d+) +([\d.]+)% +(\d+) +([\d.]+)%  (.*?) \((.*)\)", line)
        assert m, line
        rows.append(Row(int(m[1]), m[2], int(m[3]), m[4], m[5], m[6]))
    return tuple(int(n) for n in header.groups()), rows


def own_and_total(prof):
    """What a folded profile says of each function (file, name): the
    samples whose innermost Python frame it is (own), and those it is
    anywhere in (total, once however often the stack holds it).  Frames
    without a file are pyflame's labels, not functions.  Also the idle
    samples: (idle), and --thread-names' stacks that end in (idle)."""
    own, total = collections.Counter(), collections.Counter()
    idle = prof.idle
    for stack, n in prof.stacks.items():
        functions = [(f.file, f.func) for f in stack if f.file]
        if functions:
            own[functions[-1]] += n
        elif stack[-1].func == "(idle)":
            idle += n
        for function in set(functions):
            total[function] += n
    return own, total, idle


# Feeds a profile to an output plugin's write_profile, as pyflame would:
# argv is the plugin, the profile (one field a line: idle, failed, the
# number of stacks, then per stack its count and number of frames, then
# per frame root first its flags, line, file and name) and the options.
FEEDER = r"""
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pyflame/output.h>

static char *next;

static char *line(void)
{
    char *l = next;
    next = strchr(next, '\n');
    *next++ = '\0';
    return l;
}

static uint64_t number(void)
{
    return strtoull(line(), NULL, 10);
}

static void say(void *ctx, const char *fmt, ...)
{
    (void)ctx;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int main(int argc, char **argv)
{
    static char text[1 << 24];
    FILE *in = fopen(argv[2], "r");
    size_t len = in ? fread(text, 1, sizeof text - 1, in) : 0;
    void *so = dlopen(argv[1], RTLD_NOW);
    const pyflame_output_plugin *p = so ? dlsym(so, PYFLAME_OUTPUT_SYMBOL) : NULL;
    if (argc != 4 || !len || len == sizeof text - 1 || !p)
        return 2;
    fclose(in);
    next = text;
    pyflame_profile prof = {.idle = number(), .failed = number(), .nstacks = number()};
    pyflame_stack_count *stacks = calloc(prof.nstacks, sizeof *stacks);
    for (size_t i = 0; i < prof.nstacks; i++) {
        stacks[i].count = number();
        stacks[i].nframes = (uint32_t)number();
        const pyflame_frame **frames = calloc(stacks[i].nframes, sizeof *frames);
        for (uint32_t k = 0; k < stacks[i].nframes; k++) {
            pyflame_frame *f = calloc(1, sizeof *f);
            f->flags = (uint32_t)number();
            f->line = (uint32_t)number();
            f->file = line();
            f->name = line();
            frames[k] = f;
        }
        stacks[i].frames = frames;
        prof.samples += stacks[i].count;
    }
    prof.samples += prof.idle + prof.failed;
    prof.stacks = stacks;
    pyflame_host host = {.api_version = PYFLAME_API_VERSION, .warn = say, .error = say};
    pyflame_output_config cfg = {.out = stdout, .interval_s = 0.001, .pid = 1,
                                 .options = *argv[3] ? argv[3] : NULL};
    void *state = p->open(&host, &cfg);
    if (!state || p->write_profile(state, &prof) != PYFLAME_OK || p->close(state) != PYFLAME_OK)
        return 1;
    for (size_t i = 0; i < prof.nstacks; i++) {
        for (uint32_t k = 0; k < stacks[i].nframes; k++)
            free((void *)stacks[i].frames[k]);
        free((void *)stacks[i].frames);
    }
    free(stacks);
    return 0;
}
"""

# Stacks no run of the targets shows, added to their folded output: a
# thread running without the GIL, a function twice on one stack (not at
# its leaf), a function's name in two files, an idle thread's stack.
MADE_UP_FOLDED = """\
thread worker (42);/app/a.py:f:1;/app/b.py:g:2;/app/a.py:f:3;/app/a.py:h:4;(no GIL) 7
/app/b.py:f:9;/app/a.py:f:1 5
thread worker (42);(idle) 4
"""


def feed(installed, top_plugins, tmp_path, prof, options=""):
    """Runs top.c's write_profile on the stacks of Profile prof; its output."""
    feeder = tmp_path / "feeder"
    if not feeder.exists():
        (tmp_path / "feeder.c").write_text(FEEDER)
        subprocess.run(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", *SANITIZE_CFLAGS,
                        "-I", str(installed / "include"), str(tmp_path / "feeder.c"),
                        "-o", str(feeder), "-ldl"], check=True)
    fields = [prof.idle, prof.failed, len(prof.stacks)]
    for stack, n in prof.stacks.items():
        fields += [n, len(stack)]
        for f in stack:
            label = 0 if f.file else 0x1  # PYFLAME_FRAME_LABEL
            idle = 0x2 if label and f.func == "(idle)" else 0  # PYFLAME_FRAME_IDLE
            fields += [label | idle, f.line or 0, f.file, f.func]
    data = tmp_path / "profile.lines"
    data.write_text("".join(f"{x}\n" for x in fields), encoding="utf-8")
    res = subprocess.run([str(feeder), str(top_plugins / "pyflame-output-top.so"), str(data),
                          options], capture_output=True, timeout=60)
    assert res.returncode == 0, res.stderr.decode()
    return res.stdout.decode("utf-8")


@pytest.mark.parametrize("script, extra", [("deep.py", []), ("exact_line.py", ["--thread-names"])])
def test_top_agrees_with_folded(python, installed, top_plugins, tmp_path, script, extra):
    """The example top.c counts what the folded output says.

    No one run can be written by both formats, and two runs differ, so the
    test is made exact instead: a real run writes the folded output, the
    truth, and top.c's write_profile is fed those very stacks (plus a few
    made-up ones for cases the targets do not show) by a small host, as
    pyflame would feed it.  Own and total samples are derived here from the
    folded lines alone, and every row of top's table must match them: the
    recursion of deep.py counts once per sample in total, --thread-names'
    labels and (idle) leaves are no functions.  test_top_on_a_real_run
    runs top.c under pyflame itself."""
    prof, _ = profile(python, "trace", TARGETS / script, 1.0, extra, tmp_path)
    prof = Profile(prof.text + MADE_UP_FOLDED)
    own, total, idle = own_and_total(prof)
    assert total[(str(TARGETS / script), "main")] >= 0.5 * prof.samples, prof.text

    for sort in ["own", "total"]:
        header, rows = top_table(feed(installed, top_plugins, tmp_path, prof,
                                      f"rows=1000000,sort={sort}"))
        assert header == (prof.samples, idle, prof.failed)
        assert {(r.file, r.func): (r.own, r.total) for r in rows} == \
            {f: (own[f], total[f]) for f in total}
        assert len(rows) == len(total)
        for r in rows:
            assert r.own_pct == "%.1f" % (100.0 * r.own / prof.samples), r
            assert r.total_pct == "%.1f" % (100.0 * r.total / prof.samples), r
        keys = [(r.own, r.total) if sort == "own" else (r.total, r.own) for r in rows]
        assert keys == sorted(keys, reverse=True), rows
    # The default: 20 rows, most own first.
    _, rows = top_table(feed(installed, top_plugins, tmp_path, prof))
    assert len(rows) == min(20, len(total))
    assert [(r.own, r.total) for r in rows] == \
        sorted(((own[f], total[f]) for f in total), reverse=True)[:20]


@pytest.mark.parametrize("script, leaf", [("deep.py", "bottom"), ("exact_line.py", "hot_leaf")])
def test_top_on_a_real_run(python, top_plugins, script, leaf):
    """-f top:rows=3 under pyflame: three rows, the target's hot leaf first,
    and recursion (deep.py's 300 frames of recurse) counted once a sample."""
    res = run_pyflame(["-f", "top:rows=3", "-t", python, str(TARGETS / script), "1"],
                      env=dict(os.environ, PYFLAME_PLUGIN_PATH=str(top_plugins)))
    assert res.returncode == 0, res.stderr.decode()
    out = res.stdout.decode()
    assert out.startswith("ready\n"), out  # the target's own output comes first
    (samples, idle, failed), rows = top_table(out[len("ready\n"):])
    assert len(rows) == 3, out
    assert rows[0].func == leaf and rows[0].file == str(TARGETS / script), out
    assert rows[0].own >= 0.5 * samples, out
    assert sum(r.own for r in rows) <= samples - idle - failed, out
    for r in rows:
        assert r.own <= r.total <= samples, out


@pytest.mark.parametrize("options, wrong", [
    ("rows=3,colour=red", "colour=red"),
    ("rows=0", "rows=0"),
    ("rows=-1", "rows=-1"),
    ("sort=name", "sort=name"),
    ("rows=3,", ""),
])
def test_top_refuses_options_it_does_not_know(python, top_plugins, options, wrong):
    """One error line, top's, naming the option; exit 1, nothing run."""
    res = run_pyflame(["-f", f"top:{options}", "-t", python, "-c", "print('ran')"],
                      env=dict(os.environ, PYFLAME_PLUGIN_PATH=str(top_plugins)))
    assert res.returncode == 1, res.stderr.decode()
    assert f"top: unknown option '{wrong}': top takes rows=N" in error_of(res)
    assert res.stdout == b""


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


def copy_plugin(src, directory, name):
    """Copies plugin file src into directory as pyflame-output-NAME.so,
    mode 0755 (a plugin writable by others is refused)."""
    directory.mkdir(exist_ok=True)
    directory.chmod(0o755)
    dst = directory / f"pyflame-output-{name}.so"
    shutil.copy(src, dst)
    dst.chmod(0o755)
    return dst


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


@pytest.mark.parametrize("what, change, message", [
    ("dir", lambda p: os.chmod(p.parent, 0o777), "writable by others than its owner"),
    ("dir", lambda p: os.chmod(p.parent, 0o775), "writable by others than its owner"),
    ("file", lambda p: os.chmod(p, 0o666), "writable by others than its owner"),
    ("file", lambda p: os.chown(p, 65534, 65534), "belongs to uid 65534"),
    ("dir", lambda p: os.chown(p.parent, 65534, 65534), "belongs to uid 65534"),
])
def test_plugin_others_could_replace_is_refused(python, installed, tmp_path, what, change,
                                                message):
    # pyflame runs as root: a plugin that someone else could swap is code
    # they would run with pyflame's rights.
    plugins = build_plugin(installed, tmp_path / "plugins")
    plugin = plugins / "pyflame-output-stackcount.so"
    os.chmod(plugins, 0o755)
    env = dict(os.environ, PYFLAME_PLUGIN_PATH=str(plugins))
    ok = run_pyflame(["-f", "stackcount", "-t", python, "-c", "pass"], env=env)
    assert ok.returncode == 0, ok.stderr.decode()
    change(plugin)
    res = run_pyflame(["-f", "stackcount", "-t", python, "-c", "pass"], env=env)
    err = res.stderr.decode()
    assert res.returncode == 1 and message in err and "refusing plugin" in err, err
    assert str(plugin if what == "file" else plugins) in err, err
    assert res.stdout == b""  # the command never ran


# Plugins are opened once, by descriptor from / down, and the descriptor
# checked is the one loaded.  These reproduce the races of a check by path
# followed by a load by path: another user (nobody) changes what the path
# names while root runs pyflame, and a plugin of its own would run as root.

NOBODY = 65534
AS_NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
RACE_RUNS = 250  # each pyflame run loads the output plugin, then fails on the PID
NO_SUCH_PID = "4000000"

# Its constructor runs as soon as the file is loaded: it leaves a mark.
EVIL_PLUGIN = r"""
#include <fcntl.h>
#include <unistd.h>
__attribute__((constructor)) static void evil(void)
{
    int fd = open(MARKER, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
        (void)!write(fd, "x", 1);
        close(fd);
    }
}
"""

# Run as nobody: flips `link` between two targets (symlink), or exchanges
# two directories (exchange), until SIGTERM; then prints how many times.
FLIPPER = r"""
import ctypes, os, signal, sys
stop = []
signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
mode, a, b = sys.argv[1:4]
libc = ctypes.CDLL(None, use_errno=True)
flips = 0
while not stop:
    if mode == "symlink":
        for target in (a, b):
            os.symlink(target, sys.argv[4] + ".new")
            os.rename(sys.argv[4] + ".new", sys.argv[4])
    else:  # renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE)
        if libc.renameat2(-100, a.encode(), -100, b.encode(), 2) != 0:
            raise OSError(ctypes.get_errno(), "renameat2")
    flips += 1
    if flips == 1:
        print("ready", flush=True)
print(flips, flush=True)
"""


@pytest.fixture
def shared_dir():
    """A directory nobody can read and search, as /tmp's own ones: root's,
    mode 0755, under the sticky /tmp."""
    if os.geteuid() != 0:
        pytest.skip("needs root to act as another user")
    base = Path(tempfile.mkdtemp())
    base.chmod(0o755)
    yield base
    shutil.rmtree(base)


def evil_plugin(tmp_path, out, marker):
    source = tmp_path / "evil.c"
    source.write_text(EVIL_PLUGIN)
    subprocess.run(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC",
                    '-DMARKER="%s"' % marker, str(source), "-o", str(out)], check=True)
    os.chown(out, NOBODY, NOBODY)


def good_dir(path):
    path.mkdir()
    shutil.copy(BUILD / "plugins/pyflame-output-folded.so", path)
    return path


def race(base, flipper_args, plugin_path):
    """Runs pyflame RACE_RUNS times while nobody runs FLIPPER: the results,
    and how often it flipped."""
    flipper = subprocess.Popen([*AS_NOBODY, sys.executable, "-c", FLIPPER, *flipper_args],
                               stdout=subprocess.PIPE, text=True, cwd=base)
    try:
        assert flipper.stdout.readline() == "ready\n"
        env = dict(os.environ, PYFLAME_PLUGIN_PATH=str(plugin_path))
        results = [run_pyflame(["-p", NO_SUCH_PID, "-o", "/dev/null"], env=env, timeout=30)
                   for _ in range(RACE_RUNS)]
    finally:
        flipper.terminate()
        out, _ = flipper.communicate(timeout=30)
    assert flipper.returncode == 0, out
    return results, int(out.split()[-1])


def test_symlink_flipped_by_another_user_loads_nothing_of_theirs(shared_dir, tmp_path):
    """Issue (a): a link of nobody's in a sticky directory, flipped between
    root's plugins and nobody's.  Checked by path, then loaded by path,
    root ran nobody's constructor; now the link itself is refused."""
    marker = shared_dir / "marker" / "evil-ran"
    marker.parent.mkdir()
    good = good_dir(shared_dir / "good")
    evil = shared_dir / "evil"
    evil.mkdir()
    evil_plugin(tmp_path, evil / "pyflame-output-folded.so", marker)
    os.chown(evil, NOBODY, NOBODY)
    sticky = shared_dir / "sticky"
    sticky.mkdir()
    sticky.chmod(0o1777)
    link = sticky / "link"
    results, flips = race(shared_dir, ["symlink", str(good), str(evil), str(link)], link)
    assert flips > 0
    assert link.lstat().st_uid == NOBODY
    runs = len(marker.read_bytes()) if marker.exists() else 0
    assert runs == 0, f"nobody's plugin ran as root {runs} times in {RACE_RUNS} runs"
    for res in results:
        assert res.returncode == 1, res.stderr.decode()
        err = error_of(res)
        assert f"the symbolic link {link} belongs to uid 65534" in err, err
        assert "name the directory it points to instead" in err, err


def test_directory_exchanged_by_another_user_loads_nothing_of_theirs(shared_dir, tmp_path):
    """Issue (b): root's plugins/ inside a directory of nobody's, which
    nobody exchanges with a directory of its own (renameat2
    RENAME_EXCHANGE).  Only the modes above were checked, not the owners;
    now a directory on the way that nobody owns is refused."""
    marker = shared_dir / "marker" / "evil-ran"
    marker.parent.mkdir()
    theirs = shared_dir / "theirs"
    theirs.mkdir()
    good = good_dir(theirs / "plugins")
    evil = theirs / "evil"
    evil.mkdir()
    evil_plugin(tmp_path, evil / "pyflame-output-folded.so", marker)
    for path in (theirs, evil):
        os.chown(path, NOBODY, NOBODY)
    results, flips = race(shared_dir, ["exchange", str(good), str(evil)], good)
    assert flips > 0
    runs = len(marker.read_bytes()) if marker.exists() else 0
    assert runs == 0, f"nobody's plugin ran as root {runs} times in {RACE_RUNS} runs"
    for res in results:
        assert res.returncode == 1, res.stderr.decode()
        err = error_of(res)
        assert f"refusing plugin {good}/pyflame-output-folded.so: {theirs} belongs to uid " \
               "65534" in err, err


def test_fifo_named_like_a_plugin_is_refused_without_blocking(tmp_path):
    """Issue 7: a FIFO in a trusted directory blocked pyflame in dlopen()
    until a signal.  It is never opened now."""
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    fifo = plugins / "pyflame-output-folded.so"
    os.mkfifo(fifo)
    env = dict(os.environ, PYFLAME_PLUGIN_PATH=str(plugins))
    res = run_pyflame(["-p", NO_SUCH_PID, "-o", "/dev/null"], env=env, timeout=30)
    assert res.returncode == 1, res.stderr.decode()
    assert f"refusing plugin {fifo}: {fifo} is a FIFO, not a regular file" in error_of(res)
    listing = run_pyflame(["--list-plugins"], env=env, timeout=30)
    assert listing.returncode == 1
    assert any("(cannot be loaded)" in line and "is a FIFO" in line
               for line in listing.stdout.decode().splitlines()), listing.stdout.decode()


def test_plugin_linked_to_a_device_is_refused_as_one(tmp_path):
    """A plugin that is a link to /dev/zero is a device, not a file someone
    could write: the error says so (it once advised chmod go-w /dev/zero)."""
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    plugins.chmod(0o755)
    link = plugins / "pyflame-output-zero.so"
    link.symlink_to("/dev/zero")
    res = run_pyflame(["-f", "zero", "-p", NO_SUCH_PID, "-o", "/dev/null"],
                      env=dict(os.environ, PYFLAME_PLUGIN_PATH=str(plugins)), timeout=30)
    assert res.returncode == 1, res.stderr.decode()
    line = error_of(res)
    assert f"refusing plugin {link}: /dev/zero is a character device, not a regular file" \
        in line, line
    assert "chmod" not in line


def test_plugin_directory_through_a_link_of_root(tmp_path):
    """A link that root (or the user) owns is followed, and what it points
    to is checked as any other path: relative links, "..", links to links."""
    plugins = good_dir(tmp_path / "real")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub/link").symlink_to("../real")
    (tmp_path / "link2").symlink_to(tmp_path / "sub/link")
    for given in [tmp_path / "link2", tmp_path / "sub/link/../sub/link/."]:
        env = dict(os.environ, PYFLAME_PLUGIN_PATH=str(given))
        res = run_pyflame(["--list-plugins"], env=env)
        assert res.returncode == 0, res.stdout.decode()
        assert any(f"{given}/pyflame-output-folded.so" in line and "API" in line
                   for line in res.stdout.decode().splitlines()), res.stdout.decode()
    # The same directory made group-writable behind the link is refused.
    plugins.chmod(0o775)
    env = dict(os.environ, PYFLAME_PLUGIN_PATH=str(tmp_path / "link2"))
    res = run_pyflame(["-p", NO_SUCH_PID, "-o", "/dev/null"], env=env)
    assert f"{plugins} is writable by others than its owner" in error_of(res)
