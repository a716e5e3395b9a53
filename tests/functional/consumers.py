"""The real consumers the format tests hand pyflame's output to: headless
Chromium, and the npm packages pinned in formats/ (ajv, speedscope).

The npm packages are pinned in formats/package.json and package-lock.json
and installed with `npm ci` into $PYFLAME_FORMAT_TOOLS (else
$PYFLAME_BUILD_DIR/format-tools, else a temporary directory), once per
version of the lock file."""
import base64
import fcntl
import hashlib
import html.parser
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

FORMATS = Path(__file__).parent / "formats"
SPEEDSCOPE_APP = "node_modules/speedscope/dist/release"
SCHEMA_IN_PACKAGE = SPEEDSCOPE_APP + "/file-format-schema.json"


def tools_dir():
    lock = (FORMATS / "package.json").read_bytes() + (FORMATS / "package-lock.json").read_bytes()
    build = os.environ.get("PYFLAME_BUILD_DIR")
    root = os.environ.get("PYFLAME_FORMAT_TOOLS") or \
        (Path(build) / "format-tools" if build else
         Path(tempfile.gettempdir()) / "pyflame-format-tools")
    root = Path(root)
    return root / hashlib.sha256(lock).hexdigest()[:16]


class ToolsMissing(Exception):
    pass


def install_tools():
    """npm ci of formats/ into tools_dir(), once: the interpreters' test
    runs share it, and may start together (ctest -j)."""
    npm = shutil.which("npm")
    if not npm or not shutil.which("node"):
        raise ToolsMissing("-f speedscope is checked against speedscope's schema with Node.js: "
                           "node and npm must be on PATH (Debian: apt-get install nodejs npm)")
    dest = tools_dir()
    dest.mkdir(parents=True, exist_ok=True)
    with open(str(dest) + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stamp = dest / ".installed"
        if not stamp.exists():
            for name in ("package.json", "package-lock.json"):
                shutil.copy(FORMATS / name, dest / name)
            res = subprocess.run([npm, "ci", "--prefix", str(dest), "--no-audit", "--no-fund",
                                  "--ignore-scripts", "--loglevel=error"],
                                 capture_output=True, text=True, timeout=600)
            if res.returncode != 0:
                raise ToolsMissing(f"npm ci into {dest} failed ({res.returncode}):\n"
                                   f"{res.stdout}\n{res.stderr}")
            stamp.write_text("installed by test_format_speedscope.py\n")
    if not (dest / SCHEMA_IN_PACKAGE).exists():
        raise ToolsMissing(f"the speedscope package in {dest} has no {SCHEMA_IN_PACKAGE}")
    return dest


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


def chromium(url, *args):
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        pytest.fail("headless Chromium is needed to check the SVG in a browser: "
                    "apt-get install chromium (Debian package 'chromium')")
    with tempfile.TemporaryDirectory() as profile:
        res = subprocess.run([exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, url],
                             capture_output=True, timeout=120)
    assert res.returncode == 0, res.stderr.decode(errors="replace")[-2000:]
    return res.stdout.decode("utf-8")


class _Text(html.parser.HTMLParser):
    """The text of a document, and the title attributes of its rows."""

    def __init__(self):
        super().__init__()
        self.text, self.rows = [], []

    def handle_starttag(self, tag, attrs):
        if tag == "tr" and dict(attrs).get("title"):
            self.rows.append(dict(attrs)["title"])

    def handle_data(self, data):
        self.text.append(data)


def speedscope_import(path, tmp_path):
    """Opens `path` in the speedscope app of the npm package, in headless
    Chromium, the way speedscope's own command line does (a script that
    hands the file to speedscope.loadFileFromBase64), and returns (the
    page's text, the names in its profile list)."""
    try:
        app = install_tools() / SPEEDSCOPE_APP
    except ToolsMissing as e:
        pytest.fail(str(e), pytrace=False)
    loader = tmp_path / (Path(path).name + ".js")
    data = base64.b64encode(Path(path).read_bytes()).decode()
    loader.write_text("speedscope.loadFileFromBase64(%s, %s)\n"
                      % (json.dumps(Path(path).name), json.dumps(data)))
    dom = chromium((app / "index.html").as_uri() + "#localProfilePath=" + str(loader),
                   "--virtual-time-budget=10000", "--dump-dom")
    parsed = _Text()
    parsed.feed(dom)
    return " ".join("".join(parsed.text).split()), parsed.rows
