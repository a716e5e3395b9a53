#!/bin/sh
# Installs what building and testing pyflame needs on Debian 12.
set -eu
# Tests also use: flamegraph.pl (libdevel-nytprof-perl) for folded output,
# Node.js with npm for speedscope's schema, Chromium for the SVG output,
# clang with its libFuzzer runtime for tests/fuzz, strace for the container
# tests (a kernel without openat2, simulated), g++ for the C++ plugin test;
# packages: dpkg-dev (dpkg-shlibdeps) and lintian; bash-completion to test
# pyflame's; pip, setuptools, wheel and venv to build and install the
# Python package (packaging/python) offline, IPython, Django and the
# Django Debug Toolbar for its magic and panel; util-linux's setpriv to
# run its tests as an ordinary user.
packages="cmake make gcc g++ pkg-config libelf-dev libcmocka-dev python3 python3-pytest
  libdevel-nytprof-perl util-linux libpython3-dev nodejs chromium clang libclang-rt-dev
  strace dpkg-dev lintian bash-completion python3-pip python3-setuptools python3-wheel
  python3-venv python3-ipython python3-django python3-django-debug-toolbar"
run() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
run apt-get update -qq
DEBIAN_FRONTEND=noninteractive run apt-get install -y -qq --no-install-recommends $packages >/dev/null
# Debian's nodejs comes without npm; NodeSource's includes it (and its
# conflicts with Debian's npm package).
command -v npm >/dev/null ||
  DEBIAN_FRONTEND=noninteractive run apt-get install -y -qq --no-install-recommends npm >/dev/null
