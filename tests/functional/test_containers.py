"""pyflame -p HOSTPID on a target in its own mount and PID namespaces (a
container, made with unshare), whose interpreter and libpython exist only
inside it: the host sees an empty directory where the target runs from.

Checked: stacks with the paths as the target sees them, thread ids as the
host knows them (--thread-names, -d), the target left running, and files
read inside the target's root only, also without CAP_SYS_ADMIN (no
/proc/PID/map_files), where a symlink planted in the container must not
lead pyflame to the host's file of that name."""
import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from conftest import (NO_GIL, TARGETS, Profile, assert_left_running, env_for_pyflame_under_tracer,
                      marker_line, require, start_target, stop_target)
from testlib.interpreters import installed_python


def interpreter(minor):
    """The interpreter of version `minor` ("3.12") among those found, as
    (its installation directory, its executable's name); its directory is
    made a container's."""
    python = installed_python(minor)
    require(python, f"CPython {minor} in an installation directory of its own")
    return Path(python).parent.parent, Path(python).name


# 3.12 records each thread's kernel id (native_thread_id); 3.10 and 2.7
# leave pyflame to read glibc's; 2.7 also keeps thread names its own way.
VERSIONS = ["3.12", "3.10", "2.7"]
SCRIPT = TARGETS / "threads.py"
NAMES = {"busy_alpha": "alpha", "busy_beta": "beta", "<module>": "main-waiter"}
# Without these, /proc/PID/map_files is closed and pyflame must find the
# target's files by their paths.
NO_MAP_FILES = ["setpriv", "--bounding-set", "-sys_admin,-checkpoint_restore"]

# Run by `sh -s` inside the new namespaces: hides the interpreter on a tmpfs
# only the container sees, and hides its real location (its RUNPATH) too.
SETUP = r"""
set -e
mount -t tmpfs none "$ROOT"
mkdir "$ROOT/py" "$ROOT/app"
mount --bind "$PYDIR" "$ROOT/py"
mount --bind "$PYDIR" "$DECOY"
mount -t tmpfs none "$(dirname "$PYDIR")"
cp "$SCRIPT" "$ROOT/app/threads.py"
export LD_LIBRARY_PATH="$ROOT/py/lib"
exec "$ROOT/py/bin/$EXE" "$ROOT/app/threads.py" 60
"""


def require_container_tools():
    require(os.geteuid() == 0, "root, to make mount and PID namespaces")
    for tool in ("unshare", "nsenter", "setpriv"):
        require(shutil.which(tool), "%s (util-linux)" % tool)


def child_of(ppid):
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path("/proc/%s/stat" % entry).read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == ppid:
                return int(entry)
    raise AssertionError("unshare started no child")


