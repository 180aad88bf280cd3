#!/usr/bin/env bash
# `npm run bench [-- --quick] [-- --only ingest,pipeline] [-- --profile]`: brings up the local stack,
# builds Gantry if sources changed, then runs bench/run.ts (TypeScript loaded by bench/register.js).
# Never part of `npm test`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../deploy/local/common.sh"
bash deploy/local/stack.sh up
ensure_build
exec node -r ./bench/register.js bench/run.ts "$@"
