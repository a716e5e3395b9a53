#!/bin/sh
# Runs the whole test suite of a build directory with ctest, then prints
# what ran and what was skipped, and why (tests/report.py), green or not.
#     tests/run_suite.sh [BUILD_DIR] [ctest options...]
# Exits with ctest's status.
set -u
build=${1:-build}
[ $# -gt 0 ] && shift
here=$(dirname "$0")
rm -rf "$build/test-report"
status=0
ctest --test-dir "$build" --output-on-failure -j2 --output-junit ctest-results.xml "$@" ||
  status=$?
/usr/bin/python3 "$here/report.py" "$build" || status=1
exit "$status"
