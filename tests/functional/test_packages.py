"""The Debian packages, as the README's packaging command builds them: a
Release build with Debian's hardening flags and warnings as errors, then
CPack.  lintian finds no error in them; unpacked into a fresh root, the
binary finds its own plugins with no environment set and profiles every
interpreter found, and so does python3-pyflame's python -m pyflame;
without one pyflame-abi-XY, profiling that version names the package to
install."""
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import TARGETS, Profile, require
from testlib.interpreters import found_pythons

SOURCE = Path(os.environ.get("PYFLAME_SOURCE_DIR", Path(__file__).parents[2]))
# One package per layout table of the source tree.
ABIS = sorted(p.stem[2:] for p in (SOURCE / "abi-plugins/layouts").glob("py*.c"))
PYTHONS = found_pythons()
PLUGIN_DIR = "usr/lib/x86_64-linux-gnu/pyflame"


def hardening_env():
    """The compiler and linker flags of a Debian package build, every
    hardening feature on (_FORTIFY_SOURCE, -fstack-protector-strong, relro,
    bindnow, PIE...)."""
    env = dict(os.environ, DEB_BUILD_MAINT_OPTIONS="hardening=+all")
    for var in ["CFLAGS", "CPPFLAGS", "LDFLAGS"]:
        env[var] = subprocess.run(["dpkg-buildflags", "--get", var], env=env, check=True,
                                  capture_output=True, text=True).stdout.strip()
    env["CFLAGS"] += " " + env.pop("CPPFLAGS")
    return env


