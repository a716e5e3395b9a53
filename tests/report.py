#!/usr/bin/python3
"""Prints what a run of the suite did: each ctest test's result and, for
the pytest runs, how many of their tests passed, failed and were skipped;
then every skip with its reason, grouped by reason, so that no skip goes
unseen, and every known bug a test found (pytest.xfail).  The last line counts the ctest tests.

    report.py BUILD_DIR

Reads BUILD_DIR/ctest-results.xml (ctest --output-junit) and the records
the pytest runs leave in BUILD_DIR/test-report/ (conftest.py)."""
import collections
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def ctest_results(build):
    """{ctest name: "passed" | "failed" | "skipped"} from ctest's JUnit file."""
    path = build / "ctest-results.xml"
    if not path.exists():
        return {}
    results = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            results[case.get("name")] = "failed"
        elif case.find("skipped") is not None or case.get("status") in ("notrun", "disabled"):
            results[case.get("name")] = "skipped"
        else:
            results[case.get("name")] = "passed"
    return results


def skip_reason(case):
    """What a skipped ctest test said: its "SKIP: ..." line, if any."""
    out = case.findtext("system-out") or ""
    for line in out.splitlines():
        if line.startswith("SKIP: "):
            return line[len("SKIP: "):]
    return "skipped by ctest"


def main(build):
    build = Path(build)
    results = ctest_results(build)
    records = {}
    for path in sorted((build / "test-report").glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        records[record["ctest"]] = record
    skips = collections.defaultdict(list)  # reason -> tests
    xml = build / "ctest-results.xml"
    if xml.exists():
        for case in ET.parse(xml).getroot().iter("testcase"):
            if results.get(case.get("name")) == "skipped":
                skips[skip_reason(case)].append(case.get("name"))

    known = collections.defaultdict(list)  # reason -> tests that failed as expected
    print("\nWhat ran (pytest counts: passed/failed/skipped/expected failures):")
    width = max((len(n) for n in results), default=10)
    for name in sorted(results):
        line = "  %-*s  %-7s" % (width, name, results[name])
        if name in records:
            counts = collections.Counter(t["outcome"] for t in records[name]["tests"])
            line += "  %d/%d/%d/%d" % (counts["passed"], counts["failed"], counts["skipped"],
                                      counts["xfailed"])
            for t in records[name]["tests"]:
                test = "%s: %s" % (name, t["test"])
                if t["outcome"] == "skipped":
                    skips[t["reason"]].append(test)
                elif t["outcome"] == "xfailed":
                    # "known bug (what): what this run found", by the bug
                    bug, _, found = t["reason"].rpartition(": ")
                    bug = bug or found
                    known[bug].append("%s: %s" % (test, found) if found else test)
        print(line.rstrip())
    print("\nSkipped, and why:" if skips else "\nSkipped: nothing.")
    for reason in sorted(skips):
        tests = skips[reason]
        print("  %s (%d)" % (reason, len(tests)))
        for test in tests[:6]:
            print("      %s" % test)
        if len(tests) > 6:
            print("      ... and %d more" % (len(tests) - 6))
    if known:
        print("\nKnown bugs (tests that failed as expected), and what they found:")
        for reason in sorted(known):
            print("  %s" % reason)
            for test in known[reason]:
                print("      %s" % test)
    counts = collections.Counter(results.values())
    print("\nsuite: %d passed, %d failed, %d skipped"
          % (counts["passed"], counts["failed"], counts["skipped"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "build"))
