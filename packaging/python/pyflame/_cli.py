"""python -m pyflame: runs a Python program under the native pyflame
(`pyflame -t`), with the interpreter that runs this module, and writes
its profile to a file: an SVG flame graph unless -f says otherwise.

The program keeps its standard input, output and error; this module
exits with its exit status.  Its own errors are one line on standard
error, and exit status 1, as the native pyflame's usage errors."""
import argparse
import math
import os
import signal
import subprocess
import sys

from . import _formats, _native

PROG = "python -m pyflame"
USAGE = ("%(prog)s [options] [--] script.py [args ...]\n"
         "       %(prog)s [options] -m module [args ...]")
DESCRIPTION = """\
Run a Python program under pyflame, the sampling profiler for CPython,
and write a flame graph of the whole run.  The program runs with the
interpreter that runs this command:
  %s
Its standard input, output and error stay its own, and this command exits
with its exit status.""" % (sys.executable or "python")
EPILOG = """\
A run ends with one line on standard error saying where the profile was
written, unless -o - sent it to standard output.

The native pyflame program does the profiling: PYFLAME names it, else
the first pyflame on PATH.  It needs permission to trace the program: as
the program is its child, an ordinary user has it while the kernel's
kernel.yama.ptrace_scope is 0 or 1; 2 asks for root or CAP_SYS_PTRACE
(in a container: --cap-add SYS_PTRACE), 3 forbids it.

Interpreter options (-X, -O, ...) are not passed on to the program;
PYTHON* environment variables are.

Exit status: the program's (128 plus the signal number if a signal ended
it); 1 when this command line is wrong or pyflame cannot be found; the
native pyflame's own when it fails (see man pyflame)."""

# The options that take a value: split_command() passes over the value,
# which may look like the program's name.
OUTPUT = ("-o", "--output")
FORMAT = ("-f", "--format")
INTERVAL = ("-s", "--sample-interval")
HZ = ("--hz",)
TAKE_A_VALUE = OUTPUT + FORMAT + INTERVAL + HZ

DEFAULT_FORMAT = _formats.DEFAULT


class Error(Exception):
    """Stops this command before the program runs; the message is the
    one line told."""


class UsageError(Error):
    def __str__(self):
        return "%s; see %s --help" % (self.args[0], PROG)


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def _positive(text):
    """A positive number, kept as written for the native pyflame."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a number" % text)
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError("%r is not a positive number" % text)
    return text


def parser():
    p = _Parser(prog=PROG, usage=USAGE, description=DESCRIPTION, epilog=EPILOG,
                formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False)
    p.add_argument(*OUTPUT, metavar="FILE",
                   help="where the profile goes (default: the script's file name with the "
                        "format's extension added, in the current directory: script.py.svg; "
                        "with -m, module.svg); '-' for standard output, which the program "
                        "shares")
    p.add_argument(*FORMAT, metavar="NAME[:OPTIONS]", default=DEFAULT_FORMAT,
                   help="the profile's format, one of the native pyflame's output plugins: "
                        "svg (the default: an interactive flame graph, no other tool needed), "
                        "folded, chrome (extension .cpuprofile), speedscope "
                        "(.speedscope.json), timestamped, or a plugin's (see pyflame "
                        "--list-plugins)")
    rate = p.add_mutually_exclusive_group()
    rate.add_argument(*INTERVAL, metavar="SECS", type=_positive,
                      help="time between samples, in seconds (default 0.001); pyflame's -r")
    rate.add_argument(*HZ, metavar="N", type=_positive,
                      help="samples per second instead: --hz 1000 is -s 0.001")
    p.add_argument("--threads", action="store_true",
                   help="sample every thread, not only one: each thread running shows its "
                        "stack, the others count as idle")
    # For --help alone: split_command() ends the options at -m.
    p.add_argument("-m", metavar="MODULE", dest="module",
                   help="run library module MODULE as a script, as python -m does; the last "
                        "option: what follows is the program's")
    return p


def split_command(argv):
    """argv as (this command's options, the program's arguments): the
    options end at the script, at -m, or after --."""
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            return argv[:i], argv[i + 1:]
        if not arg.startswith("-") or (arg.startswith("-m") and not arg.startswith("--")):
            return argv[:i], argv[i:]
        i += 2 if arg in TAKE_A_VALUE else 1
    return argv, []


def program(args):
    """(the program's name, for the profile's default file name; the
    interpreter's arguments that run it)."""
    if not args:
        raise UsageError("no program to run: give script.py [args ...] or -m module [args ...]")
    first = args[0]
    if first.startswith("-m"):
        if first == "-m":
            module, rest = (args[1] if len(args) > 1 else ""), args[2:]
        else:
            module, rest = first[2:], args[1:]
        if not module:
            raise UsageError("-m needs the name of a module")
        return module, ["-m", module] + rest
    script = first
    try:
        os.stat(script)
    except OSError as e:
        raise Error("cannot open %s: %s" % (script, e.strerror))
    return os.path.basename(os.path.normpath(script)), args


def native_command(options, name, python_args):
    """(the native pyflame's command line, the file the profile goes to)."""
    if not sys.executable:
        raise Error("cannot tell which interpreter this is: sys.executable is empty")
    output = options.output
    if output is None:
        output = "%s.%s" % (name, _formats.extension(options.format))
    cmd = [_native.find(), "-f", options.format, "-o", output]
    if options.sample_interval:
        cmd += ["-r", options.sample_interval]
    if options.hz:
        cmd += ["--hz", options.hz]
    if options.threads:
        cmd.append("--threads")
    return cmd + ["-t", sys.executable] + python_args, output


def file_state(path):
    """What changes when a file is written, or None if there is none."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def run(cmd):
    """Runs the native pyflame and returns its exit status, 128 plus the
    signal's number if a signal ended it.  Ctrl-C reaches pyflame and the
    program from the terminal: pyflame stops sampling, writes what it has
    and leaves the program to end by itself, and this process waits for
    pyflame rather than end at once."""
    interrupt = signal.signal(signal.SIGINT, lambda signum, frame: None)
    try:
        status = subprocess.call(cmd)
    except OSError as e:
        raise Error("cannot run %s: %s" % (cmd[0], e.strerror))
    finally:
        signal.signal(signal.SIGINT, interrupt)
    return 128 - status if status < 0 else status


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    ours, theirs = split_command(argv)
    try:
        options = parser().parse_args(ours)
        name, python_args = program(theirs)
        cmd, output = native_command(options, name, python_args)
        before = file_state(output)
        status = run(cmd)
    except (Error, _native.NotFound) as e:
        sys.stderr.write("pyflame: error: %s\n" % e)
        return 1
    # On a terminal the native pyflame ends with a line of its own that
    # says where the profile went; elsewhere it says nothing of a file
    # it was given.
    if output != "-" and not os.isatty(2):
        after = file_state(output)
        if after is not None and after != before:
            sys.stderr.write("pyflame: profile written to %s\n" % output)
    return status