class Container:
    """The threads target, run from ROOT/py inside new namespaces."""

    def __init__(self, tmp_path, minor):
        pydir, exe = interpreter(minor)
        self.root = tmp_path / "root"
        self.decoy = tmp_path / "decoy"  # the host's files under that name
        self.root.mkdir()
        (self.decoy / "bin").mkdir(parents=True)
        (self.decoy / "lib").mkdir()
        for f in [self.decoy / "bin" / exe] + [self.decoy / "lib" / p.name for p in
                                                (pydir / "lib").glob("libpython*")]:
            f.write_text("the host's file: pyflame must not read it\n")
        env = dict(os.environ, ROOT=str(self.root), PYDIR=str(pydir), EXE=exe,
                   DECOY=str(self.decoy), SCRIPT=str(SCRIPT))
        self.unshare = subprocess.Popen(
            ["unshare", "--mount", "--pid", "--kill-child", "--propagation", "private",
             "sh", "-s"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=env)
        self.unshare.stdin.write(SETUP.encode())
        self.unshare.stdin.close()
        line = self.unshare.stdout.readline()
        if line.strip() != b"ready":
            self.unshare.kill()
            err = self.unshare.stderr.read().decode()
            require("Operation not permitted" not in err,
                    "the right to make namespaces here: " + err.strip())
            raise AssertionError("container target did not start: %r %s" % (line, err))
        try:
            self.pid = child_of(self.unshare.pid)
        except AssertionError:
            self.unshare.kill()  # --kill-child takes the target along
            raise
        self.app = str(self.root / "app" / "threads.py")  # as the target names it

    def tasks(self):
        return set(int(t) for t in os.listdir("/proc/%d/task" % self.pid))

    def in_mount_ns(self, script, *args):
        subprocess.run(["nsenter", "-t", str(self.pid), "-m", "sh", "-ec", script, "sh",
                        *map(str, args)], check=True)

    def stop(self):
        if self.unshare.poll() is None:
            os.kill(self.pid, signal.SIGKILL)
        self.unshare.wait(timeout=10)


@pytest.fixture(params=VERSIONS)
def container(request, tmp_path):
    require_container_tools()
    c = Container(tmp_path, request.param)
    yield c
    c.stop()


def pyflame(container, args, prefix=()):
    res = subprocess.run([*prefix, os.environ["PYFLAME"], *args, "-p", str(container.pid)],
                         capture_output=True, timeout=60)
    assert res.returncode == 0, res.stderr.decode()
    assert_left_running(container.pid)
    return res.stdout.decode("utf-8")


def assert_stacks(container, text):
    """The GIL holder's stacks: the busy functions, at their exact lines,
    in files named as the target names them."""
    prof = Profile(text)
    assert prof.total > 0, text
    for func, marker in (("busy_alpha", "ALPHA"), ("busy_beta", "BETA")):
        leaves = prof.with_function(func)
        assert leaves, text
        for stack in leaves:
            assert stack[-1] == (container.app, func, marker_line(SCRIPT, marker)), stack
            assert stack[0].file.startswith(str(container.root / "py" / "lib")), stack


def test_host_sees_nothing_of_the_container(container):
    assert os.listdir(str(container.root)) == []
    assert not os.path.exists(container.app)
    exe = os.readlink("/proc/%d/exe" % container.pid)
    assert exe.startswith(str(container.root)) and not os.path.exists(exe)
    assert "NSpid:\t%d\t1\n" % container.pid in Path(
        "/proc/%d/status" % container.pid).read_text()


def test_profile_shows_the_containers_paths_and_lines(container):
    assert_stacks(container, pyflame(container, ["-s", "1"]))


def test_thread_names_carry_host_thread_ids(container):
    text = pyflame(container, ["--threads", "--thread-names", "-x", "-s", "1"])
    tasks = container.tasks()
    tid_of = {}
    for line in text.splitlines():
        root, _, rest = line.rpartition(" ")[0].partition(";")
        m = re.fullmatch(r"thread (?:(.+) )?\((\d+)\)", root)
        assert m, line  # a decimal kernel id, not the ident in hex
        assert int(m.group(2)) in tasks, (line, tasks)
        leaf = [f for f in rest.split(";") if f != NO_GIL][-1].split(":")[-2]
        tid_of.setdefault(leaf, set()).add((m.group(1), int(m.group(2))))
    for busy in ("busy_alpha", "busy_beta"):
        assert len(tid_of.get(busy, ())) == 1, tid_of
        assert next(iter(tid_of[busy]))[0] == NAMES[busy], tid_of
    assert tid_of["busy_alpha"] != tid_of["busy_beta"]


def test_dump_names_host_thread_ids(container):
    text = pyflame(container, ["-d"])
    assert text.startswith("Process %d: CPython " % container.pid), text
    heads = [b.splitlines()[0] for b in text.split("\n\n")[1:]]
    tids = set(int(re.match(r"(\d+)\*?: ", h).group(1)) for h in heads)
    assert tids == container.tasks(), text
    # The main thread's kernel id is the process id (1 inside).
    assert re.match(r"%d\*?: " % container.pid,
                    [h for h in heads if '"main-waiter"' in h][0]), text
    assert "    busy_alpha (%s:%d)" % (container.app, marker_line(SCRIPT, "ALPHA")) in text


def test_without_map_files_the_files_are_read_inside_the_container(container):
    mapping = Path("/proc/%d/maps" % container.pid).read_text().split(None, 1)[0]
    probe = subprocess.run([*NO_MAP_FILES, "cat", "/proc/%d/map_files/%s" % (container.pid, mapping)],
                           capture_output=True)
    assert probe.returncode != 0, "setpriv did not close map_files: the test proves nothing"
    assert_stacks(container, pyflame(container, ["-s", "1"], prefix=NO_MAP_FILES))
    text = pyflame(container, ["--thread-names", "-s", "1"], prefix=NO_MAP_FILES)
    alpha = re.search(r"^thread alpha \((\d+)\);", text, re.M)
    assert alpha and int(alpha.group(1)) in container.tasks(), text


def test_symlink_planted_in_the_container_stays_inside_it(container):
    # Cover ROOT with a new tmpfs in which ROOT/py is an absolute symlink
    # to DECOY: inside the container DECOY holds the same interpreter; on
    # the host it holds decoy files.  The mappings keep their paths.
    container.in_mount_ns('mount -t tmpfs none "$1" && ln -s "$2" "$1/py"',
                          container.root, container.decoy)
    assert str(container.root / "py" / "lib") in Path(
        "/proc/%d/maps" % container.pid).read_text()
    assert_stacks(container, pyflame(container, ["-s", "1"], prefix=NO_MAP_FILES))


def without_openat2(args):
    """Runs pyflame as on a kernel before Linux 5.6, without map_files."""
    require(shutil.which("strace"), "strace, to hide openat2 from pyflame")
    return subprocess.run([*NO_MAP_FILES, "strace", "-o", "/dev/null", "-e",
                           "inject=openat2:error=ENOSYS", os.environ["PYFLAME"], *args],
                          capture_output=True, timeout=60, env=env_for_pyflame_under_tracer())


@pytest.mark.parametrize("container", [VERSIONS[0]], indirect=True)
def test_without_openat2_a_container_is_refused(container):
    res = without_openat2(["-s", "0.3", "-p", str(container.pid)])
    assert res.returncode == 1
    err = res.stderr.decode()
    assert "another root (a container)" in err and "CAP_SYS_ADMIN" in err, err
    assert_left_running(container.pid)


def test_without_openat2_a_target_sharing_our_root_still_works():
    require_container_tools()
    pydir, exe = interpreter(VERSIONS[0])
    target = start_target(str(pydir / "bin" / exe), SCRIPT, 30)
    try:
        res = without_openat2(["-s", "0.5", "-p", str(target.pid)])
    finally:
        stop_target(target)
    assert res.returncode == 0, res.stderr.decode()
    assert Profile(res.stdout.decode()).with_function("busy_alpha"), res.stdout
