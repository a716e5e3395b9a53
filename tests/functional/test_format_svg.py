"""-f svg: the interactive flame graph pyflame writes itself.

Every graph is parsed as XML and checked for consistency (totals, widths in
proportion to samples, nesting); then what each target should show.  The
browser test opens a graph in headless Chromium (Debian package
"chromium"), once: with the interpreter that runs pytest."""
import os
import re
import struct
import sys
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

import pytest

from consumers import chromium
from conftest import PYFLAME, TARGETS, marker_line, run_pyflame, start_target, stop_target

SVG = "{http://www.w3.org/2000/svg}"
BUILD = Path(os.environ.get("PYFLAME_BUILD_DIR", Path(PYFLAME).parent))
SOURCE = Path(os.environ.get("PYFLAME_SOURCE_DIR", Path(__file__).parents[2]))
PLUGIN = BUILD / "plugins" / "pyflame-output-svg.so"

# The layout the plugin promises (output-plugins/svg/svg.h).
X0, GRAPH_WIDTH, ROW = 10, 1180, 16
MIN_FRAME_PX = 0.1


class Frame:
    def __init__(self, g):
        title = g.find(SVG + "title").text
        m = re.fullmatch(r"(.*) \(([\d,]+) samples, ([\d.]+)%\)", title, re.S)
        assert m, f"unexpected frame title {title!r}"
        self.name = m.group(1)
        self.count = int(m.group(2).replace(",", ""))
        self.percent = float(m.group(3))
        self.s, self.n = int(g.get("data-s")), int(g.get("data-n"))
        rect = g.find(SVG + "rect")
        self.x, self.y = float(rect.get("x")), float(rect.get("y"))
        self.width = float(rect.get("width"))
        self.fill = tuple(int(v) for v in re.fullmatch(r"rgb\((\d+),(\d+),(\d+)\)",
                                                       rect.get("fill")).groups())
        self.label = g.find(SVG + "text").text or ""
        self.full_label = g.get("data-l", self.label)
        self.depth = None

    @property
    def func(self):
        """function of file:function:line or file:function."""
        m = re.fullmatch(r"(.*):([^:]*):(\d+)", self.name, re.S)
        return m.group(2) if m else self.name.rpartition(":")[2]

    def __repr__(self):
        return f"<{self.name} n={self.n} s={self.s} depth={self.depth} w={self.width}>"


class Graph:
    """An SVG written by pyflame, parsed."""

    def __init__(self, path):
        self.path = Path(path)
        self.raw = self.path.read_bytes()
        self.svg = ET.fromstring(self.raw)  # fails unless well-formed XML
        assert self.svg.tag == SVG + "svg"
        self.height = int(self.svg.get("height"))
        self.total = int(self.svg.get("data-total"))
        self.omitted = int(self.svg.get("data-omitted"))
        by_id = {el.get("id"): el for el in self.svg.iter() if el.get("id")}
        # The controls: zoom out, search and its result, details on hover.
        assert by_id["pf-unzoom"].text == "Reset zoom"
        assert by_id["pf-search"].text == "Search"
        assert "pf-matched" in by_id and "pf-details" in by_id
        self.title = by_id["pf-title"].text
        tooltip = by_id["pf-title"].find(SVG + "title")
        self.title_tooltip = tooltip.text if tooltip is not None else None
        self.subtitle = by_id["pf-subtitle"].text
        m = re.match(r"([\d,]+) samples: ([\d,]+) in Python code, ([\d,]+) idle, "
                     r"([\d,]+) failed; one every ", self.subtitle)
        assert m, self.subtitle
        self.samples, self.python, self.idle, self.failed = (
            int(v.replace(",", "")) for v in m.groups())
        self.frames = [Frame(g) for g in by_id["pf-frames"].findall(SVG + "g")]
        roots = [f for f in self.frames if f.name == "all"]
        assert len(roots) == 1, self.frames[:5]
        self.root = roots[0]
        for f in self.frames:
            f.depth = round((self.root.y - f.y) / ROW)
            assert f.y == self.root.y - f.depth * ROW, f

    def named(self, func):
        return [f for f in self.frames if f.func == func]

    def named_in(self, func, script):
        """Frames of function `func` of file `script` (main of the program,
        not site.main).  Shares of a -t run are taken of these: of the
        whole run's, the share depends on how long the interpreter took to
        start, which a loaded machine draws out."""
        return [f for f in self.named(func) if f.name.startswith(f"{script}:")]

    def at_depth(self, depth):
        return [f for f in self.frames if f.depth == depth]

    def __repr__(self):
        return f"<graph {self.path}: {self.subtitle}>"


