#!/usr/bin/env bash
# `npm run console -- <gateway-url> <admin-token> [--refresh <seconds>]`: the operators' terminal UI
# (apps/console). Builds first when the sources changed, like `npm start`, then runs it in this terminal.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_deps
ensure_build
exec node dist/apps/console/src/main.js "$@"
