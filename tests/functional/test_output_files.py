"""Where a profile goes: standard output, -o FILE or a file named for the
command; a full disk or spool told in one error and nothing half written;
the summary a run ends with on a terminal."""
import os
import re
import resource
import signal
import subprocess
from pathlib import Path

import pytest

from conftest import PYFLAME, TARGETS, Profile, error_of, run_pyflame, start_target, stop_target

SOURCE = Path(os.environ.get("PYFLAME_SOURCE_DIR", Path(__file__).parents[2]))

def test_trace_keeps_command_output_and_status(python, tmp_path):
    out = tmp_path / "profile.txt"
    res = run_pyflame(["-o", str(out), "-t", python, "-c",
                       "import sys; print('to stdout'); print('to stderr', file=sys.stderr);"
                       " sys.exit(3)"])
    assert res.returncode == 3
    assert res.stdout == b"to stdout\n"
    assert res.stderr == b"to stderr\n"
    assert out.exists()


def test_output_dash_is_standard_output(sleeper, tmp_path):
    """-o - is standard output, as for most tools: no file named "-"."""
    res = run_pyflame(["-o", "-", "-s", "0", "-p", str(sleeper.pid)], cwd=tmp_path)
    assert res.returncode == 0, res.stderr.decode()
    assert res.stdout == b"(idle) 1\n"
    assert list(tmp_path.iterdir()) == []


def test_output_dash_with_trace_mixes_as_asked(python, tmp_path):
    """-t -f svg writes the graph to a file of its own unless -o - asks for
    standard output, shared with the command: then both go there."""
    res = run_pyflame(["-f", "svg", "-o", "-", "-t", python, "-c", "print('hello')"],
                      cwd=tmp_path)
    assert res.returncode == 0, res.stderr.decode()
    assert res.stdout.startswith(b"hello\n<?xml "), res.stdout[:200]
    assert res.stdout.rstrip().endswith(b"</svg>"), res.stdout[-200:]
    assert "written to" not in res.stderr.decode()
    assert list(tmp_path.iterdir()) == []


def test_trace_of_a_document_format_goes_to_a_file_named_for_the_command(python, tmp_path):
    """-t without -o: the command's output shares pyflame's, so a format that
    is one document goes to pyflame-PID.EXT, said in one line on stderr; a
    format of lines (folded) stays on standard output, as in Uber's Pyflame."""
    res = run_pyflame(["-f", "svg", "-t", python, "-c", "print('hello')"], cwd=tmp_path)
    assert res.returncode == 0, res.stderr.decode()
    assert res.stdout == b"hello\n"
    files = [f.name for f in tmp_path.iterdir()]
    assert len(files) == 1 and re.fullmatch(r"pyflame-\d+\.svg", files[0]), files
    # One line of its own (a warning may come too: a sample unread as the
    # interpreter exits, a loaded machine).
    assert [line for line in res.stderr.decode().splitlines()
            if not line.startswith("pyflame: warning: ")] == \
        [f"pyflame: profile written to {files[0]}"]
    assert (tmp_path / files[0]).read_bytes().startswith(b"<?xml ")
    folded = run_pyflame(["-t", python, "-c", "print('hello')"], cwd=tmp_path)
    assert folded.returncode == 0, folded.stderr.decode()
    assert folded.stdout.startswith(b"hello\n") and "written to" not in folded.stderr.decode()
    assert [f.name for f in tmp_path.iterdir()] == files


FORMATS = ["folded", "timestamped", "chrome", "speedscope", "svg"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_full_output_is_one_error_naming_it(sleeper, fmt):
    """Written as it goes (timestamped: more samples than a buffer holds)
    or at the end, one line."""
    res = run_pyflame(["-f", fmt, "-o", "/dev/full", "-p", str(sleeper.pid), "-s", "0.5",
                       "-r", "0.0001"])
    assert res.returncode == 1, res.stderr.decode()
    assert "cannot write the profile to /dev/full: No space left on device" in error_of(res)


def file_size_limit(nbytes):
    """For subprocess: files the child writes stop at nbytes; pipes are not
    files.  SIGXFSZ keeps its default, death: pyflame must ignore it to
    tell the error (EFBIG)."""
    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
        resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, nbytes))
    return limit


