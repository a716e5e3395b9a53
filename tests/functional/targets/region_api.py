"""pyflame.profile() used as a program would (packaging/python), for
test_python_region.py and test_python_nonroot.py.  argv: a mode, then
its arguments; prints one JSON object of what it saw.

A thread 'other' is busy in other_work() the whole time, which must never
show unless threads=True; region_work() and the decorated functions are
busy() until sampled (sampled_work.py)."""
import json
import os
import sys
import threading

import pyflame
from sampled_work import busy, other_work


def tracer():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("TracerPid:"):
                return int(line.split()[1])


def children():
    """This process's child processes (pyflame, while it lives)."""
    found = []
    for pid in os.listdir("/proc"):
        try:
            with open("/proc/%s/stat" % pid) as f:
                if int(f.read().rsplit(")", 1)[1].split()[1]) == os.getpid():
                    found.append(int(pid))
        except (OSError, ValueError, IndexError):
            pass
    return found


def region_work():
    busy()


def work_a():
    busy()


def work_b():
    busy()


@pyflame.profile()
def decorated(work):
    work()


@pyflame.profile()
def recursive(depth):
    if depth:
        return recursive(depth - 1)
    region_work()


def block(output, **kwargs):
    with pyflame.profile(output=output, **kwargs) as p:
        traced_at_start = tracer()
        region_work()
    return {"traced_at_start": traced_at_start, "tracer_after": tracer(),
            "children_after": children(), "samples": p.samples, "folded": p.folded,
            "output": p.output, "repr": repr(p)}


def main(mode, args):
    if mode == "block":
        return block(args[0] if args else None)
    if mode == "threads":
        return block(None, threads=True)
    if mode == "decorated":
        decorated(work_a)
        first = decorated.profile
        decorated(work_b)
        return {"first": first.folded, "last": decorated.profile.folded,
                "label": decorated.profile.label}
    if mode == "recursive":
        recursive(2)
        return {"folded": recursive.profile.folded}
    if mode == "chrome":
        out = {}
        with pyflame.profile(format="chrome") as p:
            region_work()
        out["chrome"] = p.render("chrome")
        out["saved"] = str(p.save(args[0]))
        with pyflame.profile() as folded:
            region_work()
        try:
            folded.save(args[0] + ".other.cpuprofile")
        except pyflame.ProfileError as e:
            out["error"] = str(e)
        return out
    if mode == "nested":
        with pyflame.profile() as p:
            try:
                with pyflame.profile():
                    pass
            except pyflame.ProfileError as e:
                error = str(e)
            region_work()
        return {"error": error, "folded": p.folded}
    if mode == "raises":
        try:
            with pyflame.profile() as p:
                region_work()
                raise ValueError("from the block")
        except ValueError as e:
            return {"raised": str(e), "folded": p.folded, "tracer_after": tracer()}
    if mode == "scope":
        # Yama's setting as this module would find it (args[0]: a file
        # holding the scope); then profile a block, or tell why not.
        pyflame._ptrace_permission.SCOPE_FILE = args[0]
        ran = []
        try:
            with pyflame.profile() as p:
                ran.append(True)
                region_work()
        except pyflame.Refused as e:
            return {"refused": str(e), "ran": bool(ran), "children_after": children()}
        return {"folded": p.folded, "ran": bool(ran), "children_after": children()}
    raise SystemExit("unknown mode %r" % mode)


stop = []
other = threading.Thread(target=other_work, args=(stop,), name="other")
other.start()
try:
    result = main(sys.argv[1], sys.argv[2:])
finally:
    stop.append(True)
    other.join()
print(json.dumps(result))
