#!/usr/bin/env bash
# `npm start`: installs what is missing, brings up the local stack, builds, and runs every app in
# one process (src/main.ts migrates and creates topics itself) with the vLLM simulator as backend.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bash deploy/local/stack.sh up
ensure_build
exec node dist/src/main.js
