#!/bin/sh
# Installs what building and testing pyflame needs on Debian 12.
set -eu
packages="cmake make gcc pkg-config libelf-dev libcmocka-dev python3 python3-pytest
  libdevel-nytprof-perl util-linux libpython3-dev"
run() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
run apt-get update -qq
DEBIAN_FRONTEND=noninteractive run apt-get install -y -qq --no-install-recommends $packages >/dev/null
