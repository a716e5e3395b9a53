"""The example top plugin (docs/examples): fed a made-up profile, it agrees
with folded; run on real targets, it finds the hot function."""
import collections
import os
import re
import subprocess

import pytest

from conftest import SANITIZE_CFLAGS, TARGETS, Profile, error_of, profile, run_pyflame
from plugin_sdk import installed_flags


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


