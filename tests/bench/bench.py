#!/usr/bin/env python3
"""pyflame's benchmark: prints, for each interpreter, every figure of
docs/performance.md.

    /usr/bin/python3 tests/bench/bench.py --pyflame build/pyflame
    /usr/bin/python3 tests/bench/bench.py --quick ...     (CI: short runs)

Figures (columns):
  kept@1k, kept@10k  samples taken of those asked for (-r 0.001, 0.0001),
                     attached for --seconds to a CPU-bound target about 20
                     frames deep
  max Hz             samples per second with -r 0.000001 (as fast as it can)
  cpu/sample         pyflame's user+system CPU time per sample in that run
  max Hz nb, cpu nb  the same two with --nonblocking
  peak MB            pyflame's largest resident size over all runs
  slow stop          target slowdown in trace mode at 1 kHz (the target is
                     stopped for each sample): its speed while pyflame
                     samples against its speed while pyflame is frozen, in
                     20 ms turns within one run (slowdown.py); the median
  slow nonblock      the same with --nonblocking
  torn               samples lost to tearing with --nonblocking at 10 kHz
  4thr stop          slow stop (pyflame's defaults: 1 kHz, one stack a
                     sample, stop mode) of 4 busy threads, in 20 ms turns
  50thr stop         the same of 50 busy threads, in 100 ms turns
  50thr kept         samples taken at 100 Hz, --threads, 50 busy threads
  50thr slow         that target's slowdown, the same way in 100 ms turns

After the rows, "-t of a non-Python program": the slowdown at 1 kHz,
measured the same way, of a program that is no Python (marks.c, built
next to pyflame in tests/bench): pyflame looks for an interpreter in it
for the whole run.

A figure pyflame cannot produce yet (an option it lacks) prints as "n/a".
Runs in this order: every figure of one interpreter, then the next.

Last, two figures of the machine itself: its stop floor (stop_floor.c,
built next to pyflame in tests/bench), what a process loses when it is
stopped and let go 1000 times a second with nothing read, measured in
turns the same way: the least that "slow stop" can be, with what each
step of a stop takes the tracer; and its pauses, how often a busy loop
loses the CPU for over 1 ms while another keeps the second core busy, as
a target and pyflame do (a virtual machine's host taking it), each of
which can cost a sample at 1 kHz whatever the profiler does.

pyflame's peak memory is told by peak_rss.c, also built next to it."""
import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Run as a script, bench.py sees only its own directory; the helpers it
# shares with the functional tests are a package beside it (tests/testlib).
sys.path.insert(0, str(HERE.parent))
import slowdown  # noqa: E402
from testlib.interpreters import (found_pythons, is_system_build,  # noqa: E402
                                  missing_versions, python_root)
from testlib.measure import run_measured, start_ready  # noqa: E402

WORKLOAD = HERE / "workload.py"
# Programs built next to pyflame (tests/bench/*.c) that the benchmark runs.
HELPERS = ["stop_floor", "peak_rss", "marks"]
COLUMNS = ["python", "kept@1k", "kept@10k", "max Hz", "cpu/sample", "max Hz nb", "cpu nb",
           "peak MB", "slow stop", "slow nonblock", "torn", "4thr stop", "50thr stop",
           "50thr kept", "50thr slow"]


class Run:
    """One pyflame run: output, CPU seconds and peak memory."""

    def __init__(self, pyflame, args, timeout, peak_rss):
        res, self.cpu, self.peak_kb = run_measured([pyflame, *args], timeout, peak_rss)
        self.out = res.stdout.decode("utf-8", "replace")
        self.err = res.stderr.decode("utf-8", "replace")
        if res.returncode != 0:
            raise RuntimeError("pyflame %s failed (%d): %s" % (" ".join(args), res.returncode,
                                                               self.err.strip()))


def default_pythons():
    """Every interpreter the tests found, or that is found under
    $PYFLAME_PYTHON_ROOT (testlib/interpreters.py); the system's builds
    last, as in docs/performance.md's table."""
    return sorted(found_pythons(), key=is_system_build)


def folded_samples(text):
    return sum(int(line.rpartition(" ")[2]) for line in text.splitlines() if line.strip())


def timestamped_samples(text):
    return sum(1 for line in text.splitlines() if line.isdigit())


def start(python, *args):
    return start_ready([python, WORKLOAD, *args], text=True)


def finish(proc):
    """Waits for a workload to end; raises if it failed."""
    _, err = proc.communicate(timeout=600)
    if proc.returncode != 0:
        raise RuntimeError("the workload failed: " + err)


