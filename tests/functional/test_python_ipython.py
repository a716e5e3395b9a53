"""%load_ext pyflame, %%pyflame and %pyflame in a real IPython shell
(Debian's python3-ipython, with Debian's python3; the package from the
source tree), and the graph they display working inside its frame in
headless Chromium: search and zoom, as a reader would use them."""
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import PYFLAME, TARGETS, require
from embedded_graph import assert_search_and_zoom_work, graph_of
from python_package import DEBIAN_PYTHON, PACKAGE

CELL = "<pyflame cell>"


@pytest.fixture(scope="module")
def cells():
    require(subprocess.run([DEBIAN_PYTHON, "-c", "import IPython"]).returncode == 0,
            "IPython for Debian's python3 (python3-ipython)")
    env = dict(os.environ, PYFLAME=PYFLAME, PYTHONPATH=str(PACKAGE))
    res = subprocess.run([DEBIAN_PYTHON, str(TARGETS / "ipython_magic.py")], env=env,
                         capture_output=True, timeout=300)
    assert res.returncode == 0, res.stderr.decode()
    out = res.stdout.decode()
    return json.loads(out.splitlines()[-1]), out


def assert_cell_stacks(folded, function):
    """`function` was sampled; every stack with Python code begins at the
    cell's code, and runs `function` or is the cell's own line; IPython's
    frames above the cell and the other thread's stacks are not there."""
    shown = [line.rpartition(" ")[0] for line in folded.splitlines()
             if not line.startswith(("(idle) ", "(failed) "))]
    assert shown, folded
    assert any(":%s:" % function in stack for stack in shown), folded
    for stack in shown:
        frames = stack.split(";")
        assert frames[0].startswith(CELL + ":<module>:"), stack
        # The function's, or the cell's own code between its statements.
        assert len(frames) == 1 or any(":%s:" % function in f for f in frames), stack
        assert not any("IPython" in f or "other_work" in f or "/pyflame/_" in f
                       for f in frames), stack


def test_cell_magic_displays_the_graph_of_the_cell(cells, tmp_path):
    out, _ = cells
    cell = out["cell"]
    assert cell["success"]
    assert_cell_stacks(cell["folded"], "cell_work")
    g = graph_of(cell["html"], tmp_path)
    assert sum(f.n for f in g.named("cell_work")) >= 1
    assert g.samples == int(re.fullmatch(r"<pyflame\.Profile of %%pyflame cell \(PID \d+\): "
                                         r"(\d+) samples>", cell["plain"]).group(1))
    assert g.title.startswith("Flame graph of %%pyflame cell (PID ")


def test_line_magic_profiles_its_statement(cells, tmp_path):
    out, _ = cells
    assert out["statement"]["success"] and out["spaced"] == 3  # its quotes kept
    assert_cell_stacks(out["statement"]["folded"], "statement_work")
    assert "one every 2 ms" in graph_of(out["statement"]["html"], tmp_path).subtitle  # --hz 500


def test_configured_interval(cells, tmp_path):
    out, _ = cells
    assert out["configured"]["success"]
    assert "one every 5 ms" in graph_of(out["slow"]["html"], tmp_path).subtitle


def test_a_cell_that_raises_shows_its_error_and_its_graph(cells, tmp_path):
    out, printed = cells
    assert "ZeroDivisionError" in printed
    assert_cell_stacks(out["raises"]["folded"], "cell_work")
    graph_of(out["raises"]["html"], tmp_path)


def test_threads_keeps_the_other_threads(cells):
    """--threads: the other thread's stacks as they are, beside the cell's,
    which begin at the cell."""
    out, _ = cells
    folded = out["threads"]["folded"]
    stacks = [line.rpartition(" ")[0] for line in folded.splitlines()]
    assert any(":other_work:" in s for s in stacks), folded
    cell = [s for s in stacks if ":cell_work:" in s]
    assert cell and all(s.startswith(CELL + ":<module>:") for s in cell), folded


def test_usage_error(cells):
    out, _ = cells
    assert not out["usage"]["success"]
    assert out["usage"]["error"] == \
        "UsageError: %%pyflame profiles its cell: 'bogus' is no option of it"


def test_graph_works_inside_its_frame_in_chromium(cells, tmp_path):
    out, _ = cells
    assert_search_and_zoom_work(out["cell"]["html"], "cell_work", tmp_path)


def test_extension_is_documented():
    guide = (Path(os.environ.get("PYFLAME_SOURCE_DIR", Path(__file__).parents[2])) /
             "docs" / "python.md").read_text()
    for text in ("%load_ext pyflame", "%%pyflame", "%pyflame", "default_sample_interval"):
        assert text in guide, text
