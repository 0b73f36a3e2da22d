#!/usr/bin/env bash
# The Ansible content: build the collection diskominfo.colo (galaxy.yml) and install it system-wide, so that
# ansible-playbook diskominfo.colo.<playbook>, ansible-lint and AWX-style runs find its roles; offline (the
# collection depends on ansible.builtin only). Then the Molecule scenarios' image: the lab's server image
# imported into podman (idempotent; the image module skips the import when the same build is there). Run as root.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p build
ansible-galaxy collection build --force --output-path build/ >/dev/null
ansible-galaxy collection install --offline --force -p /usr/share/ansible/collections \
  "build/diskominfo-colo-$(python3 -c 'import yaml; print(yaml.safe_load(open("galaxy.yml"))["version"])').tar.gz" \
  >/dev/null
PYTHONPATH=$PWD python3 -m provisioner.lab.image podman >/dev/null
