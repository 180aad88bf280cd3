#!/usr/bin/env bash
# Make sure a `docker-compose` command exists, so docker-compose.yml can be validated
# (`docker-compose -f docker-compose.yml config`) without a Docker engine.
#
#   deploy/local/ensure-compose.sh     exit 0 when docker-compose is (now) installed
#
# When it is missing, installs Debian's `docker-compose` package with apt-get (as root, or through
# sudo without a password). Exits non-zero with a message saying what to do when it cannot.
set -euo pipefail

log() { printf '[ensure-compose] %s\n' "$*" >&2; }

if command -v docker-compose >/dev/null 2>&1; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  log "docker-compose is missing and apt-get is not available (not a Debian/Ubuntu system)."
  log "Install Docker Compose yourself: https://docs.docker.com/compose/install/"
  exit 1
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  else
    log "docker-compose is missing and installing it needs root (no passwordless sudo)."
    log "Run as root: apt-get update && apt-get install -y docker-compose"
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
log "docker-compose not found; installing Debian's docker-compose package with apt-get"
if ! ${SUDO[@]+"${SUDO[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2; then
  log "apt-get update failed (no network or no package sources?); cannot install docker-compose."
  exit 1
fi
if ! ${SUDO[@]+"${SUDO[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold docker-compose >&2; then
  log "apt-get install docker-compose failed; install it yourself and re-run."
  exit 1
fi

if ! command -v docker-compose >/dev/null 2>&1; then
  log "docker-compose still not on PATH after installing the package."
  exit 1
fi
log "installed: $(docker-compose version --short 2>/dev/null || docker-compose --version)"
