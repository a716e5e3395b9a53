"""Output plugins given input made up here, not sampled from a target:
nothing in these tests depends on the interpreter profiled, so they run
once per build (with the CLI tests), not once per interpreter."""

import json
import shutil
import subprocess

from conftest import SANITIZE_CFLAGS
from consumers import speedscope_import
from test_format_speedscope import SCHEMA_URL
from test_format_svg import PLUGIN, SOURCE, Graph, check_consistent


# A profile made up in C and given to the plugin directly: what real
# targets rarely show.
DRIVER = r'''
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pyflame/output.h>

static void warn(void *ctx, const char *fmt, ...)
{
    (void)ctx;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

static pyflame_frame *frame(const char *file, const char *name, unsigned line)
{
    pyflame_frame *f = calloc(1, sizeof *f);
    f->file = strdup(file); /* separate copies: equal names, other pointers */
    f->name = strdup(name);
    f->line = line;
    return f;
}

static pyflame_stack_count stacks[30000];
static size_t nstacks;

static void add(uint64_t count, int n, ...)
{
    const pyflame_frame **frames = calloc((size_t)n, sizeof *frames);
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        frames[i] = va_arg(ap, const pyflame_frame *);
    va_end(ap);
    stacks[nstacks++] = (pyflame_stack_count){count, (uint32_t)n, frames};
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    void *so = dlopen(argv[1], RTLD_NOW);
    if (!so) {
        fprintf(stderr, "%s\n", dlerror());
        return 1;
    }
    const pyflame_output_plugin *p = dlsym(so, PYFLAME_OUTPUT_SYMBOL);
    if (!p)
        return 1;
    pyflame_frame *main_ = frame("/app/main.py", "<module>", 1);
    /* One big function, with a callee. */
    add(1000000, 2, main_, frame("/app/main.py", "big", 10));
    add(100000, 3, main_, frame("/app/main.py", "big", 10), frame("/app/lib.py", "leaf", 3));
    /* 20000 functions of one sample each: far too narrow to draw. */
    for (int i = 0; i < 20000; i++) {
        char name[32];
        snprintf(name, sizeof name, "tiny%05d", i);
        add(1, 2, main_, frame("/app/main.py", name, 20));
    }
    /* Wide enough, with 1000 callees that are not. */
    add(5000, 2, main_, frame("/app/main.py", "medium", 30));
    for (int i = 0; i < 1000; i++) {
        char name[32];
        snprintf(name, sizeof name, "child%04d", i);
        add(5, 3, main_, frame("/app/main.py", "medium", 30), frame("/app/m.py", name, 1));
    }
    /* The same stack twice (as if told apart by something else). */
    add(300, 2, main_, frame("/app/main.py", "dup", 40));
    add(300, 2, main_, frame("/app/main.py", "dup", 40));
    /* XML's special characters, and what XML cannot hold. */
    add(2000, 2, main_, frame("/app/a<b>&\"'.py", "f<&>\"'", 5));
    add(2000, 2, main_, frame("/app/bad\xff\xfe.py",
                              "ctl\x01\tx\xc3(\xed\xa0\x80\xc0\xaf\xef\xbf\xbf\xf0\xa0\x80\x80", 7));
    add(2000, 1, frame("/app/other.py", "<module>", 1));

    pyflame_host host = {.api_version = PYFLAME_API_VERSION, .warn = warn};
    FILE *out = fopen(argv[2], "w");
    pyflame_output_config cfg = {.out = out, .interval_s = 0.01, .pid = 4242};
    pyflame_profile prof = {.idle = 3000, .failed = 1000, .nstacks = nstacks, .stacks = stacks};
    for (size_t i = 0; i < nstacks; i++)
        prof.samples += stacks[i].count;
    prof.samples += prof.idle + prof.failed;
    void *state = p->open(&host, &cfg);
    if (!state || p->write_profile(state, &prof) != PYFLAME_OK || p->close(state) != PYFLAME_OK)
        return 1;
    return fclose(out) != 0;
}
'''


def test_made_up_profile(tmp_path):
    assert PLUGIN.exists(), f"{PLUGIN} is not built"
    cc = shutil.which("cc")
    assert cc, "a C compiler (cc) is needed"
    (tmp_path / "driver.c").write_text(DRIVER)
    subprocess.run([cc, "-std=c11", "-D_GNU_SOURCE", "-Wall", "-Werror", *SANITIZE_CFLAGS,
                    "-I", str(SOURCE / "core/include"), str(tmp_path / "driver.c"),
                    "-o", str(tmp_path / "driver"), "-ldl"], check=True)
    out = tmp_path / "graph.svg"
    res = subprocess.run([str(tmp_path / "driver"), str(PLUGIN), str(out)],
                         capture_output=True, timeout=60)
    assert res.returncode == 0, res.stderr.decode()
    g = Graph(out)
    check_consistent(g)
    python = 1100000 + 20000 + 5000 + 5000 + 600 + 3 * 2000
    assert (g.samples, g.python, g.idle, g.failed) == (python + 4000, python, 3000, 1000)
    assert g.title == "Flame graph of PID 4242" and "one every 10 ms" in g.subtitle
    # Too narrow for 0.1 px: left out, but counted in their callers.
    assert g.omitted == 20000 + 1000
    assert not g.named("tiny00000") and not g.named("child0000")
    main_ = [f for f in g.at_depth(1) if f.name == "/app/main.py:<module>:1"]
    assert len(main_) == 1 and main_[0].n == python - 2000
    assert [f.n for f in g.named("medium")] == [10000]
    assert [f.n for f in g.named("big")] == [1100000]
    assert [f.n for f in g.named("leaf")] == [100000]
    assert [f.n for f in g.named("dup")] == [600]
    assert len(g.frames) < 20 and len(g.raw) < 100000
    # Colour by function: both <module>s alike.
    modules = [f for f in g.frames if f.func == "<module>"]
    assert len(modules) == 2 and modules[0].fill == modules[1].fill
    # Names: special characters intact, the rest replaced by U+FFFD.
    names = {f.name for f in g.frames}
    assert "/app/a<b>&\"'.py:f<&>\"':5" in names, names
    bad = "ctl\ufffd\ufffdx\ufffd(" + "\ufffd" * 3 + "\ufffd" * 2 + "\ufffd" + "\U00020000"
    assert f"/app/bad\ufffd\ufffd.py:{bad}:7" in names, names
    failed = [f for f in g.frames if f.name == "(failed)"]
    idle = [f for f in g.frames if f.name == "(idle)"]
    assert failed[0].fill != idle[0].fill
    assert failed[0].s == idle[0].s + idle[0].n == g.python + 3000


def test_importer_check_can_fail(tmp_path):
    # test_imports_in_speedscope's check, on a file speedscope cannot
    # import (a sample naming a frame that does not exist): it can fail.
    bad = tmp_path / "bad.speedscope.json"
    bad.write_text(json.dumps({
        "$schema": SCHEMA_URL, "shared": {"frames": []},
        "profiles": [{"type": "sampled", "name": "x", "unit": "microseconds",
                      "startValue": 0, "endValue": 10, "samples": [[5]], "weights": [1]}]}))
    text, listed = speedscope_import(bad, tmp_path)
    assert "Something went wrong" in text and not listed, text
