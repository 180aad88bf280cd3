#!/usr/bin/env bash
# Make sure a command exists, installing its Debian package with apt-get when it is missing.
#
#   deploy/local/ensure-apt.sh <command> <package>   exit 0 when <command> is (now) on PATH
#
# Installs as root, or through sudo without a password. Exits non-zero with a message saying
# what to do when it cannot. Used by tests that need a tool from outside npm (docker-compose, tmux).
set -euo pipefail
CMD="${1:?usage: ensure-apt.sh <command> <package>}"
PKG="${2:?usage: ensure-apt.sh <command> <package>}"

log() { printf '[ensure-%s] %s\n' "$CMD" "$*" >&2; }

if command -v "$CMD" >/dev/null 2>&1; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  log "$CMD is missing and apt-get is not available (not a Debian/Ubuntu system)."
  log "Install $PKG with your system's package manager."
  exit 1
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  else
    log "$CMD is missing and installing it needs root (no passwordless sudo)."
    log "Run as root: apt-get update && apt-get install -y $PKG"
    exit 1
  fi
fi

log "$CMD not found; installing Debian's $PKG package with apt-get"
if ! ${SUDO[@]+"${SUDO[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2; then
  log "apt-get update failed (no network or no package sources?); cannot install $PKG."
  exit 1
fi
if ! ${SUDO[@]+"${SUDO[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$PKG" >&2; then
  log "apt-get install $PKG failed; install it yourself and re-run."
  exit 1
fi

if ! command -v "$CMD" >/dev/null 2>&1; then
  log "$CMD still not on PATH after installing $PKG."
  exit 1
fi
log "installed $PKG"
