"""pyflame from inside Python.

pyflame is a sampling profiler for CPython: a native program that reads
a Python process's stacks from outside with ptrace.  This package runs
it for Python users: ``python -m pyflame script.py`` profiles a script
(pyflame/__main__.py).  The native binary is installed apart; see
pyflame._native for how it is found.
"""

__version__ = "0.1.0"