# The core's frame naming a thread (--thread-names): by its kernel id, or
# its ident in hex while that is not known.
THREAD_FRAME = re.compile(r"thread (?:(.+) )?\((\d+|0x[0-9a-f]+)\)")


def check_consistent(g):
    """What holds for every graph: totals agree, boxes are as wide as their
    samples and sit on their callers."""
    assert g.samples == g.total == g.root.count == g.root.n, g
    assert g.samples == g.python + g.idle + g.failed, g
    assert g.root.s == 0 and g.root.depth == 0 and g.root.width == GRAPH_WIDTH
    assert g.root.percent == 100.0
    assert g.total > 0, g
    scale = GRAPH_WIDTH / g.total
    for f in g.frames:
        assert f.count == f.n, f
        assert abs(f.percent - 100.0 * f.n / g.total) <= 0.006, f
        assert f.depth >= 0 and (f.depth == 0) == (f is g.root), f
        if f is not g.root:
            assert abs(f.width - f.n * scale) <= 0.006, (f, scale)
            assert abs(f.x - (X0 + f.s * scale)) <= 0.006, (f, scale)
            assert f.width >= MIN_FRAME_PX - 0.006, f
    # Nesting: each frame within one caller one level down, callees side by
    # side within their caller and never more than it.
    by_depth = {}
    for f in g.frames:
        by_depth.setdefault(f.depth, []).append(f)
    for depth, frames in by_depth.items():
        frames.sort(key=lambda f: f.s)
        for a, b in zip(frames, frames[1:]):
            assert a.s + a.n <= b.s, (a, b)
        if depth == 0:
            continue
        for f in frames:
            parents = [p for p in by_depth[depth - 1] if p.s <= f.s and f.s + f.n <= p.s + p.n]
            assert len(parents) == 1, f
            f.parent = parents[0]
    for p in g.frames:
        assert sum(c.n for c in g.frames if getattr(c, "parent", None) is p) <= p.n, p
    if g.omitted == 0:
        assert sum(f.n for f in g.at_depth(1)) == g.total, g
    # Samples without Python code: grey boxes with nothing above them,
    # (failed) a tower at the root, (idle) one too or, with --thread-names,
    # one above each idle thread's frame: as many samples as the subtitle
    # counts.
    for name, count in [("(idle)", g.idle), ("(failed)", g.failed)]:
        boxes = [f for f in g.frames if f.name == name]
        if g.omitted == 0:
            assert sum(t.n for t in boxes) == count, (name, g)
        assert len([t for t in boxes if t.depth == 1]) <= 1, boxes
        for t in boxes:
            assert t.depth == 1 or (name == "(idle)" and t.depth == 2 and
                                    THREAD_FRAME.fullmatch(t.parent.name)), t
            assert t.fill[0] == t.fill[1] == t.fill[2], t
            assert not any(c for c in g.frames if getattr(c, "parent", None) is t)
    # Python frames: warm colours, the same for the same function.
    colours = {}
    for f in g.frames:
        if f.depth >= 1 and f.name not in ("(idle)", "(failed)"):
            r, gr, b = f.fill
            assert r >= 200 and gr < r - 30 and b < 60, f
            assert colours.setdefault(f.func, f.fill) == f.fill, f


def svg_of(python, script, seconds, tmp_path, extra=()):
    """Profiles `script` in trace mode into an SVG and parses it."""
    out = Path(tmp_path) / "graph.svg"
    res = run_pyflame(["-f", "svg", *extra, "-o", str(out), "-t", python, str(script),
                       str(seconds)])
    assert res.returncode == 0, res.stderr.decode()
    graph = Graph(out)
    check_consistent(graph)
    return graph


def svg_attached(python, script, tmp_path, extra=()):
    """Profiles `script`, started and ready, attached to, into an SVG:
    the graph, parsed, and the target's PID."""
    out = Path(tmp_path) / "graph.svg"
    proc = start_target(python, script, 30)
    try:
        res = run_pyflame(["-f", "svg", *extra, "-o", str(out), "-p", str(proc.pid)])
    finally:
        stop_target(proc)
    assert res.returncode == 0, res.stderr.decode()
    graph = Graph(out)
    check_consistent(graph)
    return graph, proc.pid


