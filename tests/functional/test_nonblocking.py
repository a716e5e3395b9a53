"""--nonblocking: samples without stopping the target, and never prints a
stack that mixes two moments."""
import os
import time

from conftest import (TARGETS, Profile, assert_exact_line_profile, assert_left_running,
                      marker_line, profile, run_pyflame, start_target, status_field,
                      stop_target)


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
    --nonblocking, and (almost) never with it."""
    proc = start_target(python, TARGETS / "exact_line.py", 60)
    try:
        time.sleep(0.2)
        stops = {}
        for extra in [[], ["--nonblocking"]]:
            before = voluntary_switches(proc.pid)
            res = run_pyflame([*extra, "--hz", "1000", "-s", "1", "-p", str(proc.pid)])
            stops[bool(extra)] = voluntary_switches(proc.pid) - before
            assert res.returncode == 0, res.stderr.decode()
            prof = Profile(res.stdout.decode())
            assert prof.with_function("hot_leaf"), prof.text
        assert_left_running(proc.pid)
    finally:
        stop_target(proc)
    assert stops[False] >= 100, stops
    assert stops[True] <= 10, stops


SEE_SAW = TARGETS / "see_saw.py"


def see_saw_fault(stack):
    """What is wrong with a stack of see_saw.py, or None if it is one the
    target had: <module>, main() at the line calling the tower it is in,
    then that tower alone, each level but the last at its call of the next,
    then work() at most.  A walk that read frames being returned from may
    end early or go on into the other tower."""
    funcs = [f.func for f in stack]
    if funcs[0] != "<module>":
        return "does not begin at <module>"
    if len(stack) == 1:
        return None
    if funcs[1] != "main":
        return "no main() under <module>"
    tower = stack[2:]
    if tower and tower[-1].func == "work":
        tower = tower[:-1]
    if not tower:
        return None
    name = tower[0].func
    if name not in ("left", "right") or any(f.func != name for f in tower):
        return "mixes the towers, or more than work() above them"
    main_line = marker_line(SEE_SAW, "MAIN_" + name.upper())
    call_line = marker_line(SEE_SAW, name.upper() + "_CALL")
    if stack[1].line != main_line:
        return "main() at line %d, in %s()" % (stack[1].line, name)
    if any(f.line != call_line for f in tower[:-1]):
        return "a level of the tower not at its call of the next"
    return None


def test_torn_samples_are_counted_never_printed(python):
    """see_saw.py changes its stack every few microseconds, faster than a
    sample is read: many samples tear (without the check, 6-70% of them
    mix the towers; docs/performance.md).  None may be printed."""
    proc = start_target(python, SEE_SAW, 60)
    try:
        time.sleep(0.2)
        res = run_pyflame(["--nonblocking", "--hz", "2000", "-s", "2", "-p", str(proc.pid)])
    finally:
        stop_target(proc)
    err = res.stderr.decode()
    # Every sample may tear: then pyflame says so and fails.
    assert res.returncode == 0 or "none of the" in err, err
    prof = Profile(res.stdout.decode())
    faults = {";".join("%s:%d" % (f.func, f.line) for f in s): see_saw_fault(s)
              for s in prof.stacks}
    wrong = {stack: fault for stack, fault in faults.items() if fault}
    assert not wrong, wrong
    # How many tear depends on the two sharing the CPUs; when some do, the
    # warning says they were torn.
    if prof.failed:
        assert "were torn 3 times in a row" in err, err
