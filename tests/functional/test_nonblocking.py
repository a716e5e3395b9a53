"""--nonblocking: samples without stopping the target, and never prints a
stack that mixes two moments."""
import os
import re

import pytest

from conftest import (TARGETS, Profile, assert_exact_line_profile, assert_left_running, profile,
                      run_pyflame, start_target, status_field, stop_target)
from invariants import CHAINS, CHURN, chains_possible, churn_possible, wrong_stacks


def voluntary_switches(pid):
    """Times the target's threads gave up the CPU: each ptrace stop is one."""
    return sum(status_field(f"/proc/{pid}/task/{tid}/status", "voluntary_ctxt_switches")
               for tid in os.listdir(f"/proc/{pid}/task"))


def test_exact_profile_in_both_modes(python, tmp_path):
    for mode in ["attach", "trace"]:
        prof, _ = profile(python, mode, TARGETS / "exact_line.py", extra=["--nonblocking"],
                          tmp_path=tmp_path)
        assert_exact_line_profile(prof, TARGETS / "exact_line.py")


def test_target_is_never_stopped(python):
    """The same run stops a busy target about once per sample without
    --nonblocking, and (almost) never with it.  Judged against the samples
    each run took, so that a loaded machine, which takes fewer, passes."""
    proc = start_target(python, TARGETS / "exact_line.py", 60)
    try:
        stops, samples = {}, {}
        for extra in [[], ["--nonblocking"]]:
            before = voluntary_switches(proc.pid)
            res = run_pyflame([*extra, "--hz", "1000", "-s", "1", "-p", str(proc.pid)])
            stops[bool(extra)] = voluntary_switches(proc.pid) - before
            assert res.returncode == 0, res.stderr.decode()
            prof = Profile(res.stdout.decode())
            samples[bool(extra)] = prof.samples
            assert prof.with_function("hot_leaf"), prof.text
        assert_left_running(proc.pid)
    finally:
        stop_target(proc)
    assert min(samples.values()) >= 20, samples
    assert stops[False] >= samples[False] // 2, (stops, samples)
    assert stops[True] <= 10 + samples[True] // 100, (stops, samples)


def sample_counts(res, prof):
    """(taken, failed, torn) of one run, from pyflame's warning line (none
    when no sample failed) and its profile."""
    err = res.stderr.decode()
    m = re.search(r"(\d+) of (\d+) samples could not be read", err)
    if not m:
        return prof.samples, prof.failed, 0
    torn = re.search(r"; (\d+) of them were torn", err)
    return int(m.group(2)), int(m.group(1)), int(torn.group(1)) if torn else 0


# (name, pyflame's rate options, samples to take at least, seconds a run)
RATES = [("1kHz", ["--hz", "1000"], 800, 1),
         ("10kHz", ["--hz", "10000"], 8000, 1),
         ("full speed", ["-r", "0.000001"], 36000, 1)]
MAX_RUNS = 30


# The target and pyflame on two CPUs of their own run at once, so the
# target changes its stack while pyflame reads it, however loaded the
# machine (on one CPU it would mostly wait while pyflame reads, and
# nothing would tear).  With one CPU, the scheduler decides.
CPUS = sorted(os.sched_getaffinity(0))
PYFLAME_CPU, TARGET_CPU = ({CPUS[0]}, {CPUS[1]}) if len(CPUS) >= 2 else (set(CPUS), set(CPUS))


def on_pyflame_cpu():
    """For subprocess: the child runs on pyflame's CPU."""
    os.sched_setaffinity(0, PYFLAME_CPU)


def profile_until(pid, rate, want, seconds):
    """Profiles pid with --nonblocking in runs of `seconds` until `want`
    samples were taken: (taken, failed, torn, printed, Counter of stacks)."""
    taken = failed = torn = printed = 0
    stacks = None
    for _ in range(MAX_RUNS):
        res = run_pyflame(["--nonblocking", *rate, "-s", str(seconds), "-p", str(pid)],
                          preexec_fn=on_pyflame_cpu)
        assert res.returncode == 0, res.stderr.decode()
        prof = Profile(res.stdout.decode())
        t, f, n = sample_counts(res, prof)
        assert f == prof.failed, (res.stderr.decode(), prof.failed)
        taken, failed, torn, printed = taken + t, failed + f, torn + n, printed + prof.total
        stacks = prof.stacks if stacks is None else stacks + prof.stacks
        if taken >= want:
            break
    assert taken >= want, (taken, want)
    return taken, failed, torn, printed, stacks