def test_exact_line_hot_leaf_dominates(python, tmp_path):
    script = TARGETS / "exact_line.py"
    g = svg_of(python, script, 0.7, tmp_path)
    hot = g.named("hot_leaf")
    main = g.named_in("main", script)
    assert hot and main, g.frames
    assert sum(f.width for f in hot) >= 0.5 * sum(f.width for f in main), (hot, main)
    widest = max(hot, key=lambda f: f.width)
    hot_line, call_line = marker_line(script, "HOT"), marker_line(script, "CALL")
    assert widest.name == f"{script}:hot_leaf:{hot_line}"
    assert widest.full_label == f"hot_leaf (exact_line.py:{hot_line})"
    assert widest.label == widest.full_label  # a wide box shows all of it
    assert widest.parent.name == f"{script}:main:{call_line}"
    assert widest.parent.parent.func == "<module>"
    assert widest.parent.parent.parent is g.root
    # The title names the program run (paths by their last part; the
    # tooltip has them whole), and its process.
    assert re.fullmatch(r"Flame graph of %s exact_line\.py 0\.7 \(PID \d+\)"
                        % re.escape(os.path.basename(python)), g.title), g.title
    assert g.title_tooltip == f"{python} {script} 0.7"
    assert b"&lt;module&gt;" in g.raw


@pytest.fixture(scope="module")
def split_graph(python, tmp_path_factory):
    return svg_of(python, TARGETS / "split.py", 1.5, tmp_path_factory.mktemp("split"))


def three_to_one_share(g):
    """three()'s share of three() + one(), by width, checked against the
    samples."""
    three, one = g.named("three"), g.named("one")
    assert three and one, g.frames
    w3, w1 = sum(f.width for f in three), sum(f.width for f in one)
    n3, n1 = sum(f.n for f in three), sum(f.n for f in one)
    assert n3 + n1 > 200, g
    assert abs(w3 / w1 - n3 / n1) <= 0.01 * (n3 / n1), (w3, w1, n3, n1)
    # spin() is called from both: it has a frame above each.
    assert {f.parent.func for f in g.named("spin")} >= {"three", "one"}
    return w3 / (w3 + w1)


# Timing: ctest runs it alone (RUN_SERIAL), as the same split in
# test_profile.py: a share of samples is a share of wall time, which other
# work on the machine bends (its target picks three() 3 times in 4, at
# random, so no rhythm of the sampler's can).
@pytest.mark.timing
def test_split_widths_three_to_one(split_graph):
    share = three_to_one_share(split_graph)
    assert abs(share - 0.75) <= 0.1, f"three() is {share:.3f} of three() + one()"


# The names of the functions, renamed in the code objects: XML's special
# characters and UTF-8 of 2, 3 and 4 bytes (on 2.7: UTF-8 bytes in a str).
SPECIAL_TARGET = r'''# -*- coding: utf-8 -*-
import sys
import time
import types

clock = getattr(time, "monotonic", time.time)


def hot(seconds):
    deadline = clock() + seconds
    while clock() < deadline: pass  # HOT


def middle(seconds):
    hot(seconds)  # CALL


def renamed(f, name):
    c = f.__code__
    if hasattr(c, "replace"):
        kw = {"co_name": name}
        if hasattr(c, "co_qualname"):
            kw["co_qualname"] = name
        return c.replace(**kw)
    args = [c.co_argcount]
    if sys.version_info[0] >= 3:
        args.append(c.co_kwonlyargcount)
    args += [c.co_nlocals, c.co_stacksize, c.co_flags, c.co_code, c.co_consts, c.co_names,
             c.co_varnames, c.co_filename, name, c.co_firstlineno, c.co_lnotab,
             c.co_freevars, c.co_cellvars]
    return types.CodeType(*args)


hot.__code__ = renamed(hot, "HOT_NAME")
middle.__code__ = renamed(middle, "MIDDLE_NAME")
sys.stdout.write("ready\n")
sys.stdout.flush()
middle(float(sys.argv[1]))
'''
HOT_NAME = "café<&>'\"x"
MIDDLE_NAME = "日本語_𠀀𠀁 & <b>"


