"""The interpreters the tests and the benchmark profile: for each supported
version, the newest installation under the interpreter root (pyenv's
layout: ROOT/3.12.1/bin/python3.12) and the system's /usr/bin/python3.12.

tests/CMakeLists.txt finds them and ctest tells the tests, in their
environment: PYFLAME_TEST_PYTHONS (joined by ":") and PYFLAME_PYTHON_ROOT.
Run by hand without them, a script finds them here the same way, under
PYFLAME_PYTHON_ROOT or its default."""
import glob
import os
import re
from pathlib import Path

# As PYFLAME_PYTHON_ROOT's default in tests/CMakeLists.txt.
DEFAULT_PYTHON_ROOT = "/root/.pyenv/versions"
# One layout table, and ABI plugin, per supported version: py312.c is 3.12.
LAYOUTS = Path(__file__).resolve().parents[2] / "abi-plugins" / "layouts"


def python_root():
    """The directory holding one CPython installation per version."""
    return os.environ.get("PYFLAME_PYTHON_ROOT") or DEFAULT_PYTHON_ROOT


def supported_versions():
    """"2.7", "3.6" ... "3.13", oldest first."""
    abis = sorted((int(p.stem[2:]) for p in LAYOUTS.glob("py*.c")))
    return ["%s.%s" % (str(abi)[0], str(abi)[1:]) for abi in abis]


def _natural_key(path):
    """3.10.13 after 3.10.9, as CMake's NATURAL sort."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path)]


def discover_pythons(root):
    """As tests/CMakeLists.txt finds them: for each supported version, the
    newest under `root`, then the system's own build."""
    found = []
    for version in supported_versions():
        under_root = glob.glob(os.path.join(glob.escape(root), version + ".*", "bin",
                                            "python" + version))
        if under_root:
            found.append(max(under_root, key=_natural_key))
        system = "/usr/bin/python" + version
        if os.path.exists(system):
            found.append(system)
    return found


def found_pythons():
    """Every interpreter to profile: those ctest found, else those found
    under python_root()."""
    if "PYFLAME_TEST_PYTHONS" in os.environ:
        return [p for p in os.environ["PYFLAME_TEST_PYTHONS"].split(":") if p]
    return discover_pythons(python_root())


def missing_versions(pythons):
    """The supported versions that none of `pythons` (paths ending in
    pythonX.Y) is."""
    have = {re.sub(r"^.*python(\d+\.\d+)$", r"\1", p) for p in pythons}
    return [v for v in supported_versions() if v not in have]


def is_system_build(python):
    """The system's own interpreter (Debian's is static and stripped), not
    one in an installation directory of its own."""
    return python.startswith("/usr/")


def installed_python(version):
    """The interpreter of `version` ("3.12") found in an installation
    directory of its own, or None."""
    return next((p for p in found_pythons()
                 if p.endswith("/bin/python" + version) and not is_system_build(p)), None)