# Frame objects (2.7-3.10) lie apart in the heap, and a target that
# switches call chains faster than a range is read (these do every few
# hundred nanoseconds) can show a caller read at one moment and its callee
# at another, in the walk and in the check's re-read alike.  3.11's frames
# lie side by side, but nothing in them tells a running frame from one
# returned from, as 3.12's stacktop does.  And on every version a code
# object freed and made again at one address can be read half made (a
# line 0, now and then).  There, until the check can tell, such stacks are
# a known bug (docs/reliability.md): bounded here, and reported as an
# expected failure.  What share of samples tears for good depends on how
# fast pyflame reads against how fast the target changes (most fail on
# 2.7-3.10, about half at 1 kHz under a sanitizer on 3.11): a benchmark's
# matter.  What the check needs is enough printed stacks to look at.
KNOWN_HOLE_MAX_WRONG = 0.05
# 3.12+: one mixed stack in 70,000 to 300,000 samples of the deep chains
# (3.13, a full suite run on a loaded machine: c0 read as calling d1),
# cause not found yet: bounded far tighter, and reported the same way.
RARE_HOLE_MAX_WRONG = 0.0001
MIN_PRINTED = 1000


def check_invariant_target(python, argv, fault, known_hole, max_wrong=KNOWN_HOLE_MAX_WRONG):
    """Profiles an invariant target at 1 kHz, 10 kHz and full speed: enough
    samples, most of them printed, some failed (the check had work to
    do), and not one stack the target cannot have (unless `known_hole`:
    a few)."""
    proc = start_target(python, *argv)
    os.sched_setaffinity(proc.pid, TARGET_CPU)
    counts = {}
    wrong = {}
    try:
        for name, rate, want, seconds in RATES:
            taken, failed, torn, printed, stacks = profile_until(proc.pid, rate, want, seconds)
            counts[name] = (taken, failed, torn, printed)
            for stack, (why, n) in wrong_stacks(stacks, fault).items():
                wrong[stack] = (why, n, name)
        assert_left_running(proc.pid)
    finally:
        stop_target(proc)
    # Shown with -s, and in ctest's log on failure.
    print("\n%s: (taken, failed, torn, printed) %s" % (argv[1:], counts))
    for stack, (why, n, name) in sorted(wrong.items()):
        print("  %d at %s: %s: %s" % (n, name, why, stack))
    wrong_samples = sum(n for _, n, _ in wrong.values())
    printed_samples = sum(c[3] for c in counts.values())
    if known_hole:
        assert wrong_samples <= max_wrong * printed_samples, (counts, wrong)
    else:
        assert not wrong, (counts, wrong)
    assert printed_samples >= MIN_PRINTED, counts
    # The target changed under the reads: some samples failed (torn three
    # times, or a frame found returned from).  The check had work to do.
    assert sum(c[1] for c in counts.values()) > 0, ("no sample failed", counts)
    if wrong:
        pytest.xfail("known bug (%s): %d of %d printed samples mixed two moments"
                     % (known_hole, wrong_samples, printed_samples))
    return counts


def chains_hole(python_version):
    """The known hole that chains may find in this version, and the share
    of printed samples it may spoil."""
    if python_version < (3, 11):
        return "2.7-3.10: frame objects apart in the heap", KNOWN_HOLE_MAX_WRONG
    if python_version < (3, 12):
        return "3.11: no mark of a running frame", KNOWN_HOLE_MAX_WRONG
    return "3.12+: a callee read across a call, rarely", RARE_HOLE_MAX_WRONG


def test_chains_ab_never_print_a_mixed_stack(python, python_version):
    """a0 -> a1 -> a2 and b0 -> b1 -> b2 in turn, about a microsecond
    each: a reader that mixes two moments prints b0 under a1 and the like
    (docs/reliability.md)."""
    possible = chains_possible("ab")
    check_invariant_target(python, [CHAINS, "ab", 600], possible.fault,
                           *chains_hole(python_version))


def test_deep_chains_never_print_a_mixed_stack(python, python_version):
    """Two ten-deep chains in turn: more frames read per sample, more
    places for a walk to cross from one chain to the other."""
    possible = chains_possible("deep")
    check_invariant_target(python, [CHAINS, "deep", 600], possible.fault,
                           *chains_hole(python_version))


def test_code_churn_never_prints_a_mixed_stack(python, python_version):
    """Code objects freed and made again, at the addresses of the last
    ones: a walk that read a frame of one and the code object of the other
    would name one function with the other's line."""
    possible = churn_possible()
    check_invariant_target(python, [CHURN, 600], possible.fault,
                           "code objects remade at one address, on every version")
