#!/bin/sh
# Installs everything hvlab needs on Debian 12 or 13: the system packages listed in
# scripts/debian-packages.txt (as root, or through sudo), Unicorn 2.1.1, the npm dependencies
# and the compiled CLI. Used by the README's quick start and by .ci/run.
#
# Unicorn: Debian 13 ships 2.1.1 as libunicorn2t64 and gets it from its own archive. Debian 12
# only has 2.0.1, which is slow (hv/unicorn/README.md), so the script fetches Debian 13's
# package with apt through a project-local configuration under deps/apt (its own sources list,
# lists and cache; the system's sources and package database are not touched), checks the
# version and SHA-256 pinned in scripts/unicorn-package.txt (apt itself checks the archive's
# signature against debian-archive-keyring), and unpacks it into deps/unicorn, from where
# hv/unicorn/ffi.ts loads it by path.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive

. /etc/os-release
set -- $(grep -v '^#' scripts/unicorn-package.txt)
UC_PACKAGE=$1 UC_VERSION=$2 UC_SUITE=$3 UC_SHA256=$4

system_packages() {
  $SUDO apt-get update -qq
  # shellcheck disable=SC2046
  $SUDO apt-get install -y -qq --no-install-recommends $(cat scripts/debian-packages.txt) "$@"
}

# Debian 12: Debian 13's Unicorn package into deps/unicorn, through a private apt configuration.
local_unicorn() {
  apt_dir="$ROOT/deps/apt"
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/download"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $UC_SUITE main" \
    > "$apt_dir/sources.list"
  set -- -o Dir::Etc::SourceList="$apt_dir/sources.list" -o Dir::Etc::SourceParts=/nonexistent \
    -o Dir::State::Lists="$apt_dir/lists" -o Dir::Cache="$apt_dir/cache" \
    -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= -o Debug::NoLocking=1 \
    -o APT::Sandbox::User=root
  apt-get "$@" -qq update
  (cd "$apt_dir/download" && rm -f ./*.deb && apt-get "$@" -qq download "$UC_PACKAGE=$UC_VERSION")
  deb=$(ls "$apt_dir"/download/*.deb)
  if [ "$(sha256sum "$deb" | cut -d' ' -f1)" != "$UC_SHA256" ]; then
    echo "install-deps: $deb does not have the pinned SHA-256 $UC_SHA256" >&2
    exit 1
  fi
  rm -rf "$ROOT/deps/unicorn"
  dpkg-deb -x "$deb" "$ROOT/deps/unicorn"
  echo "install-deps: Unicorn $UC_VERSION unpacked into deps/unicorn"
}

case "${ID:-}:${VERSION_ID:-}" in
  debian:12)
    system_packages
    local_unicorn
    ;;
  debian:13)
    system_packages "$UC_PACKAGE"
    ;;
  *)
    echo "install-deps: hvlab is set up for Debian 12 and 13; this is ${PRETTY_NAME:-an unknown system}" >&2
    exit 2
    ;;
esac
npm ci --no-audit --no-fund
