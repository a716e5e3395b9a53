"""IPython's %%pyflame and %pyflame: `%load_ext pyflame`, then

    %%pyflame [-s SECS | --hz N] [--threads] [-o FILE]
    ...the cell...

    %pyflame [options] statement

run the cell (or the statement) under pyflame.profile() and show its
flame graph, the interactive SVG, as the cell's output.  Stacks begin at
the cell's own code: IPython's frames above it are left out.  Settings,
for ipython_config.py (c.PyFlameMagic.NAME = ...), as the earlier pure-
Python pyflame named them where they still apply:
default_sample_interval and threads."""
import sys

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from traitlets import Bool, Float

from ._region import profile

# The file name the cell is compiled under: its frames start each stack.
CELL_FILE = "<pyflame cell>"


@magics_class
class PyFlameMagic(Magics):
    default_sample_interval = Float(
        0.001, help="Time between samples, in seconds, when the magic's line gives "
        "neither -s nor --hz.").tag(config=True)
    threads = Bool(
        False, help="Sample every thread of the kernel's process, not only the one "
        "that runs the cell.").tag(config=True)

    @line_cell_magic
    def pyflame(self, line, cell=None):
        """Profile a cell or a statement with pyflame and show its flame graph.

            %%pyflame [-s SECS | --hz N] [--threads] [-o FILE]
            %pyflame [-s SECS | --hz N] [--threads] [-o FILE] statement

        -s SECS    time between samples, in seconds (default:
                   c.PyFlameMagic.default_sample_interval, 0.001)
        --hz N     samples per second instead
        --threads  sample every thread, not only the one that runs the cell
        -o FILE    save the profile to FILE too, in the format its name asks
                   for (.svg, .txt, .cpuprofile, ...)
        """
        opts, statement = self.parse_options(line, "s:o:", "hz=", "threads", posix=False)
        if cell is None:
            source, label = statement, "%pyflame statement"
        else:
            source, label = cell, "%%pyflame cell"
            if statement.strip():
                raise UsageError("%%%%pyflame profiles its cell: '%s' is no option of it"
                                 % statement.strip())
        interval = _number(opts, "s", self.default_sample_interval)
        hz = _number(opts, "hz", 1.0 / interval)
        threads = self.threads or "threads" in opts
        code = compile(self.shell.transform_cell(source), CELL_FILE, "exec")
        raised = None
        with profile(output=opts.get("o"), hz=hz, threads=threads, label=label,
                     _root_file=CELL_FILE) as p:
            try:
                exec(code, self.shell.user_ns)
            except Exception:
                raised = sys.exc_info()
        if raised:  # the cell's error is shown, and so is what ran until then
            self.shell.showtraceback(raised)
        return p


def _number(opts, name, default):
    if name not in opts:
        return default
    try:
        value = float(opts[name])
    except ValueError:
        value = 0.0
    if not value > 0:
        raise UsageError("-%s%s needs a positive number, not %r"
                         % ("-" if len(name) > 1 else "", name, opts[name]))
    return value


def load(ipython):
    ipython.register_magics(PyFlameMagic)
