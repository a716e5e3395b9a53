"""Cells run through a real IPython InteractiveShell with pyflame's
extension loaded, for test_python_ipython.py; prints one JSON object:
for each cell, whether it succeeded, what IPython would display of its
result (its text/plain and text/html) and the profile's folded stacks.

The profiled functions are busy() until sampled; a thread 'other' is busy
meanwhile and must not show but with --threads (sampled_work.py)."""
import json
import threading

from IPython.core.interactiveshell import InteractiveShell

from sampled_work import other_work

DEFINITIONS = '''
from sampled_work import busy

def cell_work():
    busy()

def statement_work(text):
    busy()
    return len(text)
'''

CELLS = {
    "cell": "%%pyflame\ncell_work()\n",
    "statement": '%pyflame --hz 500 spaced = statement_work("a b")',
    "configured": "%config PyFlameMagic.default_sample_interval = 0.005\n",
    "slow": "%%pyflame\ncell_work()\n",
    "raises": "%%pyflame -s 0.001\ncell_work()\n1/0\n",
    "usage": "%%pyflame bogus\ncell_work()\n",
    "threads": "%%pyflame --threads\ncell_work()\n",
}


def shown(result):
    out = {"success": result.success}
    if result.error_in_exec is not None:
        out["error"] = "%s: %s" % (type(result.error_in_exec).__name__, result.error_in_exec)
    if result.result is not None:
        data, _ = shell.display_formatter.format(result.result)
        out["plain"] = data.get("text/plain")
        out["html"] = data.get("text/html")
        out["folded"] = result.result.folded
    return out


shell = InteractiveShell.instance()
shell.run_line_magic("load_ext", "pyflame")
shell.run_cell(DEFINITIONS)
stop = []
other = threading.Thread(target=other_work, args=(stop,), name="other")
other.start()
try:
    results = {name: shown(shell.run_cell(cell)) for name, cell in CELLS.items()}
    results["spaced"] = shell.user_ns.get("spaced")
finally:
    stop.append(True)
    other.join()
print(json.dumps(results))
