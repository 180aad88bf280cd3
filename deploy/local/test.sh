#!/usr/bin/env bash
# `npm test`: installs what is missing, brings up the local stack, builds (the crash test runs the
# built worker as a real process), type-checks everything including tests, then runs the unit and
# integration tests against the real Kafka, Postgres and Redis. Ends with `N passed, N failed`.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
set -e
bash deploy/local/stack.sh up
ensure_build
echo "[test] type-checking" >&2
npx tsc -p tsconfig.json --noEmit
set +e

report="$(mktemp)"
# --forceExit: once every suite has reported, a client connection some test left open (seen once,
# intermittently, to the broker) would otherwise hold Jest until the broker drops it as idle,
# 10 minutes later. The results are already written; only the wait goes.
npx jest --runInBand --forceExit --json --outputFile="$report" "$@"
status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests + r.numRuntimeErrorTestSuites} failed`);
' "$report" 2>/dev/null || echo "0 passed, 1 failed"
rm -f "$report"
exit $status
