#!/bin/sh
# The reliability suite (tests/reliability): bad input, security, faults, crashes, load.
# Prints the figures at the end: cases tried, faults survived, leaks found.
#   scripts/reliability.sh          everything, the soak runs too (the lab tests need root; about 40 minutes)
#   scripts/reliability.sh --quick  only what needs no lab and is fast (about a minute)
#   any other arguments go to pytest (e.g. -k crash)
set -eu
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
if [ "${1:-}" = "--quick" ]; then
    shift
    exec python3 -m pytest tests/reliability -m "not lab and not slow" -q "$@"
fi
exec python3 -m pytest tests/reliability -m "soak or not soak" -q --durations=0 "$@"