def test_non_ascii_and_xml_special_names(python, tmp_path):
    script = tmp_path / "données_日本_𠀀 <&>'\".py"
    script.write_text(SPECIAL_TARGET.replace("HOT_NAME", HOT_NAME.replace('"', '\\"'))
                      .replace("MIDDLE_NAME", MIDDLE_NAME), encoding="utf-8")
    g = svg_of(python, script, 0.7, tmp_path)
    hot = g.named(HOT_NAME)
    assert hot, [f.name for f in g.frames]
    widest = max(hot, key=lambda f: f.width)
    module = g.named_in("<module>", script)
    assert widest.width >= 0.5 * sum(f.width for f in module), (widest, module)
    assert widest.name == f"{script}:{HOT_NAME}:{marker_line(script, 'HOT')}"
    assert widest.parent.name == f"{script}:{MIDDLE_NAME}:{marker_line(script, 'CALL')}"
    assert widest.label == f"{HOT_NAME} ({script.name}:{marker_line(script, 'HOT')})"
    # Escaped as entities; UTF-8 as it is, not as character references.
    assert "café&lt;&amp;&gt;&apos;&quot;x".encode() in g.raw
    assert "日本語_𠀀𠀁 &amp; &lt;b&gt;".encode() in g.raw
    assert b"&#" not in g.raw


def test_thread_names_put_idle_above_each_thread(python, tmp_path):
    """--thread-names: a box per thread at the root, named as the core
    names it and nothing more; an idle thread's (idle) grey above it,
    counted as idle in the subtitle."""
    # Attached once its threads are named.
    g, _ = svg_attached(python, TARGETS / "threads.py", tmp_path,
                        ["--thread-names", "-s", "0.5"])
    threads = g.at_depth(1)
    assert all(THREAD_FRAME.fullmatch(f.name) and f.full_label == f.name for f in threads), threads
    names = set(THREAD_FRAME.fullmatch(f.name).group(1) for f in threads)
    assert {"alpha", "beta", "main-waiter"} <= names, names
    idle = [f for f in g.frames if f.name == "(idle)"]
    assert idle and all(f.depth == 2 for f in idle), idle
    assert sum(f.n for f in idle) == g.idle > 0, g
    sleeper = [f for f in threads if THREAD_FRAME.fullmatch(f.name).group(1) == "main-waiter"]
    assert any(f.parent is sleeper[0] for f in idle), idle


def test_idle_tower(python, tmp_path):
    # Attached to the sleeper asleep: with -t, a loaded machine can make
    # the interpreter's start as long as the sleep.
    g, _ = svg_attached(python, TARGETS / "sleeper.py", tmp_path, ["-s", "0.5"])
    idle = [f for f in g.frames if f.name == "(idle)"]
    assert len(idle) == 1, g.frames
    assert idle[0].n == g.idle > 0.5 * g.total, g
    assert idle[0].label == "(idle)" and idle[0].parent is g.root
    # Right of the Python frames, in a grey no Python frame has.
    assert idle[0].s == g.python and idle[0].fill == (190, 190, 190)


def test_idle_left_out_by_x_is_counted(python, tmp_path):
    """-x leaves idle samples out of the graph; the subtitle still counts
    them, so that an empty graph does not look like a run of no samples."""
    proc = start_target(python, TARGETS / "sleeper.py", 60)  # asleep: idle
    try:
        for extra, subtitle_end in ([], "; one every 1 ms"),\
                                   (["-x"], "; one every 1 ms; 1 idle left out (-x)"):
            out = tmp_path / ("x.svg" if extra else "all.svg")
            res = run_pyflame(["-f", "svg", *extra, "-s", "0", "-o", str(out),
                               "-p", str(proc.pid)])
            assert res.returncode == 0, res.stderr.decode()
            g = Graph(out)
            assert g.subtitle.endswith(subtitle_end), g.subtitle
            assert (g.samples, g.idle) == ((0, 0) if extra else (1, 1)), g
    finally:
        stop_target(proc)


