"""pyflame.profile(): the native pyflame sampling a block of this process.

    with pyflame.profile(output="region.svg") as p:
        work()
    print(p.samples, p.folded)

It starts `pyflame -p <this process> --tid <this thread> -s -1
--ready-fd FD`, lets the block begin only once pyflame says it has taken
its first sample, and at the block's end stops pyflame with SIGINT, which
writes the profile.  pyflame starts behind a gate (a shell waiting for a
line) so that it attaches only after this process has allowed it to
(_ptrace_permission).  The profile is recorded folded, or timestamped
for a format that places samples in time, and read back by `pyflame
--input` into any format."""
import functools
import math
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import weakref

from . import _embed, _formats, _native, _ptrace_permission

# How long pyflame may take to attach and take its first sample, and to
# write the profile once stopped: far more than it needs.
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 60.0
# The gate: the shell waits for a line on its standard input, which this
# process writes once pyflame may trace it, then becomes pyflame.  No
# line (this process refused, or died) and pyflame never runs.
GATE = 'read -r go || exit 125; exec "$@" </dev/null'
GATE_CLOSED = 125
# pyflame's exit status when SIGINT ended its run, the profile written.
STOPPED = 128 + signal.SIGINT

# One region at a time: a process has one tracer.  _owner: the thread in
# the block, whose calls of a decorated function within it (recursion)
# run as they are, in the block's profile.
_active = threading.Lock()
_owner = None


class ProfileError(RuntimeError):
    """pyflame could not profile the block; the message says why."""


def _last_error(log):
    """pyflame's error line from its log, else its last line."""
    lines = [line for line in log.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("pyflame: error:")]
    return (errors or lines or ["(it said nothing)"])[-1]


def _own_frame(frame, here):
    """Whether a frame (file:function:line) is this module's."""
    return frame.startswith(here + ":")


