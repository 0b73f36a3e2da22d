#!/usr/bin/env bash
# Runs `molecule test` for every scenario of every role under roles/ (CI entry point for the Ansible content).
# Needs podman and the image localhost/colo-debian:12 (scripts/setup.d/30-ansible.sh). Prints one timing line
# per scenario; exits non-zero when any scenario fails.
set -uo pipefail
cd "$(dirname "$0")/.."
export CONTAINERS_CONF="${CONTAINERS_CONF:-$PWD/provisioner/lab/containers.conf}"
export ANSIBLE_FORCE_COLOR=0 PY_COLORS=0
failed=()
for scenario_dir in roles/*/molecule/*/; do
  [ -f "$scenario_dir/molecule.yml" ] || continue
  role_dir=${scenario_dir%/molecule/*}
  scenario=$(basename "$scenario_dir")
  log=$(mktemp)
  start=$(date +%s)
  if (cd "$role_dir" && molecule test -s "$scenario") >"$log" 2>&1; then
    echo "PASS $(basename "$role_dir")/$scenario $(( $(date +%s) - start ))s"
  else
    echo "FAIL $(basename "$role_dir")/$scenario $(( $(date +%s) - start ))s"
    tail -60 "$log"
    failed+=("$(basename "$role_dir")/$scenario")
  fi
  rm -f "$log"
done
[ ${#failed[@]} -eq 0 ] || { echo "failed: ${failed[*]}"; exit 1; }
