"""The invariant targets (targets/chains.py, targets/churn_chains.py):
every stack they ever have is known, so a stack printed that is not one of
them was read across two moments, in either mode."""
import os
import re

from conftest import NO_GIL, TARGETS, marker_line

CHAINS = TARGETS / "chains.py"
CHURN = TARGETS / "churn_chains.py"
# chains.py kind -> its MAIN_ markers, each with its chain of functions.
CHAIN_KINDS = {
    "ab": {"MAIN_A": ["a0", "a1", "a2"], "MAIN_B": ["b0", "b1", "b2"]},
    "deep": {"MAIN_C": ["c%d" % i for i in range(10)],
             "MAIN_D": ["d%d" % i for i in range(10)]},
}
# churn_chains.py: its modules' functions and their lines (X0_LINE...).
CHURN_LINES = {"x0": 1, "x1": 2, "y0": 11, "y1": 12}


def frame_text(f):
    return "%s:%s:%d" % (os.path.basename(f.file), f.func, f.line)


def def_range(path, func):
    """Lines of function `func` in `path`: from its def to the last line
    before the next top-level statement."""
    lines = path.read_text().splitlines()
    first = next(i for i, l in enumerate(lines, 1) if l.startswith("def %s(" % func))
    last = first
    for i in range(first + 1, len(lines) + 1):
        text = lines[i - 1]
        if text and not text[0].isspace() and not text.startswith("#"):
            break
        last = i
    return first, last


class Possible:
    """The stacks an invariant target can have: <module> at its MODULE
    line, main() at one of its lines, and above a MAIN_ line one of the
    chains called there: a prefix of it, each function in its file at its
    one line."""

    def __init__(self, path, chains, where, towers, other=()):
        self.module_line = marker_line(path, "MODULE")
        first, last = def_range(path, "main")
        self.main_lines = range(first, last + 1)
        self.chains = {}  # MAIN_ line -> [chain, ...]
        for marker, chain in chains:
            self.chains.setdefault(marker_line(path, marker), []).append(chain)
        self.where = where  # function -> (file name, line)
        self.other = {marker_line(path, m): check for m, check in other}
        # tower(n) calls itself at TOWER down to tower(0): TOWER + 1 frames.
        depth = int(re.search(r"^TOWER = (\d+)", path.read_text(), re.M).group(1))
        lines = range(def_range(path, "tower")[0], def_range(path, "tower")[1] + 1)
        for marker in towers:
            self.other[marker_line(path, marker)] = (
                lambda above, line=marker_line(path, "TOWER"): tower_fault(above, line, lines,
                                                                           depth))

    def fault(self, stack):
        """What is wrong with a stack, or None if the target can have it."""
        if stack[0].func != "<module>" or stack[0].line != self.module_line:
            return "does not begin at <module>:%d" % self.module_line
        if len(stack) == 1:
            return None
        main, above = stack[1], stack[2:]
        if main.func != "main" or main.line not in self.main_lines:
            return "no main() at one of its lines under <module>"
        if not above:
            return None
        if main.line in self.other:
            return self.other[main.line](above)
        chain = [c for c in self.chains.get(main.line, []) if c[0] == above[0].func]
        if not chain:
            return "%s() called from main() at line %d" % (above[0].func, main.line)
        chain = chain[0]
        if len(above) > len(chain):
            return "deeper than the chain main() calls"
        for f, func in zip(above, chain):
            if f.func != func:
                return "%s() where %s() must be" % (f.func, func)
            if (os.path.basename(f.file), f.line) != self.where[func]:
                return "%s() at %s:%d, not %s:%d" % ((func, os.path.basename(f.file), f.line)
                                                   + self.where[func])
        return None


def tower_fault(above, call_line, lines, depth):
    """tower() alone, each but the leaf at its call of the next."""
    if len(above) > depth + 1:
        return "a tower higher than the target's"
    if any(f.func != "tower" for f in above):
        return "not tower() alone above main()'s call of it"
    if any(f.line != call_line for f in above[:-1]) or above[-1].line not in lines:
        return "a level of the tower not at its call of the next"
    return None


def chains_possible(kind):
    chains = CHAIN_KINDS[kind]
    return Possible(CHAINS, chains.items(),
                    {f: ("chains.py", marker_line(CHAINS, f.upper()))
                     for c in chains.values() for f in c},
                    ["MAIN_TA"] if kind == "ab" else ["MAIN_TD"])


def churn_module_fault(above):
    """main() at MAIN_EXEC runs one churn module's body, which only
    defines.  Before its first instruction it is at line 1 (its
    co_firstlineno), and that instruction (RESUME, 3.11+) has no line: 0."""
    f = above[0]
    if len(above) > 1 or f.func != "<module>":
        return "more than a churn module's <module> above exec"
    want = {"churn_x.py": (1, 2), "churn_y.py": (11, 12)}.get(os.path.basename(f.file))
    if not want or not (want[0] <= f.line <= want[1] or f.line in (0, 1)):
        return "churn module at line %d" % f.line
    return None


def churn_possible():
    return Possible(CHURN, [("MAIN_RUN", ["x0", "x1"]), ("MAIN_RUN", ["y0", "y1"])],
                    {f: ("churn_%s.py" % f[0], line) for f, line in CHURN_LINES.items()},
                    ["MAIN_TOWER"], other=[("MAIN_EXEC", churn_module_fault)])


def wrong_stacks(stacks, fault):
    """The stacks of a Counter that the target cannot have: their text ->
    (what is wrong, samples).  Which thread holds the GIL is read a moment
    apart from the stack: a (no GIL) leaf now and then is no fault."""
    wrong = {}
    for stack, n in stacks.items():
        if stack and stack[-1].func == NO_GIL:
            stack = stack[:-1]
        why = fault(stack)
        if why:
            wrong[";".join(frame_text(f) for f in stack)] = (why, n)
    return wrong
