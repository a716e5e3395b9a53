"""The native pyflame's output formats as this package names files of
them, and tells them from a file's name."""
import os

DEFAULT = "svg"
# The file name extension of a format's profile, where it is not the
# format's name (as the native pyflame names its pyflame-PID.EXT files).
EXTENSIONS = {"chrome": "cpuprofile", "speedscope": "speedscope.json"}
# Formats that place each sample in time: read back (pyflame --input),
# they need a profile recorded with every sample's time (timestamped).
# Any other format shows totals, which a folded recording holds.
TOTALS = ("folded", "svg")


def extension(fmt):
    """The extension of a file of format NAME[:OPTIONS], without a dot."""
    plugin = fmt.split(":", 1)[0]
    return EXTENSIONS.get(plugin, plugin)


def of_path(path):
    """The format a file's name asks for: by its extension (.svg, .txt
    and .folded folded, .cpuprofile chrome, .speedscope.json and .json
    speedscope); svg for any other."""
    name = os.path.basename(str(path)).lower()
    for fmt, ext in EXTENSIONS.items():
        if name.endswith("." + ext):
            return fmt
    root, ext = os.path.splitext(name)
    return {".svg": "svg", ".txt": "folded", ".folded": "folded",
            ".json": "speedscope"}.get(ext, DEFAULT)


def needs_times(fmt):
    return fmt.split(":", 1)[0] not in TOTALS
