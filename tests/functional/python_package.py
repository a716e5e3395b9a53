"""The pure-Python package of packaging/python, built and installed for
the interpreter under test, for the tests of its entry points
(test_python_package.py, test_python_region.py): conftest.py loads
this module as a plugin, so its fixtures need no import.

The package is built into a wheel offline by Debian's pip and setuptools
(/usr/bin/python3), then installed offline with the pip of the
interpreter under test, as docs/python.md says.  CPython 2.7, 3.6 and
3.7 are skipped: the package needs 3.8 or newer."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import require

SOURCE = Path(os.environ.get("PYFLAME_SOURCE_DIR", Path(__file__).parents[2]))
PACKAGE = SOURCE / "packaging" / "python"
DEBIAN_PYTHON = "/usr/bin/python3"
PIP = ["-m", "pip", "--disable-pip-version-check", "--no-cache-dir"]


@pytest.fixture(scope="session")
def package_python(python, python_version):
    """The interpreter under test, if the package supports it."""
    if python_version < (3, 8):
        pytest.skip("the pyflame Python package needs CPython 3.8 or newer; %s is %d.%d"
                    % (python, *python_version))
    return python


def source_copy(dest):
    """The package's source, copied: a build writes into its tree, and
    ctest runs several interpreters' tests at once."""
    shutil.copytree(str(PACKAGE), str(dest),
                    ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    return dest


def run_pip(python, *args, **kwargs):
    res = subprocess.run([str(python), *PIP, *map(str, args)], capture_output=True, text=True,
                         timeout=300, **kwargs)
    assert res.returncode == 0, res.stdout + res.stderr
    return res


@pytest.fixture(scope="session")
def wheel(tmp_path_factory):
    """The package as a wheel, built offline by Debian's python3."""
    require(subprocess.run([DEBIAN_PYTHON, "-c", "import setuptools, wheel, pip"],
                           capture_output=True).returncode == 0,
            "Debian's python3 with pip, setuptools and wheel (python3-pip, "
            "python3-setuptools, python3-wheel)")
    tmp = tmp_path_factory.mktemp("wheel")
    run_pip(DEBIAN_PYTHON, "wheel", "--no-build-isolation", "--no-index", "--no-deps",
            "-w", tmp / "dist", source_copy(tmp / "src"))
    wheels = list((tmp / "dist").glob("*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="session")
def pip_python(package_python):
    """The interpreter under test, if it has pip to install the wheel."""
    if subprocess.run([package_python, "-m", "pip", "--version"],
                      capture_output=True).returncode != 0:
        pytest.skip("%s has no pip to install the wheel with" % package_python)
    return package_python


@pytest.fixture(scope="session")
def site(pip_python, wheel, tmp_path_factory):
    """A directory for PYTHONPATH where the interpreter's own pip
    installed the wheel, offline."""
    site = tmp_path_factory.mktemp("site")
    run_pip(pip_python, "install", "--no-index", "--no-deps", "--target", site, wheel)
    assert (site / "pyflame" / "__main__.py").exists()
    return site


