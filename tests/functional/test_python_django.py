"""pyflame.django.FlamegraphPanel in Django's Debug Toolbar (Debian's
python3-django and python3-django-debug-toolbar, with Debian's python3;
the package from the source tree): real requests through Django's test
client, each request's panel as the toolbar's page fetches it, and the
graph in it working inside its frame in headless Chromium."""
import html
import json
import os
import re
import subprocess

import pytest

from conftest import PYFLAME, TARGETS, require
from embedded_graph import assert_search_and_zoom_work, graph_of
from python_package import DEBIAN_PYTHON, PACKAGE


def site(config):
    """The panels of a request to /busy/ and one to /other/, under
    PYFLAME_CONFIG `config`."""
    require(subprocess.run([DEBIAN_PYTHON, "-c", "import django, debug_toolbar"]).returncode == 0,
            "Django and its Debug Toolbar for Debian's python3 (python3-django, "
            "python3-django-debug-toolbar)")
    env = dict(os.environ, PYFLAME=PYFLAME, PYTHONPATH=str(PACKAGE))
    res = subprocess.run([DEBIAN_PYTHON, str(TARGETS / "django_site.py"), json.dumps(config)],
                         env=env, capture_output=True, timeout=300)
    assert res.returncode == 0, res.stderr.decode()
    return json.loads(res.stdout.decode().splitlines()[-1])


@pytest.fixture(scope="module")
def panels():
    return site({})


@pytest.mark.parametrize("view,not_view", [("busy", "other"), ("other", "busy")])
def test_each_request_shows_its_own_view(panels, view, not_view, tmp_path):
    panel = panels[view]
    assert panel["status"] == 200
    g = graph_of(panel["content"], tmp_path)
    assert sum(f.n for f in g.named(view + "_view")) >= 1
    assert not g.named(not_view + "_view") and not g.named("other_work"), g.frames
    # Named by the request: a division slash (U+2215) for each slash.
    assert g.title.startswith("Flame graph of GET \u2215%s\u2215 (PID " % view)
    assert panel["subtitle"] == "%d samples" % g.samples


def test_graph_works_inside_the_panel_in_chromium(panels, tmp_path):
    assert_search_and_zoom_work(panels["busy"]["content"], "busy_view", tmp_path)


def test_folded_format_and_rate():
    panels = site({"FORMAT": "folded", "HZ": 500, "THREADS": True})
    text = panels["busy"]["content"]
    m = re.fullmatch(r"<pre>(.*)</pre>", text, re.S)
    assert m, text[:300]
    lines = html.unescape(m.group(1)).splitlines()
    assert any(":busy_view:" in line for line in lines), lines
    assert any(":other_work:" in line for line in lines), lines  # THREADS: every thread


def test_unknown_setting_is_refused():
    panels = site({"RATE": 5})
    assert panels["busy"]["raised"] == ("ImproperlyConfigured: PYFLAME_CONFIG has no setting "
                                        "RATE: it takes FORMAT, HZ, THREADS")