def _without_own_frames(path, timed, root_file=None, other_threads=False):
    """Rewrites the recording at `path` without this module's frames: a
    stack that shows the block being entered or left (pyflame's first
    sample comes before the block begins, its last after it ends) goes;
    the decorator's wrapper (`profiled`), under every stack of the
    function, is taken out of it.  With `root_file`, a stack begins at its
    first frame of that file, what called it left out; a stack without one
    shows the caller between the block's start and that file's code (the
    IPython magic before it runs its cell), and goes, unless it may be
    another thread's (`other_threads`)."""
    here = _without_own_frames.__code__.co_filename
    wrapper = here + ":profiled:"
    root = None if root_file is None else root_file + ":"

    def keep(stack):
        frames = stack.split(";")
        if not any(":" in f for f in frames):
            return stack  # no Python code: (idle), (failed)
        if any(_own_frame(f, here) and not f.startswith(wrapper) for f in frames):
            return None
        if root is not None:
            first = next((i for i, f in enumerate(frames) if f.startswith(root)), None)
            if first is None:
                return stack if other_threads else None
            frames = frames[first:]
        return ";".join(f for f in frames if not f.startswith(wrapper))

    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        lines = f.read().splitlines()
    out = []
    if not timed:
        for line in lines:
            stack, _, count = line.rpartition(" ")
            kept = keep(stack)
            if kept:
                out.append("%s %s" % (kept, count))
    else:
        sample = []
        for line in lines + ["0"]:
            if line.isdigit():
                if len(sample) > 1:
                    out += sample
                sample = [line]
            elif line:
                kept = keep(line.rstrip(";"))
                if kept:
                    sample.append(kept + ";")
    with open(path, "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write("".join(line + "\n" for line in out))


def _program_name():
    """The program, as a graph's title names it: its script, or python
    -c, python -m ... as it was started."""
    argv0 = sys.argv[0] if sys.argv and sys.argv[0] else ""
    if not argv0 or argv0.startswith("-"):
        return ("python " + argv0).strip()
    return os.path.basename(argv0)


def _file_name(label):
    """The recording's file name: the label, which the graph's title shows
    as the file read back.  A file name has no '/': a division slash,
    which reads the same, stands for it ("GET /items/" of a request)."""
    name = label.replace("/", "\u2215").replace("\0", "_")[:200]
    return name if name and not name.startswith("-") else "profile " + name


class Profile:
    """The profile of a block: its samples in any format of the native
    pyflame, read back from the recording (`pyflame --input`)."""

    def __init__(self, label, fmt):
        self.label = label
        self.format = fmt
        self.output = None  # the file saved at the block's end, if any
        self._native = self._dir = self._name = None
        self._timed = False
        self._folded = self._svg = None

    def _recorded(self, native, directory, name, timed, hz):
        self._native, self._dir, self._name, self._timed = native, directory, name, timed
        self._hz = hz
        # The recording lives as long as this object.
        weakref.finalize(self, shutil.rmtree, directory, True)

    def _native_input(self, fmt, output):
        if self._native is None:
            raise ProfileError("the block is still being profiled: its profile comes at "
                               "the end of the with block")
        if _formats.needs_times(fmt) and not self._timed:
            raise ProfileError(
                "the %s format places each sample in time, and this profile was recorded "
                "without times: ask for it from the start, pyflame.profile(format=%r) or an "
                "output file of that format" % (fmt.split(":", 1)[0], fmt))
        res = subprocess.run([self._native, "--input", self._name, "--hz", repr(self._hz),
                              "-f", fmt, "-o", output],
                             cwd=self._dir, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        if res.returncode != 0:
            raise ProfileError("pyflame could not write the profile as %s: %s"
                               % (fmt, _last_error(res.stderr.decode("utf-8", "replace"))))
        return res.stdout

    def render(self, fmt):
        """The profile in format NAME[:OPTIONS], as text."""
        return self._native_input(fmt, "-").decode("utf-8", "replace")

    @property
    def folded(self):
        """One line per stack, root first, frames joined by ';', then its
        number of samples: flamegraph.pl's input."""
        if self._folded is None:
            self._folded = self.render("folded")
        return self._folded

    @property
    def svg(self):
        """The interactive flame graph (pyflame -f svg), as text."""
        if self._svg is None:
            self._svg = self.render("svg")
        return self._svg

    @property
    def samples(self):
        """How many samples were taken, idle and failed ones included."""
        return sum(int(line.rpartition(" ")[2]) for line in self.folded.splitlines() if line)

    def save(self, path, format=None):
        """Writes the profile to `path`, in `format` (NAME[:OPTIONS]) or
        else the one its name asks for (.svg, .txt or .folded,
        .cpuprofile, .speedscope.json); returns the path."""
        fmt = format or _formats.of_path(path)
        self._native_input(fmt, os.path.abspath(os.fspath(path)))
        return path

    def _repr_html_(self):
        """Jupyter's view of it: the interactive graph."""
        return None if self._native is None else _embed.iframe(self.svg)

    def __repr__(self):
        if self._native is None:
            return "<pyflame.Profile of %s: being sampled>" % self.label
        return "<pyflame.Profile of %s: %d samples>" % (self.label, self.samples)


class profile:
    """Profiles a block, as a context manager, or each call of a function,
    as a decorator, with the native pyflame.

    output   a file for the profile, written at the end (its name tells
             the format unless `format` does); None: keep it in the
             Profile only
    hz       samples per second (default 1000)
    threads  False (the default): only the thread that enters the block;
             True: every thread of the process, each as --threads shows it
    format   the format of `output` (NAME[:OPTIONS], as pyflame -f takes)
    label    what the graph's title names (default: the script; a
             decorated function's name), with the process's PID

    `with` gives the Profile, whose samples are there once the block ends;
    a decorated function keeps its last call's in its `profile`
    attribute."""

    def __init__(self, output=None, hz=1000, threads=False, format=None, label=None,
                 _root_file=None):
        if isinstance(hz, bool) or not isinstance(hz, (int, float)) or \
                not (0 < hz <= 1e6 and math.isfinite(hz)):
            raise ValueError("hz must be a number of samples per second, above 0 and at most "
                             "1000000, not %r" % (hz,))
        self.output = output
        self.hz = hz
        self.threads = bool(threads)
        self.format = format or (_formats.of_path(output) if output else _formats.DEFAULT)
        self.label = "%s (PID %d)" % (label or _program_name(), os.getpid())
        self._root_file = _root_file  # stacks begin at its frames (the IPython magic)
        self._proc = None

    def __call__(self, func):
        @functools.wraps(func)
        def profiled(*args, **kwargs):
            if _owner == threading.get_ident():  # within a block already
                return func(*args, **kwargs)
            region = profile(self.output, self.hz, self.threads, self.format,
                             label=func.__qualname__)
            with region as p:
                profiled.profile = p
                return func(*args, **kwargs)
        profiled.profile = None
        return profiled

    def __enter__(self):
        global _owner
        if not _active.acquire(blocking=False):
            raise ProfileError("pyflame.profile() is already sampling this process: one "
                               "block at a time (a process has one tracer)")
        try:
            self.result = Profile(self.label, self.format)
            self._start()
        except BaseException:
            _active.release()
            raise
        _owner = threading.get_ident()
        return self.result

    def __exit__(self, exc_type, exc, tb):
        global _owner
        _owner = None
        try:
            self._stop(quiet=exc_type is not None)
        finally:
            _active.release()
        return False

    def _command(self, native, ready_fd):
        cmd = [native, "-s", "-1", "--hz", repr(self.hz), "-o", self._recording,
               "-f", "timestamped" if self._timed else "folded",
               "--ready-fd", str(ready_fd), "-p", str(os.getpid())]
        if self.threads:
            cmd.append("--threads")
        else:
            cmd += ["--tid", str(threading.get_native_id())]
        return cmd

    def _start(self):
        native = _native.find()
        name_it = _ptrace_permission.check(native)
        self._native = native
        self._dir = tempfile.mkdtemp(prefix="pyflame-")
        self._name = _file_name(self.label)
        self._recording = os.path.join(self._dir, self._name)
        self._timed = _formats.needs_times(self.format)
        self._allowed = False
        self._log = open(os.path.join(self._dir, "pyflame.log"), "w+b")
        gate_r, gate_w = os.pipe()
        ready_r, ready_w = os.pipe()
        try:
            try:
                self._proc = subprocess.Popen(
                    ["/bin/sh", "-c", GATE, "pyflame"] + self._command(native, ready_w),
                    stdin=gate_r, stdout=self._log, stderr=self._log, pass_fds=(ready_w,),
                    start_new_session=True)  # the terminal's Ctrl-C is this process's
            finally:
                os.close(gate_r)
                os.close(ready_w)
            try:
                if name_it:
                    _ptrace_permission.allow(self._proc.pid, native)
                    self._allowed = True
                os.write(gate_w, b"go\n")
            finally:
                os.close(gate_w)
            self._wait_ready(ready_r)
        except BaseException:
            self._abandon()
            raise
        finally:
            os.close(ready_r)

    def _wait_ready(self, ready_r):
        if not select.select([ready_r], [], [], READY_TIMEOUT)[0]:
            raise ProfileError("pyflame did not begin sampling within %g s" % READY_TIMEOUT)
        if os.read(ready_r, 64) == b"ready\n":
            return
        status = self._proc.wait()
        if status == GATE_CLOSED:
            raise ProfileError("pyflame did not start: this process did not let it")
        raise ProfileError("pyflame could not profile this process (exit status %d): %s"
                           % (status, _last_error(self._read_log())))

    def _read_log(self):
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")

    def _end_pyflame(self):
        """Stops pyflame, the profile written; returns its exit status."""
        proc = self._proc
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        try:
            return proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()  # the kernel lets this process go with its tracer
            return proc.wait()
        finally:
            if self._allowed:
                _ptrace_permission.revoke()

    def _abandon(self):
        if self._proc is not None:
            self._end_pyflame()
        self._log.close()
        shutil.rmtree(self._dir, True)

    def _stop(self, quiet):
        """Ends the profile.  `quiet`: the block raised, and its exception
        goes on: a failure here is told on standard error, not raised."""
        status = self._end_pyflame()
        log = self._read_log()
        self._log.close()
        try:
            if status not in (0, STOPPED) or not os.path.exists(self._recording):
                shutil.rmtree(self._dir, True)
                raise ProfileError("pyflame failed while profiling the block (exit status "
                                   "%d): %s" % (status, _last_error(log)))
            _without_own_frames(self._recording, self._timed, self._root_file, self.threads)
            self.result._recorded(self._native, self._dir, self._name, self._timed, self.hz)
            if self.output is not None:
                self.result.output = self.result.save(self.output, self.format)
        except ProfileError as error:
            if not quiet:
                raise
            print("pyflame: %s" % error, file=sys.stderr)