@pytest.fixture(scope="module")
def debs(tmp_path_factory):
    """The .deb files of a fresh packaging build, by package name."""
    for tool in ["dpkg-buildflags", "dpkg-shlibdeps", "dpkg-deb", "lintian", "cpack"]:
        require(shutil.which(tool), f"{tool} (packages dpkg-dev, lintian, cmake)")
    build = tmp_path_factory.mktemp("release")
    env = hardening_env()
    assert "-D_FORTIFY_SOURCE=" in env["CFLAGS"] and "-fstack-protector-strong" in env["CFLAGS"]
    subprocess.run(["cmake", "--preset", "release", "-S", str(SOURCE), "-B", str(build),
                    "-DPYFLAME_WERROR=ON"], env=env, check=True, capture_output=True)
    subprocess.run(["cmake", "--build", str(build), "-j2"], env=env, check=True,
                   capture_output=True)
    res = subprocess.run(["cpack"], cwd=build, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    return {p.name.split("_")[0]: p for p in build.glob("*.deb")}


def control(deb, field):
    return subprocess.run(["dpkg-deb", "--field", str(deb), field], check=True,
                          capture_output=True, text=True).stdout.strip()


def contents(deb):
    """dpkg-deb's listing of the files in a package."""
    return subprocess.run(["dpkg-deb", "-c", str(deb)], check=True, capture_output=True,
                          text=True).stdout


def unpack(debs, root, leave_out=()):
    root.mkdir()
    for name, deb in debs.items():
        if name not in leave_out:
            subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    return root


def test_one_package_per_abi_and_what_each_holds(debs):
    assert set(debs) == {"pyflame", "pyflame-dev", "python3-pyflame"} | \
        {f"pyflame-abi-{a}" for a in ABIS}
    version = control(debs["pyflame"], "Version")
    recommends = {r.strip() for r in control(debs["pyflame"], "Recommends").split(",")}
    assert recommends == {f"pyflame-abi-{a}" for a in ABIS}
    assert "libelf1" in control(debs["pyflame"], "Depends")  # from dpkg-shlibdeps
    for abi in ABIS:
        depends = control(debs[f"pyflame-abi-{abi}"], "Depends")
        assert f"pyflame (= {version})" in depends, depends
    listing = contents(debs["pyflame-abi-312"])
    plugin = next(l for l in listing.splitlines() if l.endswith("/pyflame-abi-312.so"))
    assert plugin.startswith("-rw-r--r-- root/root"), plugin  # loaded, never run
    main = contents(debs["pyflame"])
    for path in ["usr/bin/pyflame", "usr/share/man/man1/pyflame.1.gz",
                 "usr/share/bash-completion/completions/pyflame",
                 f"{PLUGIN_DIR}/pyflame-output-folded.so"]:
        assert "./" + path in main, path
    dev = contents(debs["pyflame-dev"])
    for path in ["usr/include/pyflame/output.h", "usr/lib/x86_64-linux-gnu/pkgconfig/pyflame.pc",
                 "usr/include/pyflame/abi-sdk/abi_entry.h",
                 "usr/lib/x86_64-linux-gnu/libpyflame-abi.a",
                 "usr/lib/x86_64-linux-gnu/pkgconfig/pyflame-abi.pc",
                 "usr/share/doc/pyflame-dev/plugins.md",
                 "usr/share/doc/pyflame-dev/examples/top.c"]:
        assert "./" + path in dev, path
    assert control(debs["python3-pyflame"], "Architecture") == "all"
    assert f"pyflame (>= {version})" in control(debs["python3-pyflame"], "Depends")
    python = contents(debs["python3-pyflame"])
    modules = sorted(p.name for p in (SOURCE / "packaging/python/pyflame").glob("*.py"))
    assert {"__init__.py", "__main__.py", "_region.py"} <= set(modules), modules
    for name in modules:
        assert f"./usr/lib/python3/dist-packages/pyflame/{name}\n" in python, name
    assert "__pycache__" not in python


def test_lintian_finds_no_error(debs):
    res = subprocess.run(["lintian", "--tag-display-limit", "0", *map(str, debs.values())],
                         capture_output=True, text=True)
    errors = [l for l in res.stdout.splitlines() if l.startswith("E: ")]
    assert not errors, res.stdout
    # The warnings that stay are listed, with why, in docs/packaging.md.
    documented = (SOURCE / "docs/packaging.md").read_text()
    for tag in {l.split()[2] for l in res.stdout.splitlines() if l.startswith("W: ")}:
        assert f"`{tag}`" in documented, tag


def test_binaries_are_stripped_and_hardened(debs, tmp_path):
    root = unpack(debs, tmp_path / "root")
    for path in [root / "usr/bin/pyflame", *sorted((root / PLUGIN_DIR).glob("*.so"))]:
        sections = subprocess.run(["readelf", "-S", "-W", str(path)], check=True,
                                  capture_output=True, text=True).stdout
        assert ".symtab" not in sections, path  # stripped
        dynamic = subprocess.run(["readelf", "-d", "-W", str(path)], check=True,
                                 capture_output=True, text=True).stdout
        assert re.search(r"\bBIND_NOW\b|Flags:.*\bNOW\b", dynamic), path  # full relro


def test_unpacked_binary_profiles_every_interpreter(debs, tmp_path):
    """No PYFLAME_PLUGIN_PATH: the binary finds the plugins unpacked beside
    it (../lib/x86_64-linux-gnu/pyflame)."""
    require(PYTHONS, "an interpreter to profile (PYFLAME_TEST_PYTHONS, set by ctest)")
    root = unpack(debs, tmp_path / "root")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYFLAME")}
    listing = subprocess.run([str(root / "usr/bin/pyflame"), "--list-plugins"], env=env,
                             check=True, capture_output=True, text=True).stdout
    assert str(root / PLUGIN_DIR) in listing
    for python in PYTHONS:
        res = subprocess.run([str(root / "usr/bin/pyflame"), "-t", python,
                              str(TARGETS / "exact_line.py"), "0.5"], env=env,
                             capture_output=True, timeout=60)
        assert res.returncode == 0, (python, res.stderr.decode())
        lines = [l for l in res.stdout.decode().splitlines() if l != "ready"]  # the target's
        prof = Profile("\n".join(lines) + "\n")
        assert prof.with_function("hot_leaf"), (python, prof.text)


def test_python_package_runs_the_unpacked_pyflame(debs, tmp_path):
    """python3-pyflame's python -m pyflame, as installed: Debian's python3
    finds the package in dist-packages (here PYTHONPATH, the root being
    elsewhere), and the pyflame binary on PATH."""
    root = unpack(debs, tmp_path / "root")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYFLAME")}
    env.update(PATH=str(root / "usr/bin"), PYTHONPATH=str(root / "usr/lib/python3/dist-packages"))
    res = subprocess.run(["/usr/bin/python3", "-m", "pyflame", "-f", "folded", "-o", "out.txt",
                          str(TARGETS / "exact_line.py"), "0.5"], cwd=str(tmp_path), env=env,
                         capture_output=True, timeout=60)
    assert res.returncode == 0, res.stderr.decode()
    assert res.stdout == b"ready\n"
    assert Profile((tmp_path / "out.txt").read_text()).with_function("hot_leaf")


def test_missing_abi_package_is_named(debs, tmp_path):
    python = next((p for p in PYTHONS if p.endswith("python3.12")), None)
    require(python, "CPython 3.12 among the interpreters found")
    root = unpack(debs, tmp_path / "root", leave_out={"pyflame-abi-312"})
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYFLAME")}
    res = subprocess.run([str(root / "usr/bin/pyflame"), "-t", python, "-c", "pass"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 1
    assert "runs CPython 3.12, which this pyflame cannot read; install the package " \
        "pyflame-abi-312, which reads it" in res.stderr, res.stderr
