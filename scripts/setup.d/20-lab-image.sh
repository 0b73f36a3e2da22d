#!/usr/bin/env bash
# Builds the lab's Debian 12 server image (debootstrap, cached) and imports it into podman for Molecule.
# Idempotent: both steps do nothing when the cached image is current. Run as root from the repository.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$PWD/provisioner/lab/containers.conf}"
echo "lab image: $(python3 -m provisioner.lab.image build)"
echo "podman image: $(python3 -m provisioner.lab.image podman)"
