"""Command-line behaviour: every bad input gets a clear message and a
non-zero exit; trace mode keeps the command's own output and status."""
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import (PYFLAME, SANITIZED, TARGETS, abi_order, error_of, require, run_pyflame,
                      start_target, stop_target, tracer_of, wait_until)
from testlib.interpreters import installed_python

SOURCE = Path(os.environ.get("PYFLAME_SOURCE_DIR", Path(__file__).parents[2]))


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
    (["-s", "-abc", "-p", "1"], "-s needs a number of seconds, got '-abc'"),
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
    (["--tid"], "option '--tid' needs a value"),
    (["--tid", "abc", "-p", "1"], "invalid --tid 'abc'"),
    (["--tid=5,", "-p", "1"], "invalid --tid '5,'"),
    (["--tid", "5", "-t", "true"], "--tid picks threads of a running process"),
    (["--ready-fd", "1", "-p", "1"], "--ready-fd needs a file descriptor of 3 or more"),
    (["-d", "--ready-fd", "3", "-p", "1"], "-d takes one look"),
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
    assert len(abis) > 5 and abis == sorted(abis, key=abi_order), abis
    # The paths are one column, the descriptions the next: each begins
    # where the header's does.
    header = table[0]
    for column in ("PATH", "DESCRIPTION"):
        at = header.index(column)
        for row in table[1:]:
            assert row[at - 2:at] == "  " and row[at] != " ", (column, header, row)


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


@pytest.mark.skipif(not SANITIZED, reason="checks the ASan+UBSan build; this run tests the plain one")
def test_the_sanitized_build_carries_both_sanitizers():
    """The sanitized run proves something only if pyflame and every plugin
    it loads were really built with ASan and UBSan."""
    files = [Path(PYFLAME), *sorted((Path(PYFLAME).parent / "plugins").glob("*.so"))]
    assert len(files) > 10, files
    for path in files:
        data = path.read_bytes()
        assert b"__asan_report_load" in data and b"__ubsan_handle_" in data, path
