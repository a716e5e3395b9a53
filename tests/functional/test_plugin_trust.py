"""Plugins others could replace are refused: owner and mode checks from /
down, and the races of a check by path then a load by path."""
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from conftest import error_of, run_pyflame
from plugin_sdk import BUILD, build_plugin


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