def test_trace_without_o_writes_the_graph_to_its_own_file(python, tmp_path):
    """-t shares standard output with the command, whose lines would break
    the SVG: without -o the graph goes to pyflame-PID.svg, named on stderr."""
    script = TARGETS / "exact_line.py"
    res = run_pyflame(["-f", "svg", "-t", python, str(script), "0.3"], cwd=tmp_path)
    assert res.returncode == 0, res.stderr.decode()
    assert res.stdout == b"ready\n"
    files = list(tmp_path.iterdir())
    assert len(files) == 1, files
    m = re.fullmatch(r"pyflame-(\d+)\.svg", files[0].name)
    assert m, files
    assert f"pyflame: profile written to {files[0].name}\n" in res.stderr.decode()
    g = Graph(files[0])
    check_consistent(g)
    assert g.named("hot_leaf"), g.frames
    assert g.title == f"Flame graph of {os.path.basename(python)} exact_line.py 0.3 (PID {m.group(1)})"


def test_title_names_the_program_safely(python, tmp_path):
    """Arguments that XML must escape, or that are not UTF-8, make a valid
    title; a long command line is cut, with an ellipsis, to fit."""
    script = TARGETS / "exact_line.py"
    odd = ['<&"\'>', b"caf\xe9", "x" * 300]
    out = tmp_path / "graph.svg"
    res = run_pyflame(["-f", "svg", "-o", str(out), "-t", python, str(script), "0.3", *odd])
    assert res.returncode == 0, res.stderr.decode()
    g = Graph(out)
    prefix = f"Flame graph of {os.path.basename(python)} exact_line.py 0.3 <&\"'> caf\ufffd xxx"
    assert g.title.startswith(prefix), g.title
    assert re.search(r"x\u2026 \(PID \d+\)$", g.title), g.title
    assert len(g.title) < len(prefix) + 300, g.title
    assert g.title_tooltip == f"{python} {script} 0.3 <&\"'> caf\ufffd {'x' * 300}"


def test_no_line_numbers(python, tmp_path):
    script = TARGETS / "exact_line.py"
    g = svg_of(python, script, 0.5, tmp_path, extra=["-n"])
    assert g.subtitle.endswith("; without line numbers"), g.subtitle
    hot = g.named("hot_leaf")
    # Every line of hot_leaf in one frame.
    assert [f.name for f in hot] == [f"{script}:hot_leaf"], hot
    main = g.named_in("main", script)
    assert len(main) == 1 and hot[0].width >= 0.5 * main[0].width, (hot, main)
    assert hot[0].label == "hot_leaf (exact_line.py)"
    for f in g.frames:
        assert not re.search(r":\d+$", f.name), f
        assert not re.search(r":\d+\)$", f.full_label), f


def test_sample_count_when_attached(python, tmp_path):
    seconds, interval = 0.6, 0.005
    g, pid = svg_attached(python, TARGETS / "exact_line.py", tmp_path,
                          ["-s", str(seconds), "-r", str(interval)])
    # No more samples than -s / -r asks; how many a loaded machine lets
    # pyflame take is the benchmark's business.
    assert 10 <= g.total <= seconds / interval + 2, g
    assert g.title == f"Flame graph of {os.path.basename(python)} exact_line.py 30 (PID {pid})"
    assert "one every 5 ms" in g.subtitle
    assert sum(f.n for f in g.named("hot_leaf")) >= 0.8 * g.total


def read_png(path):
    """(width, height, rows of RGB(A) bytes, bytes per pixel), 8-bit
    truecolour PNGs only, which is what Chromium writes."""
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    pos, idat = 8, []
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
    assert depth == 8 and ctype in (2, 6) and interlace == 0, (depth, ctype, interlace)
    bpp = 3 if ctype == 2 else 4
    stride = width * bpp
    raw = zlib.decompress(b"".join(idat))
    low7 = int.from_bytes(b"\x7f" * stride, "big")
    high = int.from_bytes(b"\x80" * stride, "big")
    rows, prev = [], bytes(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)]
        if kind == 0:
            cur = line
        elif kind == 2:  # up: bytewise sums, eight bits at a time, no carries
            a, b = int.from_bytes(line, "big"), int.from_bytes(prev, "big")
            cur = (((a & low7) + (b & low7)) ^ ((a ^ b) & high)).to_bytes(stride, "big")
        else:
            cur = bytearray(line)
            for i in range(stride):
                left = cur[i - bpp] if i >= bpp else 0
                if kind == 1:
                    pred = left
                elif kind == 3:
                    pred = (left + prev[i]) >> 1
                else:
                    up, corner = prev[i], prev[i - bpp] if i >= bpp else 0
                    p = left + up - corner
                    pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                    pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                cur[i] = (cur[i] + pred) & 255
            cur = bytes(cur)
        rows.append(cur)
        prev = cur
    return width, height, rows, bpp


