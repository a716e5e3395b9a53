"""Command-line behaviour: every bad input gets a clear message and a
non-zero exit; trace mode keeps the command's own output and status."""
import os
import re
import resource
import shlex
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import (PYFLAME, SANITIZED, TARGETS, Profile, error_of, require, run_pyflame,
                      start_target, stop_target, tracer_of, wait_until)
from testlib.interpreters import installed_python

SOURCE = Path(os.environ.get("PYFLAME_SOURCE_DIR", Path(__file__).parents[2]))


@pytest.fixture
def sleeper(python):
    proc = start_target(python, TARGETS / "sleeper.py", 60)
    yield proc
    stop_target(proc)


def test_no_such_pid():
    proc = subprocess.Popen(["true"])
    proc.wait()
    res = run_pyflame(["-p", str(proc.pid)])
    assert res.returncode == 1
    assert f"no process with PID {proc.pid}" in error_of(res)


def test_kernel_thread():
    """PID 2, kthreadd, has no executable and no memory of its own."""
    res = run_pyflame(["-p", "2"])
    assert res.returncode == 1
    assert "process 2 is a kernel thread, not a program: it runs no Python" in error_of(res)


# Its main thread calls pthread_exit while its worker runs on.
MAIN_THREAD_EXITS = """
import ctypes, threading, time
def worker():
    print("ready", flush=True)
    while True:
        time.sleep(0.01)
threading.Thread(target=worker).start()
ctypes.CDLL(None).pthread_exit(None)
"""


