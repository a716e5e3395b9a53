"""Command-line behaviour: every bad input gets a clear message and a
non-zero exit; trace mode keeps the command's own output and status."""
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import (PYFLAME, SANITIZED, TARGETS, error_of, run_pyflame, start_target,
                      stop_target, tracer_of)

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


def test_not_a_python_process():
    proc = subprocess.Popen(["sleep", "30"])
    try:
        res = run_pyflame(["-p", str(proc.pid)])
    finally:
        proc.kill()
        proc.wait()
    assert res.returncode == 1
    assert "is not a Python process" in error_of(res)


def test_ptrace_not_permitted(sleeper):
    if os.geteuid() != 0:
        pytest.skip("needs root to run pyflame as another user")
    # A copy that the unprivileged user can execute, with its plugins.
    tmp = Path(tempfile.mkdtemp())
    try:
        tmp.chmod(0o755)
        shutil.copy(PYFLAME, tmp / "pyflame")
        shutil.copytree(Path(PYFLAME).parent / "plugins", tmp / "plugins")
        res = subprocess.run(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
             str(tmp / "pyflame"), "-p", str(sleeper.pid)],
            capture_output=True, timeout=30)
    finally:
        shutil.rmtree(tmp)
    assert res.returncode == 1
    line = error_of(res)
    assert "not permitted" in line
    assert "kernel.yama.ptrace_scope" in line and "CAP_SYS_PTRACE" in line


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
    (["-s", "0", "-p", "1"], "-s 0 is out of range"),
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
    (["--seconds=", "-p", "1"], "-s needs a number of seconds, got ''"),
    (["-s", "inf", "-p", "1"], "-s needs a number of seconds, got 'inf'"),
    (["-s", "1e9", "-p", "1"], "-s 1e9 is out of range"),
    (["-s", "1e-9", "-p", "1"], "-s 1e-9 is out of range"),
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
    res = run_pyflame(args)
    if message is None:
        # "-p 1" went to the command (true), which ignores it: success.
        assert res.returncode == 0, res.stderr.decode()
        return
    assert res.returncode == 2
    assert message in error_of(res)
    assert "Try 'pyflame --help'" in res.stderr.decode()


UNSUPPORTED_PYTHON = "/root/.pyenv/versions/3.10.13/bin/python3.10"


def test_unsupported_version(tmp_path):
    """A version without its ABI plugin (as when a distribution's package
    for it is not installed): a copy of pyflame whose plugins lack 3.10."""
    if not os.access(UNSUPPORTED_PYTHON, os.X_OK):
        pytest.skip(f"{UNSUPPORTED_PYTHON} is not installed")
    (tmp_path / "plugins").mkdir()
    shutil.copy(PYFLAME, tmp_path / "pyflame")
    for plugin in (Path(PYFLAME).parent / "plugins").glob("*.so"):
        if plugin.name != "pyflame-abi-310.so":
            shutil.copy(plugin, tmp_path / "plugins")
    proc = start_target(UNSUPPORTED_PYTHON, TARGETS / "sleeper.py", 60)
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
    assert "(idle)" in res.stdout.decode()


def test_trace_keeps_command_output_and_status(python, tmp_path):
    out = tmp_path / "profile.txt"
    res = run_pyflame(["-o", str(out), "-t", python, "-c",
                       "import sys; print('to stdout'); print('to stderr', file=sys.stderr);"
                       " sys.exit(3)"])
    assert res.returncode == 3
    assert res.stdout == b"to stdout\n"
    assert res.stderr == b"to stderr\n"
    assert out.exists()


def test_trace_leaves_signal_dispositions_alone(python):
    # SigIgn in /proc/self/status: the command ignores what it would
    # ignore when run without pyflame.
    script = "grep SigIgn /proc/self/status"
    plain = subprocess.run(["sh", "-c", script], capture_output=True)
    traced = run_pyflame(["-t", "sh", "-c", script])
    assert traced.returncode == 0
    assert traced.stdout == plain.stdout


@pytest.mark.parametrize("program, status", [
    ("/nonexistent/program", 127),
    ("no-such-program-on-path", 127),
    ("", 127),
    ("/etc/passwd", 126),  # not executable
    ("/", 126),  # a directory
])
def test_trace_of_a_program_that_cannot_run(program, status):
    res = run_pyflame(["-t", program, "arg"])
    assert res.returncode == status, res.stderr.decode()
    assert f"cannot run '{program}'" in error_of(res)


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
    man = (SOURCE / "docs/pyflame.1").read_text()
    man = re.sub(r"\\f[BIRP]", "", man).replace("\\-", "-")
    man_options = man.split(".SH OPTIONS", 1)[1].split(".SH ", 1)[0]
    assert accepted == long_options(man_options), accepted ^ long_options(man_options)
    shorts = set(re.findall(r'case \'([a-z])\':', source))
    for short in shorts:
        assert f"-{short}," in help_text, short


def test_version():
    res = run_pyflame(["--version"])
    assert res.returncode == 0
    assert re.fullmatch(r"pyflame \d+\.\d+\.\d+ \(plugin API \d+\)\n", res.stdout.decode())


@pytest.mark.skipif(not SANITIZED, reason="checks the ASan+UBSan build; this run tests the plain one")
def test_the_sanitized_build_carries_both_sanitizers():
    """The sanitized run proves something only if pyflame and every plugin
    it loads were really built with ASan and UBSan."""
    files = [Path(PYFLAME), *sorted((Path(PYFLAME).parent / "plugins").glob("*.so"))]
    assert len(files) > 10, files
    for path in files:
        data = path.read_bytes()
        assert b"__asan_report_load" in data and b"__ubsan_handle_" in data, path
