#!/usr/bin/env bash
# Make sure `docker-compose` exists, so docker-compose.yml can be validated
# (`docker-compose -f docker-compose.yml config`) without a Docker engine.
exec bash "$(dirname "${BASH_SOURCE[0]}")/ensure-apt.sh" docker-compose docker-compose
