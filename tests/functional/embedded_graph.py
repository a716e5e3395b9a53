"""The interactive SVG embedded in an HTML page as pyflame's Python
package shows it (a notebook's output, the Django Debug Toolbar's panel:
pyflame/_embed.py), taken out of the page and checked, then used in
headless Chromium inside its frame: search and zoom, through the graph's
own script and event handlers."""
import html
import json
import re

import pytest

from consumers import chromium
from test_format_svg import GRAPH_WIDTH, Graph, check_consistent


def graph_of(fragment, tmp_path, name="embedded.svg"):
    """The SVG inside the HTML fragment's frame, parsed and checked."""
    m = re.fullmatch(r'<div class="pyflame-graph" style="[^"]*height: (\d+)px[^"]*">'
                     r'<iframe srcdoc="([^"]*)"[^>]*></iframe></div>', fragment)
    assert m, fragment[:300]
    path = tmp_path / name
    path.write_text(html.unescape(m.group(2)))
    g = Graph(path)
    check_consistent(g)
    assert int(m.group(1)) >= g.height  # the frame shows the whole graph
    return g


# Run in the page that holds the frame, once the graph in it has set
# itself up: a search, then a click on a frame, inside the frame; what
# the graph then shows is written into the page, where --dump-dom sees it.
DRIVER = """
<script>
window.addEventListener("load", function () {
  var out = document.getElementById("result"), seen = {};
  try {
    var frame = document.querySelector("iframe"), doc = frame.contentDocument;
    var svg = doc.querySelector("svg");
    seen.ready = svg.getAttribute("data-pf-ready");
    seen.error = svg.getAttribute("data-pf-error");
    frame.contentWindow.pf_search(%(term)s, true);
    seen.matched = svg.getAttribute("data-pf-matched");
    seen.matchedText = doc.getElementById("pf-matched").textContent;
    var target = null, groups = doc.getElementById("pf-frames").getElementsByTagName("g");
    for (var i = 0; i < groups.length; i++)
      if (groups[i].getAttribute("data-s") === %(s)s &&
          groups[i].getElementsByTagName("rect")[0].getAttribute("y") === %(y)s)
        target = groups[i];
    target.getElementsByTagName("rect")[0].dispatchEvent(
      new MouseEvent("click", {bubbles: true}));
    seen.zoomedWidth = target.getElementsByTagName("rect")[0].getAttribute("width");
    seen.hidden = doc.querySelectorAll("g.pf-hidden").length;
  } catch (e) {
    seen.exception = String(e);
  }
  out.textContent = JSON.stringify(seen);
});
</script>
<pre id="result">not run</pre>
"""


def assert_search_and_zoom_work(fragment, function, tmp_path):
    """Opens `fragment` in a page in headless Chromium, searches for
    `function` and clicks a frame: the graph inside the frame counts the
    matches and zooms as it does in a tab of its own."""
    g = graph_of(fragment, tmp_path)
    # The click: the widest frame narrower than the graph, so that zooming
    # into it visibly widens it (`function`'s own frame may span it all).
    narrower = [f for f in g.frames if f.depth >= 1 and f.n < g.total]
    assert narrower, "every frame spans the whole graph: nothing to zoom into"
    work = max(narrower, key=lambda f: (f.n, -f.depth))
    page = tmp_path / "page.html"
    page.write_text("<!DOCTYPE html><html><body>%s%s</body></html>" % (
        fragment, DRIVER % {"term": json.dumps(function), "s": json.dumps(str(work.s)),
                              "y": json.dumps("%g" % work.y)}))
    dom = chromium(page.as_uri(), "--allow-file-access-from-files",
                   "--virtual-time-budget=5000", "--dump-dom")
    seen = json.loads(html.unescape(re.search(r'<pre id="result">(.*?)</pre>', dom, re.S)
                                    .group(1)))
    assert "exception" not in seen and seen["error"] is None, seen
    assert seen["ready"] == str(len(g.frames)), seen
    matched = sum(f.n for f in g.named(function))
    assert seen["matched"] == str(matched), seen
    assert seen["matchedText"].startswith("Matched: %.2f%%" % (100.0 * matched / g.total)), seen
    # Zoomed into it: it fills the graph's width; frames beside it hide.
    assert work.width < GRAPH_WIDTH - 1
    assert float(seen["zoomedWidth"]) == pytest.approx(GRAPH_WIDTH, abs=0.01), seen

    def within(inner, outer):
        return outer.s <= inner.s and inner.s + inner.n <= outer.s + outer.n

    hidden = [f for f in g.frames if not (f.depth < work.depth and within(work, f)) and
              not (f.depth >= work.depth and within(f, work))]
    assert seen["hidden"] == len(hidden), (seen, len(hidden))