def test_main_thread_exited_while_others_run(python):
    proc = subprocess.Popen([python, "-c", MAIN_THREAD_EXITS], stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline().strip() == b"ready"
        wait_until(lambda: status_state(proc.pid) == "Z", "the main thread gone")
        res = run_pyflame(["-s", "1", "-p", str(proc.pid)])
        assert res.returncode == 1
        assert (f"the main thread of process {proc.pid} has exited (pthread_exit) while "
                "1 of its threads run on") in error_of(res)
    finally:
        stop_target(proc)


def status_state(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("State:"):
                return line.split()[1]
    return None


def test_not_a_python_process():
    proc = subprocess.Popen(["sleep", "30"])
    try:
        res = run_pyflame(["-p", str(proc.pid)])
    finally:
        proc.kill()
        proc.wait()
    assert res.returncode == 1
    assert "is not a Python process" in error_of(res)


AS_NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def pyflame_as_nobody(pid):
    """pyflame -p pid run by the unprivileged user nobody: a copy that
    nobody can execute, with its plugins."""
    if os.geteuid() != 0:
        pytest.skip("needs root to run pyflame as another user")
    tmp = Path(tempfile.mkdtemp())
    try:
        tmp.chmod(0o755)
        shutil.copy(PYFLAME, tmp / "pyflame")
        shutil.copytree(Path(PYFLAME).parent / "plugins", tmp / "plugins")
        return subprocess.run([*AS_NOBODY, str(tmp / "pyflame"), "-p", str(pid)],
                              capture_output=True, timeout=30)
    finally:
        shutil.rmtree(tmp)


def test_ptrace_not_permitted(sleeper):
    res = pyflame_as_nobody(sleeper.pid)
    assert res.returncode == 1
    line = error_of(res)
    assert "not permitted" in line
    assert "belongs to another user (uid 0; you are uid 65534)" in line, line
    assert "CAP_SYS_PTRACE" in line
    # Only root helps with another user's process: no advice about Yama,
    # least of all on a kernel without it.
    assert "yama" not in line.lower(), line


def test_ptrace_advice_fits_the_kernel(python):
    """A process of one's own that still cannot be traced: Yama's setting
    is named only where the kernel has Yama, with its value."""
    if os.geteuid() != 0:
        pytest.skip("needs root to run pyflame as another user")
    # nobody's target, which nobody cannot trace: not dumpable, like a
    # setuid program's process.
    code = ("import ctypes, time; ctypes.CDLL(None).prctl(4, 0, 0, 0, 0); "
            "print('ready', flush=True); time.sleep(60)")
    # Root's home, where pyenv's interpreters live, may be closed to
    # others: then the system's interpreter.
    ran = subprocess.run([*AS_NOBODY, python, "-c", "pass"], capture_output=True)
    if ran.returncode != 0:
        python = "/usr/bin/python3"
        require(os.access(python, os.X_OK) and subprocess.run(
            [*AS_NOBODY, python, "-c", "pass"]).returncode == 0,
            "an interpreter the user nobody can run (%s: %s)" % (python, ran.stderr.decode()))
    target = subprocess.Popen([*AS_NOBODY, python, "-c", code], stdout=subprocess.PIPE)
    try:
        assert target.stdout.readline() == b"ready\n"
        res = pyflame_as_nobody(target.pid)
    finally:
        stop_target(target)
    assert res.returncode == 1
    line = error_of(res)
    assert "not permitted to trace process %d" % target.pid in line, line
    assert "CAP_SYS_PTRACE" in line, line
    yama = Path("/proc/sys/kernel/yama/ptrace_scope")
    if yama.exists():
        scope = int(yama.read_text())
        assert scope == 0 or f"kernel.yama.ptrace_scope is {scope}" in line, line
    else:
        assert "yama" not in line.lower(), line


@pytest.mark.parametrize("args, message", [
    (["-t", "true", "-p", "1"], None),  # -p after -t belongs to the command
    (["-p", "1", "-t", "true"], "-t and -p cannot be used together"),
    (["-t"], "-t needs a command"),
    ([], "nothing to profile"),
    (["-s"], "option '-s' needs a value"),
    (["-r"], "option '-r' needs a value"),
    (["-p"], "option '-p' needs a value"),
    (["--abi"], "option '--abi' needs a value"),
    (["-s", "abc", "-p", "1"], "-s needs a number of seconds, got 'abc'"),
    (["-r", "1x", "-p", "1"], "-r needs a number of seconds, got '1x'"),
    (["-s", "-1", "-p", "1"], "-s -1 is out of range"),
    (["-r", "0", "-p", "1"], "-r 0 is out of range"),
    (["-s", "nan", "-p", "1"], "-s needs a number of seconds"),
    (["-s", "1e400", "-p", "1"], "-s needs a number of seconds"),
    (["-p", "abc"], "invalid PID 'abc'"),
    (["-p", "0"], "invalid PID '0'"),
    (["-p", "-1"], "invalid PID '-1'"),
    (["-p", str(2 ** 40)], f"invalid PID '{2 ** 40}'"),
    (["12", "34"], "unexpected argument '34'"),
    (["-p", "12", "34"], "unexpected argument '34'"),
    (["--abi=3.11", "-p", "1"], "invalid --abi '3.11'"),
    (["-p", "1", "-p", "2"], "more than one PID given"),
    (["1234", "-t", "true"], "unexpected argument '1234' before -t"),
    (["-tx", "true"], "in '-tx', -t must be the last letter"),
    (["--threads=1", "-p", "1"], "option '--threads' takes no value"),
    (["-p", " 5"], "invalid PID ' 5'"),
    (["-s", "0x10", "-p", "1"], "-s needs a number of seconds, got '0x10'"),
    (["-d", "-t", "true"], "-d dumps a running process"),
    (["-T", "-f", "folded", "-p", "1"], "-T selects the timestamped format"),
    (["--bogus"], "unknown option '--bogus'"),
    (["--bogus=1", "-p", "1"], "unknown option '--bogus'"),
    (["--thread", "-p", "1"], "unknown option '--thread'; did you mean '--threads'?"),
    (["--exclude-idel", "-p", "1"], "did you mean '--exclude-idle'?"),
    (["-t", "pyflame"], "-t pyflame would profile pyflame itself"),
    (["-t", PYFLAME, "-p", "1"], "would profile pyflame itself"),
    (["-q"], "unknown option '-q'"),
    # Every option that takes a value: missing, empty, swallowing the next
    # option, malformed, negative, zero, tiny, huge, not finite.
    (["-o"], "option '-o' needs a value"),
    (["-f"], "option '-f' needs a value"),
    (["--output=", "-p", "1"], "-o needs a file name"),
    (["-o", "-p", "1"], "-o needs a file name, got the option '-p'"),
    (["-f", "-p", "1"], "-f needs a format name, got the option '-p'"),
    (["--format=", "-p", "1"], "invalid format name ''"),
    (["-f", "../folded", "-p", "1"], "invalid format name '../folded'"),
    (["-f", "folded:", "-p", "1"], "-f 'folded:' gives no options after the ':'"),
    (["-f", ":rows=3", "-p", "1"], "-f ':rows=3' names no format before the ':'"),
    (["--seconds=", "-p", "1"], "-s needs a number of seconds, got ''"),
    (["-s", "inf", "-p", "1"], "-s needs a number of seconds, got 'inf'"),
    (["-s", "1e9", "-p", "1"], "-s 1e9 is out of range"),
    (["--rate=", "-p", "1"], "-r needs a number of seconds, got ''"),
    (["-r", "-1", "-p", "1"], "-r -1 is out of range"),
    (["-r", "1e-12", "-p", "1"], "-r 1e-12 is out of range"),
    (["-r", "1e9", "-p", "1"], "-r 1e9 is out of range"),
    (["-r", "nan", "-p", "1"], "-r needs a number of seconds, got 'nan'"),
    (["-r", "-inf", "-p", "1"], "-r needs a number of seconds, got '-inf'"),
    (["--abi=", "-p", "1"], "invalid --abi ''"),
    (["--abi=0", "-p", "1"], "invalid --abi '0'"),
    (["--abi=-1", "-p", "1"], "invalid --abi '-1'"),
    (["--abi=99999999999999999999", "-p", "1"], "invalid --abi '99999999999999999999'"),
    (["--hz", "0", "-p", "1"], "--hz 0 is out of range"),
    (["--hz", "2e6", "-p", "1"], "--hz 2e6 is out of range"),
    (["--hz", "fast", "-p", "1"], "--hz needs a number of samples per second, got 'fast'"),
    (["-r", "0.01", "--hz", "100", "-p", "1"], "-r and --hz both set the rate"),
    (["--pid="], "invalid PID ''"),
    (["-p", "1.5"], "invalid PID '1.5'"),
    (["-p", "0x10"], "invalid PID '0x10'"),
    (["-p", str(2 ** 31)], f"invalid PID '{2 ** 31}'"),
    (["-p", "9" * 30], f"invalid PID '{'9' * 30}'"),
])
def test_usage_errors(args, message):
    """Usage errors exit 1, as in Uber's Pyflame."""
    res = run_pyflame(args)
    if message is None:
        # "-p 1" went to the command (true), which ignores it: success.
        assert res.returncode == 0, res.stderr.decode()
        return
    assert res.returncode == 1
    assert message in error_of(res)
    assert "Try 'pyflame --help'" in res.stderr.decode()


def test_unsupported_version(tmp_path):
    """A version without its ABI plugin (as when a distribution's package
    for it is not installed): a copy of pyflame whose plugins lack 3.10."""
    unsupported_python = installed_python("3.10")
    if not unsupported_python:
        pytest.skip("no CPython 3.10 among the interpreters found")
    (tmp_path / "plugins").mkdir()
    shutil.copy(PYFLAME, tmp_path / "pyflame")
    for plugin in (Path(PYFLAME).parent / "plugins").glob("*.so"):
        if plugin.name != "pyflame-abi-310.so":
            shutil.copy(plugin, tmp_path / "plugins")
    proc = start_target(unsupported_python, TARGETS / "sleeper.py", 60)
    try:
        res = subprocess.run([str(tmp_path / "pyflame"), "-p", str(proc.pid)],
                             capture_output=True, timeout=30)
    finally:
        stop_target(proc)
    assert res.returncode == 1
    line = error_of(res)
    assert "runs CPython 3.10, which this pyflame cannot read" in line
    assert "supported versions: 2.7, 3.6, 3.7, 3.8, 3.9, 3.11, 3.12, 3.13" in line


def test_forced_abi_that_does_not_match(python_version, sleeper):
    version = "%d%d" % python_version
    other = "312" if version != "312" else "311"
    res = run_pyflame([f"--abi={other}", "-p", str(sleeper.pid)])
    assert res.returncode == 1
    line = error_of(res)
    assert f"--abi={other} does not match" in line
    assert f"runs CPython {version[0]}.{version[1:]}" in line


def test_forced_abi_that_does_not_exist(sleeper):
    res = run_pyflame(["--abi=399", "-p", str(sleeper.pid)])
    assert res.returncode == 1
    assert "no ABI plugin '399' found" in error_of(res)


def test_rate_of_seconds_warns_that_hz_may_be_meant(sleeper):
    res = run_pyflame(["-r", "5", "-s", "0.1", "-p", str(sleeper.pid)])
    assert res.returncode == 0, res.stderr.decode()
    warnings = [l for l in res.stderr.decode().splitlines() if "pyflame: warning:" in l]
    assert len(warnings) == 1 and "for 5 samples per second, write --hz 5" in warnings[0], \
        warnings


def test_legacy_positional_pid_warns_once(python, sleeper):
    res = run_pyflame([str(sleeper.pid), "-s", "0.2"])
    assert res.returncode == 0, res.stderr.decode()
    warnings = [l for l in res.stderr.decode().splitlines() if "deprecated" in l]
    assert len(warnings) == 1, res.stderr.decode()
    # Scripts written for Uber's Pyflame look for its "WARNING: " prefix.
    assert warnings[0].startswith("WARNING: "), warnings
    assert "(idle)" in res.stdout.decode()


def test_zero_seconds_takes_exactly_one_sample(sleeper):
    """pyflame -s 0 PID: Uber's one-shot look, one sample."""
    for args in (["-s", "0", "-p", str(sleeper.pid)], ["-s", "0", str(sleeper.pid)]):
        res = run_pyflame(args)
        assert res.returncode == 0, res.stderr.decode()
        lines = res.stdout.decode().splitlines()
        assert sum(int(l.rsplit(" ", 1)[1]) for l in lines) == 1, lines
    assert tracer_of(sleeper.pid) == 0


def test_seconds_with_trace_warns_that_it_is_ignored(python):
    res = run_pyflame(["-s", "5", "-t", python, "-c", "pass"])
    assert res.returncode == 0, res.stderr.decode()
    warnings = [l for l in res.stderr.decode().splitlines() if "pyflame: warning:" in l]
    assert warnings == ["pyflame: warning: -s is ignored with -t: the command is profiled "
                        "until it exits"], warnings


def test_unknown_format_lists_the_formats(sleeper):
    res = run_pyflame(["-f", "bogus", "-p", str(sleeper.pid)])
    assert res.returncode == 1
    line = error_of(res)
    formats = sorted(p.name[len("pyflame-output-"):-3]
                     for p in (Path(PYFLAME).parent / "plugins").glob("pyflame-output-*.so"))
    assert len(formats) >= 5, formats
    assert "-f takes one of " + ", ".join(formats) in line, line
    assert tracer_of(sleeper.pid) == 0


def test_list_plugins_in_version_order_and_columns():
    res = run_pyflame(["--list-plugins"])
    assert res.returncode == 0, res.stderr.decode()
    lines = res.stdout.decode().splitlines()
    table = lines[lines.index("") + 1:]
    abis = [l.split()[1] for l in table if l.startswith("ABI ")]
    assert len(abis) > 5 and abis == sorted(abis, key=int), abis
    # The paths are one column, the descriptions the next: each begins
    # where the header's does.
    header = table[0]
    for column in ("PATH", "DESCRIPTION"):
        at = header.index(column)
        for row in table[1:]:
            assert row[at - 2:at] == "  " and row[at] != " ", (column, header, row)


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
    assert res.stderr.decode().splitlines() == [f"pyflame: profile written to {files[0]}"]
    assert (tmp_path / files[0]).read_bytes().startswith(b"<?xml ")
    folded = run_pyflame(["-t", python, "-c", "print('hello')"], cwd=tmp_path)
    assert folded.returncode == 0, folded.stderr.decode()
    assert folded.stdout.startswith(b"hello\n") and "written to" not in folded.stderr.decode()
    assert [f.name for f in tmp_path.iterdir()] == files


def test_exclude_idle_that_leaves_nothing_says_so(sleeper):
    """-x on a target idle all along: an empty profile, and a warning that
    counts the samples left out, instead of silence."""
    res = run_pyflame(["-x", "-s", "0", "-p", str(sleeper.pid)])
    assert res.returncode == 0, res.stderr.decode()
    assert res.stdout == b""
    assert res.stderr.decode().splitlines() == [
        "pyflame: warning: -x left out the one sample as idle, taken while no Python code "
        "ran: the profile is empty; leave out -x to see them"]
    # More samples: counted (all of them, however many ticks the run had).
    res = run_pyflame(["-x", "-s", "0.2", "-r", "0.01", "-p", str(sleeper.pid)])
    assert res.returncode == 0, res.stderr.decode()
    assert res.stdout == b""
    assert re.search(r"^pyflame: warning: -x left out (all \d+ samples|the one sample) as idle",
                     res.stderr.decode(), re.M), res.stderr.decode()
    assert tracer_of(sleeper.pid) == 0


def test_trace_leaves_signal_dispositions_alone(python):
    # SigIgn in /proc/self/status: the command ignores what it would
    # ignore when run without pyflame.
    script = "grep SigIgn /proc/self/status"
    plain = subprocess.run(["sh", "-c", script], capture_output=True)
    traced = run_pyflame(["-t", "sh", "-c", script])
    assert traced.returncode == 0
    assert traced.stdout == plain.stdout


@pytest.mark.parametrize("program, status, why", [
    ("/nonexistent/program", 127, "No such file or directory"),
    ("no-such-program-on-path", 127, "No such file or directory"),
    ("", 127, "No such file or directory"),
    ("/etc/passwd", 126, "it is not executable"),
    ("/", 126, "it is a directory"),
    ("/tmp", 126, "it is a directory"),
])
def test_trace_of_a_program_that_cannot_run(program, status, why):
    res = run_pyflame(["-t", program, "arg"])
    assert res.returncode == status, res.stderr.decode()
    assert f"cannot run '{program}': {why}" in error_of(res)


def test_pid_above_the_kernel_limit():
    limit = int(Path("/proc/sys/kernel/pid_max").read_text())
    res = run_pyflame(["-p", str(limit + 1)])
    assert res.returncode == 1
    assert f"no process with PID {limit + 1}" in error_of(res)


def test_pid_1():
    """init: not Python, and often not traceable even by root. Either way a
    single error naming the process and exit 1, and init is left alone."""
    res = run_pyflame(["-p", "1", "-s", "0.1"])
    assert res.returncode == 1, res.stderr.decode()
    line = error_of(res)
    assert "process 1" in line or "PID 1" in line, line
    assert tracer_of(1) == 0


@pytest.mark.parametrize("output, message", [
    ("/", "cannot write to /: Is a directory"),
    ("/nonexistent/dir/out.txt", "cannot write to /nonexistent/dir/out.txt"),
    # Opens, then fails when the profile is written.
    ("/dev/full", "cannot write the profile to /dev/full: No space left on device"),
])
def test_output_that_cannot_be_written(sleeper, output, message):
    res = run_pyflame(["-o", output, "-p", str(sleeper.pid), "-s", "0.1"])
    assert res.returncode == 1, res.stderr.decode()
    assert message in error_of(res)
    assert tracer_of(sleeper.pid) == 0


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


def long_options(text):
    return set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", text))


def test_help_documents_every_option_and_matches_man_page():
    res = run_pyflame(["--help"])
    assert res.returncode == 0
    help_text = res.stdout.decode()
    assert run_pyflame(["-h"]).stdout.decode() == help_text
    # Every option the parser accepts appears in --help...
    source = (SOURCE / "core/src/options.c").read_text()
    accepted = set("--" + o for o in re.findall(r'\{"([a-z-]+)", (?:no|required)_argument', source))
    assert accepted and accepted <= long_options(help_text)
    # ... and in the man page, which names no option that does not exist.
    man = man_page_text()
    man_options = man.split(".SH OPTIONS", 1)[1].split(".SH ", 1)[0]
    assert accepted == long_options(man_options), accepted ^ long_options(man_options)
    shorts = set(re.findall(r'case \'([a-z])\':', source))
    for short in shorts:
        assert f"-{short}," in help_text, short


def man_page_text():
    man = (SOURCE / "docs/pyflame.1").read_text()
    return re.sub(r"\\f[BIRP]", "", man).replace("\\-", "-")


def test_man_page_and_help_name_every_format_and_a_way_to_pictures():
    """Every output plugin built has its line under the man page's FORMATS
    and in --help; -T's documentation points to -f chrome for a picture;
    the flamegraph.pl example works on Debian, where it is not on PATH."""
    formats = [p.name[len("pyflame-output-"):-3]
               for p in (Path(PYFLAME).parent / "plugins").glob("pyflame-output-*.so")]
    assert len(formats) >= 5, formats
    man = man_page_text()
    section = man.split(".SH FORMATS", 1)[1].split(".SH ", 1)[0]
    named = re.findall(r"^\.TP\n\.B (\S+)$", section, re.M)
    assert sorted(named) == sorted(formats), named
    help_text = run_pyflame(["--help"]).stdout.decode()
    for name in formats:
        assert re.search(r"^ +%s +\S" % name, help_text, re.M), name
    for text in (help_text, man.split(".SH OPTIONS", 1)[1].split("--no-line-numbers", 1)[0]):
        t_doc = text.split("--flamechart", 1)[1][:300]
        assert "-f chrome" in t_doc, t_doc
    assert "perl /usr/share/perl5/Devel/NYTProf/flamegraph.pl profile.txt" in man
    assert "libdevel-nytprof-perl" in man
    assert not re.search(r"^ *flamegraph\.pl ", man, re.M)
    # The permissions section covers kernels with and without Yama.
    perms = man.split(".SH PERMISSIONS", 1)[1].split(".SH ", 1)[0]
    assert "/proc/sys/kernel/yama/ptrace_scope" in perms and "without Yama" in perms
    # Usage errors exit 1, and the man page says so.
    assert "1 for a malformed command line" in man


def test_version():
    """Uber's shape, which scripts parse for the ABIs: "pyflame VERSION
    (commit HASH) OS ARCH (ABI list: 27 36 ...)", the plugins found."""
    res = run_pyflame(["--version"])
    assert res.returncode == 0
    assert run_pyflame(["-v"]).stdout == res.stdout
    m = re.fullmatch(r"pyflame \d+\.\d+\.\d+ \(commit ([0-9a-f]{7,40}|unknown)\) "
                     r"\S+ \S+ \(ABI list: ([0-9 ]*)\)\n", res.stdout.decode())
    assert m, res.stdout
    found = sorted((p.name[len("pyflame-abi-"):-3]
                    for p in (Path(PYFLAME).parent / "plugins").glob("pyflame-abi-*.so")),
                   key=int)
    assert m.group(2).split() == found and "27" in found


@pytest.mark.skipif(not SANITIZED, reason="checks the ASan+UBSan build; this run tests the plain one")
def test_the_sanitized_build_carries_both_sanitizers():
    """The sanitized run proves something only if pyflame and every plugin
    it loads were really built with ASan and UBSan."""
    files = [Path(PYFLAME), *sorted((Path(PYFLAME).parent / "plugins").glob("*.so"))]
    assert len(files) > 10, files
    for path in files:
        data = path.read_bytes()
        assert b"__asan_report_load" in data and b"__ubsan_handle_" in data, path


def readme_block(marker):
    """The command between <!-- MARKER --> and <!-- /MARKER --> in README.md."""
    text = (SOURCE / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- %s -->\s*```\n(.*?)\n```\s*<!-- /%s -->" % (marker, marker),
                      text, re.S)
    assert block, marker
    return block.group(1).strip()


def test_readme_demo_draws_the_demo(tmp_path):
    """The README's first command, from where it runs pyflame on: a flame
    graph of the demo, whose every hot spot has its box and whose samples
    are nearly all Python code (the demo never sleeps)."""
    steps = readme_block("demo-command").split(" && ")
    run = [s for s in steps if s.startswith("build/pyflame ")]
    assert len(run) == 1 and steps[-1] == run[0], steps
    argv = run[0].split()[1:]
    argv[argv.index("tests/demo/demo.py")] = str(SOURCE / "tests/demo/demo.py")
    out = tmp_path / argv[argv.index("-o") + 1]
    argv[argv.index("-o") + 1] = str(out)
    res = run_pyflame(argv, timeout=120, cwd=tmp_path)
    assert res.returncode == 0, res.stderr.decode()
    svg = out.read_text(encoding="utf-8")
    assert svg.startswith("<?xml") and svg.rstrip().endswith("</svg>"), svg[:200]
    for func in ("primes_below", "fibonacci", "json_round_trip", "make_records"):
        assert re.search(r"<title>[^<]*demo\.py:%s:\d+ \(" % func, svg), func
    samples = int(re.search(r'data-total="(\d+)"', svg).group(1))
    idle = re.search(r"<title>\(idle\) \(([\d,]+) samples", svg)
    idle = int(idle.group(1).replace(",", "")) if idle else 0
    assert samples >= 50 and idle <= 0.05 * samples, (idle, samples)


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


COMPLETION = SOURCE / "packaging/bash-completion/pyflame"
BASH_COMPLETION = Path("/usr/share/bash-completion/bash_completion")


def complete(line):
    """What bash completes at the end of `line`, with pyflame's completion
    loaded over the bash-completion package, as an interactive shell would."""
    script = f"""
source {BASH_COMPLETION}
source {COMPLETION}
COMP_LINE={shlex.quote(line)}; COMP_POINT=${{#COMP_LINE}}
read -ra COMP_WORDS <<< "$COMP_LINE"
[[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1))
_pyflame pyflame "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    env = dict(os.environ, PATH=f"{Path(PYFLAME).parent}:{os.environ['PATH']}")
    res = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env)
    assert res.returncode == 0, res.stderr
    return set(res.stdout.split())


def test_bash_completion():
    """Options from --help, formats and ABIs from --list-plugins, and after
    -t the command's own completion."""
    require(BASH_COMPLETION.exists(), "bash-completion (the package)")
    assert complete("pyflame --thr") == {"--threads", "--thread-names"}
    assert complete("pyflame -f ") == {"folded", "svg", "chrome", "speedscope", "timestamped"}
    assert complete("pyflame --abi 31") == {"310", "311", "312", "313"}
    assert "--list-plugins" in complete("pyflame --")
    assert complete("pyflame -t pyfl") >= {"pyflame"}  # a command, from PATH