class Bench:
    def __init__(self, pyflame, peak_rss, seconds, slow_seconds):
        self.pyflame, self.peak_rss = pyflame, peak_rss
        self.seconds, self.slow_seconds = seconds, slow_seconds
        self.peak_kb = 0
        helptext = subprocess.run([pyflame, "--help"], capture_output=True, text=True).stdout
        self.nonblocking = "--nonblocking" in helptext

    def pyflame_run(self, args, timeout=None):
        run = Run(self.pyflame, args, timeout or self.seconds * 4 + 60, self.peak_rss)
        self.peak_kb = max(self.peak_kb, run.peak_kb)
        return run

    def attached(self, python, interval, extra=()):
        target = start(python, "spin", self.seconds + 30)
        try:
            return self.pyflame_run([*extra, "-s", str(self.seconds), "-r", str(interval),
                                     "-p", str(target.pid)])
        finally:
            target.kill()
            target.wait()

    def kept(self, python, interval):
        run = self.attached(python, interval)
        return folded_samples(run.out) / (self.seconds / interval)

    def max_rate(self, python, extra=()):
        run = self.attached(python, 0.000001, extra)
        samples = folded_samples(run.out)
        return samples / self.seconds, run.cpu / max(samples, 1)

    def slowdown(self, python, extra, interval=0.001, target_args=("marks",), phase=0.02):
        """The target's slowdown under pyflame with `extra`, in turns of
        `phase` seconds (slowdown.py), over ten turns at least: --quick's
        0.5 s is five of the 50-thread case's, too few to compare."""
        seconds = max(self.slow_seconds, 10 * phase)
        return slowdown.measure([self.pyflame, *extra, "-r", interval, "-o", os.devnull],
                                lambda s: [python, WORKLOAD, *target_args, s + 2],
                                seconds, phase)[0]

    def torn(self, python):
        """Samples lost to tearing (still torn when read three times), of
        those taken; pyflame counts them as (failed) and says so."""
        run = self.attached(python, 0.0001, ["--nonblocking"])
        torn = re.search(r"(\d+) of them were torn", run.err)
        return (int(torn.group(1)) if torn else 0) / max(folded_samples(run.out), 1)

    def threads50(self, python):
        """Samples kept at 100 Hz with --threads from 50 busy threads, and
        their slowdown (100 ms turns: ten samples a turn)."""
        target = start(python, "threads", 50, self.seconds + 1)
        try:
            run = self.pyflame_run(["-T", "--threads", "-s", str(self.seconds),
                                    "-r", "0.01", "-p", str(target.pid)])
        finally:
            finish(target)
        kept = timestamped_samples(run.out) / (self.seconds / 0.01)
        return kept, self.slowdown(python, ["--threads"], 0.01, ("threads", 50), 0.1)

    def row(self, python):
        pct = lambda v: "%.1f%%" % (100 * v)
        rate, cpu = self.max_rate(python)
        rate_nb, cpu_nb = self.max_rate(python, ["--nonblocking"]) if self.nonblocking else (0, 0)
        row = {
            "python": python,
            "kept@1k": pct(self.kept(python, 0.001)),
            "kept@10k": pct(self.kept(python, 0.0001)),
            "max Hz": "%.0f" % rate,
            "cpu/sample": "%.1f us" % (cpu * 1e6),
            "max Hz nb": "%.0f" % rate_nb if self.nonblocking else "n/a",
            "cpu nb": "%.1f us" % (cpu_nb * 1e6) if self.nonblocking else "n/a",
            "slow stop": pct(self.slowdown(python, [])),
            "slow nonblock": pct(self.slowdown(python, ["--nonblocking"]))
            if self.nonblocking else "n/a",
            "torn": pct(self.torn(python)) if self.nonblocking else "n/a",
        }
        row["4thr stop"] = pct(self.slowdown(python, [], 0.001, ("threads", 4), 0.02))
        row["50thr stop"] = pct(self.slowdown(python, [], 0.001, ("threads", 50), 0.1))
        kept, slow = self.threads50(python)
        row["50thr kept"], row["50thr slow"] = pct(kept), pct(slow)
        row["peak MB"] = "%.1f" % (self.peak_kb / 1024)
        return row


def machine_pauses(seconds):
    """Pauses of over 1 ms per second in a busy loop of `seconds` beside
    another busy process, and the longest, in seconds."""
    other = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        clock = time.monotonic
        start = last = clock()
        count, longest = 0, 0.0
        while last - start < seconds:
            now = clock()
            if now - last > 0.001:
                count += 1
                longest = max(longest, now - last)
            last = now
    finally:
        other.kill()
        other.wait()
    return count / seconds, longest


