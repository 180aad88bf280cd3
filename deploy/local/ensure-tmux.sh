#!/usr/bin/env bash
# Make sure `tmux` exists, so the console test can drive the terminal UI (send-keys, capture-pane).
#
#   deploy/local/ensure-tmux.sh     exit 0 when tmux is (now) installed
#
# When it is missing, installs Debian's `tmux` package with apt-get (as root, or through sudo
# without a password). Exits non-zero with a message saying what to do when it cannot.
set -euo pipefail

log() { printf '[ensure-tmux] %s\n' "$*" >&2; }

if command -v tmux >/dev/null 2>&1; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  log "tmux is missing and apt-get is not available (not a Debian/Ubuntu system)."
  log "Install tmux with your system's package manager (e.g. brew install tmux, dnf install tmux)."
  exit 1
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  else
    log "tmux is missing and installing it needs root (no passwordless sudo)."
    log "Run as root: apt-get update && apt-get install -y tmux"
    exit 1
  fi
fi

log "tmux not found; installing Debian's tmux package with apt-get"
if ! ${SUDO[@]+"${SUDO[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2; then
  log "apt-get update failed (no network or no package sources?); cannot install tmux."
  exit 1
fi
if ! ${SUDO[@]+"${SUDO[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold tmux >&2; then
  log "apt-get install tmux failed; install it yourself and re-run."
  exit 1
fi

if ! command -v tmux >/dev/null 2>&1; then
  log "tmux still not on PATH after installing the package."
  exit 1
fi
log "installed: $(tmux -V)"
