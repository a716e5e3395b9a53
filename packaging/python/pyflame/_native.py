"""The native pyflame binary: where it is, for every entry point of this
package.  The environment variable PYFLAME names it; without it, the
first pyflame on PATH."""
import os
import shutil

ENV = "PYFLAME"

HOW_TO_GET_IT = ("install the Debian package pyflame (apt-get install pyflame), or build "
                 "pyflame from its source tree and set PYFLAME=/path/to/build/pyflame")


class NotFound(Exception):
    """There is no native pyflame to run; the message says what to do."""


def find():
    """The path of the native pyflame binary, or NotFound."""
    path = os.environ.get(ENV)
    if path:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return os.path.abspath(path)
        raise NotFound("%s=%s is not an executable file: point it at the pyflame binary, "
                       "or unset it to use pyflame from PATH" % (ENV, path))
    found = shutil.which("pyflame")
    if found:
        return found
    raise NotFound("the native pyflame profiler is not on PATH: " + HOW_TO_GET_IT)
