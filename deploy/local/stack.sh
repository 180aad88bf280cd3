#!/usr/bin/env bash
# `npm run stack:up` / `npm run stack:down`: the local stack without Docker.
# up: checks Postgres and Redis at DATABASE_URL / REDIS_URL, starts the Kafka broker (fetching its
# jars once). Topics are created by whoever runs Gantry (`npm start`, `npm run topics`, the tests).
# down: stops the broker (Postgres and Redis are not ours).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

case "${1:-up}" in
  up)
    ensure_deps
    node deploy/local/check-services.js
    bash deploy/local/kafka.sh up
    ;;
  down)
    bash deploy/local/kafka.sh down
    ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