@pytest.mark.parametrize("fmt", ["folded", "timestamped", "svg"])
def test_output_that_fills_up_is_removed(sleeper, fmt, tmp_path):
    """A profile cut short by a full disk (here a file size limit, smaller
    than any profile) is no profile: the -o file goes, and one error names
    it.  (chrome and speedscope fill their spool first: below.)"""
    out = tmp_path / "out"
    res = run_pyflame(["-f", fmt, "-o", str(out), "-s", "0.2", "-p", str(sleeper.pid)],
                      preexec_fn=file_size_limit(8))
    assert res.returncode == 1, res.stderr.decode()
    assert f"cannot write the profile to {out}: File too large" in error_of(res)
    assert not out.exists()


def test_output_through_a_link_that_fills_up_is_emptied(sleeper, tmp_path):
    """-o through a symbolic link: the link stays, and the file it points to
    is emptied rather than left half-written."""
    real, link = tmp_path / "real", tmp_path / "link"
    real.write_text("x" * 100)
    link.symlink_to(real)
    res = run_pyflame(["-f", "timestamped", "-o", str(link), "-s", "0.2", "-p", str(sleeper.pid)],
                      preexec_fn=file_size_limit(8))
    assert res.returncode == 1, res.stderr.decode()
    assert f"cannot write the profile to {link}: File too large" in error_of(res)
    assert link.is_symlink() and real.stat().st_size == 0


@pytest.mark.parametrize("fmt", ["chrome", "speedscope"])
def test_full_spool_is_one_error_naming_its_directory(sleeper, fmt, tmp_path):
    """chrome and speedscope keep the samples in $TMPDIR until the end: when
    it fills up (here a file size limit, which 2 s of samples at full speed
    pass), the error names it and TMPDIR, not the output, and the -o file
    goes."""
    spool, out = tmp_path / "spool", tmp_path / "out"
    spool.mkdir()
    res = run_pyflame(["-f", fmt, "-o", str(out), "-r", "0.000001", "-s", "2",
                       "-p", str(sleeper.pid)],
                      preexec_fn=file_size_limit(16384), env=dict(os.environ, TMPDIR=str(spool)))
    assert res.returncode == 1, res.stderr.decode()
    line = error_of(res)
    assert f"{fmt}: cannot keep the samples in a temporary file in {spool}" in line, line
    assert "File too large; point TMPDIR at a writable directory with room" in line, line
    assert list(spool.iterdir()) == []
    assert not out.exists()


def read_terminal(master):
    """Everything written to a pseudo-terminal whose other end is closed."""
    text = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: nothing more, the other end is closed
            break
        if not chunk:
            break
        text += chunk
    return text.decode().replace("\r\n", "\n")


def test_a_run_ends_with_a_summary_on_a_terminal(python, tmp_path):
    """With stderr on a terminal, a run ends with one line: the samples,
    how many had Python code running, were idle or failed, and where the
    profile went; the numbers are the profile's.  Not into a pipe."""
    import pty
    target = start_target(python, TARGETS / "sleeper.py", 60)
    out = tmp_path / "profile.txt"
    args = [PYFLAME, "-s", "0.3", "-p", str(target.pid), "-o", str(out)]
    master, slave = pty.openpty()
    try:
        res = subprocess.run(args, stdout=subprocess.PIPE, stderr=slave, timeout=60)
        os.close(slave)
        said = read_terminal(master)
        piped = run_pyflame(args[1:-1] + [str(tmp_path / "piped.txt")])
    finally:
        os.close(master)
        stop_target(target)
    assert res.returncode == 0, said
    m = re.search(r"^pyflame: (\d+) samples in [\d.]+ s: (\d+) with Python code running, "
                  r"(\d+) idle, (\d+) failed; profile written to (.+)$", said, re.M)
    assert m, said
    taken, shown, idle, failed = (int(g) for g in m.groups()[:4])
    assert m.group(5) == str(out), said
    prof = Profile(out.read_text())
    assert (taken, shown, idle, failed) == (prof.samples, prof.total, prof.idle, prof.failed)
    assert taken > 0 and taken == shown + idle + failed, said
    assert piped.returncode == 0 and b"samples in" not in piped.stderr, piped.stderr
