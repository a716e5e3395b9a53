"""What the plugin tests share: the build's plugins, the installed SDK, and
plugins built or copied for a test."""
import os
import re
import shutil
import subprocess
from pathlib import Path

BUILD = Path(os.environ.get("PYFLAME_BUILD_DIR", Path(os.environ.get("PYFLAME", "")).parent))
SOURCE = Path(os.environ.get("PYFLAME_SOURCE_DIR", Path(__file__).parents[2]))
EXAMPLES = SOURCE / "docs/examples"
EXAMPLE = EXAMPLES / "stackcount.c"
API_VERSION = int(re.search(r"#define PYFLAME_API_VERSION (\d+)",
                            (SOURCE / "core/include/pyflame/pyflame.h").read_text()).group(1))



def installed_flags(installed, *args):
    """What pkg-config says (args: options, then the package) of the tree
    `installed`, and nothing else: the SDK as a third party builds with it."""
    env = dict(os.environ, PKG_CONFIG_PATH=str(installed / "lib/pkgconfig"))
    return subprocess.run(["pkg-config", *args], env=env, check=True, capture_output=True,
                          text=True).stdout.split()


def build_plugin(installed, out_dir, *defines):
    cflags = installed_flags(installed, "--cflags", "pyflame")
    assert any(str(installed) in f for f in cflags), cflags
    out_dir.mkdir(exist_ok=True)
    target = out_dir / "pyflame-output-stackcount.so"
    source = installed / "share/doc/pyflame-dev/examples" / EXAMPLE.name  # as installed
    subprocess.run(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC",
                    *cflags, *defines, str(source), "-o", str(target)], check=True)
    return out_dir

def copy_plugin(src, directory, name):
    """Copies plugin file src into directory as pyflame-output-NAME.so,
    mode 0755 (a plugin writable by others is refused)."""
    directory.mkdir(exist_ok=True)
    directory.chmod(0o755)
    dst = directory / f"pyflame-output-{name}.so"
    shutil.copy(src, dst)
    dst.chmod(0o755)
    return dst


