"""Runs bench.py --quick (over the interpreters given with --python, else
every one found: bench.default_pythons()) and checks its table: one row per interpreter, every
figure a number, samples kept between 0 and 100%.  Exits non-zero if not."""
import itertools
import re
import subprocess
import sys
from pathlib import Path

import bench

res = subprocess.run([sys.executable, str(Path(__file__).with_name("bench.py")), "--quick",
                      *sys.argv[1:]], capture_output=True, text=True, timeout=840)
print(res.stdout)
print(res.stderr, file=sys.stderr)
if res.returncode != 0:
    sys.exit("bench.py failed with status %d" % res.returncode)
lines = res.stdout.splitlines()
header = next(i for i, l in enumerate(lines) if l.startswith("python "))
rows = list(itertools.takewhile(str.strip, lines[header + 1:]))
asked = [sys.argv[i + 1] for i, a in enumerate(sys.argv[:-1]) if a == "--python"]
installed = [p for p in asked or bench.default_pythons() if Path(p).exists()]
assert len(rows) == len(installed), (rows, installed)
NUMBER = r"-?\d+(\.\d+)?"
for line in rows:
    cells = re.split(r"\s{2,}", line.strip())
    assert len(cells) == len(bench.COLUMNS), cells
    row = dict(zip(bench.COLUMNS, cells))
    assert row["python"] in installed, row
    for name, value in row.items():
        if name == "python":
            continue
        assert re.fullmatch(NUMBER + r"( us|%)?", value), (name, value)
    for name in ("kept@1k", "kept@10k", "50thr kept"):
        assert 0 < float(row[name].rstrip("%")) <= 101, (name, row)
    assert float(row["max Hz"]) > 0 and float(row["peak MB"]) > 0, row
    assert float(row["max Hz nb"]) > 0, row
assert re.search(r"^-t of a non-Python program: slowdown " + NUMBER + "% at 1 kHz", res.stdout,
                 re.M), "no slowdown of a non-Python program"
assert re.search(r"^pyflame\.profile\(\) of an empty block: enter " + NUMBER + " ms, leave " +
                 NUMBER + " ms", res.stdout, re.M), "no pyflame.profile() cost"
assert re.search(r"^stop floor " + NUMBER + "%", res.stdout, re.M), "no stop floor"
assert re.search(r"^a stop takes the tracer " + NUMBER + " us", res.stdout, re.M), "no stop steps"
assert re.search(r"^machine pauses " + NUMBER + "/s", res.stdout, re.M), "no machine pauses"
print("bench_smoke: %d interpreters, every figure present" % len(rows))
