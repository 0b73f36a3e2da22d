#!/usr/bin/env bash
# Runs the PostgreSQL twins of the CLI tests (marker `twin`): the same commands as their SQLite runs, on a
# throwaway PostgreSQL server. CI runs one full walk of the SOP on PostgreSQL and the register's own tests there.
set -eu
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
exec python3 -m pytest -m twin -q "$@"
