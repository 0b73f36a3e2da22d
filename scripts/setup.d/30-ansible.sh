#!/usr/bin/env bash
# The Molecule scenarios of roles/ run on the lab's server image: import it into podman (idempotent; the
# image module skips the import when the same build is already there). Run as root.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHONPATH=$PWD python3 -m provisioner.lab.image podman >/dev/null
