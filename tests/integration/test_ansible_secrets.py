"""Secrets reach Ansible through a vault file and never appear in ansible-runner's artifacts."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import pytest
from ansible.constants import DEFAULT_VAULT_ID_MATCH
from ansible.parsing.vault import VaultLib, VaultSecret

from provisioner.runner import HostTarget, run_playbook

PLAYBOOK = """\
- name: Use a secret
  hosts: all
  gather_facts: false
  vars_files: [secret.vault.yml]
  tasks:
    - name: Write the secret where the server needs it
      ansible.builtin.copy:
        content: "{{ colo_test_secret }}"
        dest: "{{ out_file }}"
        mode: "0600"
      no_log: true
    - name: Look at the controller's environment
      ansible.builtin.assert:
        that: lookup('ansible.builtin.env', 'COLO_CRED_SW_LAB_PASSWORD') == ''
"""


@pytest.mark.slow
def test_known_secret_is_in_no_artifact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = f"colo-secret-{secrets.token_hex(12)}"
    env_secret = f"colo-env-secret-{secrets.token_hex(12)}"
    vault_password = f"colo-vault-{secrets.token_hex(12)}"
    monkeypatch.setenv("COLO_CRED_SW_LAB_PASSWORD", env_secret)

    work = tmp_path / "play"
    work.mkdir()
    vault = VaultLib([(DEFAULT_VAULT_ID_MATCH, VaultSecret(vault_password.encode()))])
    (work / "secret.vault.yml").write_bytes(vault.encrypt(f"colo_test_secret: {secret}\n"))
    (work / "use_secret.yml").write_text(PLAYBOOK)
    password_file = tmp_path / "vault-pass"
    password_file.write_text(vault_password)
    out_file = tmp_path / "server-side-secret"
    run_dir = tmp_path / "REQ-2026-0001"

    local = HostTarget("local", "127.0.0.1", "root", tmp_path / "no-key",
                       hostvars={"ansible_connection": "local", "ansible_python_interpreter": sys.executable})
    result = run_playbook(str(work / "use_secret.yml"), [local], {"out_file": str(out_file)}, run_dir,
                          vault_password_file=password_file)

    assert result.ok, result.failed_tasks
    assert out_file.read_text() == secret  # the secret did reach its use
    files = [p for p in run_dir.rglob("*") if p.is_file()]
    assert any(p.parent.name == "job_events" for p in files)
    assert any(p.name == "command" for p in files)
    for path in files:
        data = path.read_bytes()
        for value in (secret, env_secret, vault_password):
            assert value.encode() not in data, f"{value[:12]}... found in {path}"
