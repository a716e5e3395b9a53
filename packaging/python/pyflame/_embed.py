"""The interactive SVG inside an HTML page (a notebook's output, the
Django Debug Toolbar's panel): in an iframe of its own, given its
document in `srcdoc`, so that its script, search and zoom work there as
in a browser's tab, apart from the page's own."""
import html
import re


def iframe(svg):
    """HTML for the graph `svg` (text): a frame as tall as the graph, in a
    box the reader can make taller or shorter."""
    m = re.search(r'<svg\b[^>]*\sheight="(\d+)"', svg)
    height = int(m.group(1)) + 8 if m else 600
    return ('<div class="pyflame-graph" style="resize: vertical; overflow: hidden; '
            'height: %dpx; max-width: 100%%">'
            '<iframe srcdoc="%s" style="width: 100%%; height: 100%%; border: 0" '
            'title="flame graph"></iframe></div>' % (height, html.escape(svg, quote=True)))
