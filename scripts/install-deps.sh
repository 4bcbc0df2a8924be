#!/bin/sh
# Installs everything hvlab needs on Debian: the system packages listed in
# scripts/debian-packages.txt (as root, or through sudo), then the npm dependencies.
# Used by the README's quick start and by .ci/run, so both install the same things.
set -eu
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2046
$SUDO apt-get install -y -qq --no-install-recommends $(cat scripts/debian-packages.txt)
npm ci --no-audit --no-fund
