"""pyflame from inside Python.

pyflame is a sampling profiler for CPython: a native program that reads
a Python process's stacks from outside with ptrace.  This package runs
it for Python users: ``python -m pyflame script.py`` profiles a script
(pyflame/__main__.py), and ``pyflame.profile()`` a block or a function
of a running program (pyflame/_region.py), and ``%load_ext pyflame`` gives
IPython the ``%%pyflame`` magic (pyflame/_ipython.py).  The native binary is
installed apart; see pyflame._native for how it is found.
"""

__version__ = "0.1.0"

from ._region import Profile, ProfileError, profile  # noqa: E402
from ._ptrace_permission import Refused  # noqa: E402

__all__ = ["profile", "Profile", "ProfileError", "Refused"]


def load_ipython_extension(ipython):
    """`%load_ext pyflame`: the %%pyflame and %pyflame magics
    (pyflame/_ipython.py)."""
    from ._ipython import load
    load(ipython)