def dumped(text):
    """The document Chromium dumped, parsed."""
    return ET.fromstring(text[text.index("<svg"):])


def test_renders_in_chromium(python, split_graph, tmp_path):
    if os.path.realpath(python) != os.path.realpath(sys.executable):
        pytest.skip("the browser check runs once, with the interpreter that runs pytest")
    g = split_graph
    url = g.path.resolve().as_uri()
    png = tmp_path / "shot.png"
    dom = chromium(url, f"--screenshot={png}", "--window-size=1200,800", "--dump-dom")

    # The script ran, and found every frame.
    svg = dumped(dom)
    assert svg.get("data-pf-error") is None, svg.get("data-pf-error")
    assert svg.get("data-pf-ready") == str(len(g.frames)), dom[:1000]

    # The picture: boxes in the frames' colours where the SVG puts them.
    width, height, rows, bpp = read_png(png)
    assert (width, height) == (1200, 800)

    def pixel(x, y):
        return tuple(rows[int(y)][int(x) * bpp:int(x) * bpp + 3])

    def near(a, b):
        return all(abs(u - v) <= 4 for u, v in zip(a, b))

    # Down the middle column: each frame there in its own colour, nothing
    # above the top one but the background.
    column = [f for f in g.frames if f.x + 1 <= 600 <= f.x + f.width - 1]
    assert len(column) >= 4, column  # all, <module>, main, three or one (, spin)
    for f in column:
        assert near(pixel(600, f.y + 1), f.fill), (f, pixel(600, f.y + 1))
    top = min(f.y for f in column)
    for y in range(70, int(top) - 2):
        r, gr, b = pixel(600, y)
        assert b > 150 and abs(r - gr) < 30, (y, (r, gr, b))
    graph_rows = rows[64:min(g.height - 34, height)]
    colours = {row[i:i + 3] for row in graph_rows for i in range(0, len(row), bpp)}
    warm = {c for c in colours if c[0] >= 200 and c[1] < c[0] - 30 and c[2] < 60}
    assert len(colours) >= 20 and len(warm) >= 5, (len(colours), len(warm))

    # Search and zoom, as given in the address: ?s=REGEX&x=SAMPLE&y=DEPTH.
    main_ = max(g.named("main"), key=lambda f: f.n)
    dom = chromium(f"{url}?s=three&x={main_.s}&y={main_.depth}", "--dump-dom")
    svg = dumped(dom)
    assert svg.get("data-pf-error") is None, svg.get("data-pf-error")
    matched = sum(f.n for f in g.named("three"))
    assert svg.get("data-pf-matched") == str(matched)
    share = 100.0 * matched / g.total
    texts = {el.get("id"): "".join(el.itertext()) for el in svg.iter(SVG + "text") if el.get("id")}
    assert texts["pf-matched"].startswith(f"Matched: {share:.2f}%"), texts["pf-matched"]
    assert texts["pf-search"] == "Reset search"
    original = {(f.s, f.name): f for f in g.frames}
    groups = svg.find(f".//{SVG}g[@id='pf-frames']").findall(SVG + "g")
    assert len(groups) == len(g.frames)
    for el in groups:
        f = original[(int(el.get("data-s")), Frame(el).name)]
        classes = (el.get("class") or "").split()
        shown = float(el.find(SVG + "rect").get("width"))
        if f.depth < main_.depth and f.s <= main_.s and main_.s + main_.n <= f.s + f.n:
            assert "pf-parent" in classes and shown == GRAPH_WIDTH, f  # callers
        elif f.depth >= main_.depth and main_.s <= f.s and f.s + f.n <= main_.s + main_.n:
            assert "pf-hidden" not in classes and "pf-parent" not in classes, f
            assert abs(shown - f.n * GRAPH_WIDTH / main_.n) <= 0.01, (f, shown)
        else:
            assert "pf-hidden" in classes, f
        fill = el.find(SVG + "rect").get("fill")
        assert (fill == "rgb(220,0,220)") == (f.func == "three"), (f, fill)