def region_cost(pyflame, pythons, blocks):
    """pyflame.profile()'s cost, with the first interpreter the package
    supports (region_cost.py)."""
    def version(path):
        out = subprocess.run([path, "-c", "import sys; print(*sys.version_info[:2])"],
                             capture_output=True, text=True).stdout.split()
        return tuple(map(int, out)) if out else (0, 0)

    python = next((p for p in pythons if version(p) >= (3, 8)), None)
    if python is None:
        print("pyflame.profile(): n/a (no CPython 3.8 or newer measured)")
        return
    env = dict(os.environ, PYFLAME=str(Path(pyflame).resolve()),
               PYTHONPATH=str(HERE.parents[1] / "packaging" / "python"))
    res = subprocess.run([python, str(HERE / "region_cost.py"), str(blocks)], env=env,
                         capture_output=True, text=True, timeout=600)
    if res.returncode != 0:
        sys.exit("bench.py: region_cost.py failed: %s" % res.stderr.strip()[-2000:])
    enter, leave = res.stdout.split()
    print("pyflame.profile() of an empty block: enter %s ms, leave %s ms (median of %d, %s)"
          % (enter, leave, blocks, python), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pyflame", default=os.environ.get("PYFLAME", "build/pyflame"))
    for name in HELPERS:
        ap.add_argument("--" + name.replace("_", "-"), help="the %s program (default: "
                        "tests/bench/%s in pyflame's build directory)" % (name, name))
    ap.add_argument("--python", action="append",
                    help="interpreter(s); default: $PYFLAME_TEST_PYTHONS (\":\" between), "
                    "else for each supported version the newest under $PYFLAME_PYTHON_ROOT "
                    "(here %s) and the system's /usr/bin/pythonX.Y" % python_root())
    ap.add_argument("--seconds", type=float, default=5.0, help="length of each attached run")
    ap.add_argument("--repeats", type=int, default=5,
                    help="each slowdown run lasts as long as this many attached runs")
    ap.add_argument("--quick", action="store_true",
                    help="short runs (0.3 s attached, 0.5 s slowdowns): checks that it works")
    args = ap.parse_args()
    if args.quick:
        args.seconds, args.repeats = 0.3, 1
    helpers = {}
    for name in HELPERS:
        path = getattr(args, name) or Path(args.pyflame).resolve().parent / "tests/bench" / name
        if not os.access(str(path), os.X_OK):
            sys.exit("bench.py: no %s: build it (cmake --build build) or name it with --%s"
                     % (path, name.replace("_", "-")))
        helpers[name] = str(path)
    asked = args.python or default_pythons()
    pythons = [p for p in asked if os.access(p, os.X_OK)]
    missing = [p for p in asked if not os.access(p, os.X_OK)]
    for p in missing:
        print("skipped: %s is not installed" % p, file=sys.stderr)
    if not args.python:
        for version in missing_versions(asked):
            print("skipped: no CPython %s found (interpreter root: %s)" % (version, python_root()),
                  file=sys.stderr)
    if not pythons:
        sys.exit("bench.py: no interpreter to measure")
    print("pyflame benchmark: %s, %d cores, %.1f s per attached run, %d repeats, %s" % (
        args.pyflame, os.cpu_count(), args.seconds, args.repeats,
        time.strftime("%Y-%m-%d %H:%M")))
    # Each slowdown run (and the stop floor's) lasts as long as `repeats`
    # attached runs: 25 turns of 20 ms at least.
    slow_seconds = max(args.seconds * args.repeats, 0.5 if args.quick else 1.0)
    widths = [max(len(c), 11) for c in COLUMNS]
    widths[0] = max(len(p) for p in pythons)
    print("  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths)), flush=True)
    for python in pythons:
        row = Bench(args.pyflame, helpers["peak_rss"], args.seconds, slow_seconds).row(python)
        print("  ".join(row[c].ljust(w) for c, w in zip(COLUMNS, widths)), flush=True)
    slow = slowdown.measure([args.pyflame, "-r", 0.001, "-o", os.devnull],
                            lambda s: [helpers["marks"], s + 2], slow_seconds, 0.02)[0]
    print("\n-t of a non-Python program: slowdown %.1f%% at 1 kHz" % (100 * slow), flush=True)
    region_cost(args.pyflame, pythons, 5 if args.quick else 20)
    res = subprocess.run([helpers["stop_floor"], "1000", str(slow_seconds)],
                         capture_output=True, text=True, timeout=slow_seconds * 4 + 60)
    if res.returncode != 0:
        sys.exit("bench.py: %s failed: %s" % (helpers["stop_floor"], res.stderr.strip()))
    floor, *steps = res.stdout.strip().splitlines()
    print("%s (the least that slow stop can be on this machine)" % floor)
    for line in steps:
        print(line)
    rate, longest = machine_pauses(max(args.seconds * args.repeats, slow_seconds))
    print("machine pauses %.1f/s over 1 ms, longest %.1f ms (each can cost a sample at 1 kHz)"
          % (rate, longest * 1e3))


if __name__ == "__main__":
    main()
