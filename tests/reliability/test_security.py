"""No one gets in and nothing leaks: file modes, changed host keys refused, and no secret value in any byte
a whole demo run leaves behind (register, logs, ansible-runner artifacts, documents, mail).
"""

from __future__ import annotations

import os
import secrets
import stat
import subprocess
from pathlib import Path

import pytest
import yaml
from reliability_lab import approved, clean_up, colo, own_site, placement_of, port_config, server_state
from reliability_support import (
    EXAMPLE_REQUEST,
    HEAD_OF_DIVISION,
    SECTION_HEAD,
    SITE,
    Figures,
    dump_register,
    run_colo,
    run_colo_process,
)

from provisioner.register.db import open_register
from tests.integration.conftest import LabHandle


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_register_and_documents_modes(tmp_path: Path, figures: Figures) -> None:
    """The register file is created 0600 in a 0700 folder; documents are 0640, whatever the umask."""
    env = {"COLO_DB": f"sqlite:///{tmp_path / 'reg' / 'register.db'}", "COLO_OUTPUT": str(tmp_path / "docs")}
    old = os.umask(0o000)
    try:
        submitted = run_colo(["request", "submit", str(EXAMPLE_REQUEST)], env)
        assert submitted.code == 0, submitted.err
        request_id = submitted.out.strip()
        disposed = run_colo(["dispose", request_id, "--by", HEAD_OF_DIVISION, "--to", SECTION_HEAD], env)
        assert disposed.code == 0, disposed.err
    finally:
        os.umask(old)
    figures.case(3)
    assert _mode(tmp_path / "reg" / "register.db") == 0o600
    assert _mode(tmp_path / "reg") == 0o700
    documents = [p for p in (tmp_path / "docs").rglob("*") if p.is_file()]
    assert documents
    assert {p.name: _mode(p) for p in documents} == {p.name: 0o640 for p in documents}


@pytest.mark.lab
@pytest.mark.slow
def test_switch_host_key_changed_is_refused(lab: LabHandle, tmp_path: Path, figures: Figures) -> None:
    """A switch that shows another key than at first contact: `colo provision` refuses, sends nothing."""
    from provisioner.register.network_models import SwitchHostKeyRecord

    site = own_site(tmp_path)
    url = f"sqlite:///{tmp_path / 'reg' / 'register.db'}"
    register = open_register(url)
    request_id = approved(register, lab.lab, site, "lab-srv4", "keysw", 2011, cable=False)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "k")], check=True)
    key_type, key_b64 = (tmp_path / "k.pub").read_text().split()[:2]
    with register.session() as session:
        session.add(SwitchHostKeyRecord(switch="sw-lab-01", host="127.0.0.1", port=2201, key_type=key_type,
                                        key_base64=key_b64, fingerprint="first contact"))
    figures.case()
    for args in (["provision", request_id, "--check"], ["provision", request_id, "--yes"]):
        run = colo(args, url, site, lab.lab)
        assert run.code == 3, run.out + run.err
        assert "host key changed" in run.err and "nothing was sent" in run.err, run.err
        assert "Traceback" not in run.out + run.err
    figures.fault()
    with register.session() as session:
        assert session.get(SwitchHostKeyRecord, "sw-lab-01").key_base64 == key_b64  # the pin stays
    with register.session() as session:
        session.delete(session.get(SwitchHostKeyRecord, "sw-lab-01"))
    clean_up(register, site, request_id, lab.lab, "lab-srv4")


@pytest.mark.lab
@pytest.mark.slow
def test_server_host_key_changed_is_refused(lab: LabHandle, tmp_path: Path, figures: Figures) -> None:
    """A server whose SSH host key differs from the one kept: refused before anything runs on it."""
    site = own_site(tmp_path)
    url = f"sqlite:///{tmp_path / 'reg' / 'register.db'}"
    register = open_register(url)
    request_id = approved(register, lab.lab, site, "lab-srv5", "keysrv", 2012)
    staging = lab.host("lab-srv5").staging_address
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "k")], check=True)
    fake = (tmp_path / "k.pub").read_text().split()[:2]
    (tmp_path / "reg" / "known_hosts").write_text(f"{staging} {fake[0]} {fake[1]}\n")
    port = placement_of(register, request_id)["port"]
    switch_before, server_before = port_config(register, site, port), server_state(lab.lab, "lab-srv5")
    figures.case()
    try:
        run = colo(["provision", request_id, "--yes"], url, site, lab.lab)
        assert run.code != 0, run.out
        assert "Traceback" not in run.out + run.err
        assert "host key" in run.err.lower() or "host identification" in run.err.lower(), run.err
        assert port_config(register, site, port) == switch_before
        assert server_state(lab.lab, "lab-srv5") == server_before
        figures.fault()
    finally:
        clean_up(register, site, request_id, lab.lab, "lab-srv5")


def _vault(tmp_path: Path, lab: LabHandle, vault_password: str) -> dict[str, str]:
    """An ansible-vault file holding the lab switch login and SSH key path, and its password file."""
    from ansible.parsing.vault import VaultLib, VaultSecret

    creds = lab.credentials_env
    plain = {"credentials": {"sw-lab": {"username": creds["COLO_CRED_SW_LAB_USERNAME"],
                                        "password": creds["COLO_CRED_SW_LAB_PASSWORD"],
                                        "enable": creds["COLO_CRED_SW_LAB_ENABLE"]}},
             "ssh": {"user": "root", "key_file": creds["COLO_SSH_KEY"]}}
    password_file = tmp_path / "vault-password"
    password_file.write_text(vault_password + "\n")
    password_file.chmod(0o600)
    vault = VaultLib([("default", VaultSecret(vault_password.encode()))])
    (tmp_path / "vault.yml").write_bytes(vault.encrypt(yaml.safe_dump(plain)))
    return {"COLO_VAULT_FILE": str(tmp_path / "vault.yml"), "COLO_VAULT_PASSWORD_FILE": str(password_file),
            "COLO_CREDENTIALS_FILE": ""}


def _secret_values(lab: LabHandle, vault_password: str) -> dict[str, str]:
    """Every secret of the run, and the distinctive lines of the SSH private key."""
    creds = lab.credentials_env
    found = {"switch password": creds["COLO_CRED_SW_LAB_PASSWORD"],
             "enable secret": creds["COLO_CRED_SW_LAB_ENABLE"], "vault password": vault_password}
    key_lines = Path(creds["COLO_SSH_KEY"]).read_text().splitlines()
    body = [line for line in key_lines if "PRIVATE KEY" not in line]
    found.update({f"ssh private key line {n}": line for n, line in enumerate(body) if len(line) >= 16})
    return found


def _scan(roots: list[Path], values: dict[str, str]) -> list[str]:
    """Every (file, secret name) where the secret's bytes appear."""
    hits = []
    for root in roots:
        files = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file()]
        for path in files:
            data = path.read_bytes()
            hits += [f"{path}: {name}" for name, value in values.items() if value.encode() in data]
    return hits


@pytest.mark.lab
@pytest.mark.slow
def test_demo_leaves_no_secret(lab: LabHandle, tmp_path: Path, figures: Figures) -> None:
    """`colo demo` with the switch login in an ansible-vault: not one secret byte in what the run left.

    The demo runs as users run it (the lab site, lab-srv1); afterwards its server is decommissioned.
    """
    vault_password = "vault-" + secrets.token_urlsafe(24)
    work = tmp_path / "work"
    work.mkdir()
    env = {**_vault(tmp_path, lab, vault_password), "COLO_DB": "", "COLO_OUTPUT": "", "COLO_SITE": "",
           "COLO_CRED_SW_LAB_USERNAME": "", "COLO_CRED_SW_LAB_PASSWORD": "", "COLO_CRED_SW_LAB_ENABLE": "",
           "COLO_SSH_KEY": "", "COLO_SSH_USER": ""}
    run = run_colo_process(["--site", str(SITE), "demo", "--json"], env, timeout=900, cwd=work)
    register_url = f"sqlite:///{work / '.colo' / 'register.db'}"
    try:
        assert run.code == 0, run.out[-3000:] + run.err[-3000:]
        dump = work / "register-dump.txt"
        dump.write_text(repr(dump_register(register_url)))
        roots = [work, dump, lab.lab.dir / "log", lab.lab.dir / "prometheus" / "file_sd"]
        values = _secret_values(lab, vault_password)
        hits = _scan(roots, values)
        hits += [f"demo output: {n}" for n, v in values.items() if v in run.out + run.err]
        for hit in hits:
            figures.leak(hit)
        scanned = sum(1 for r in roots for p in ([r] if r.is_file() else r.rglob("*")) if p.is_file())
        figures.case(scanned)
        assert scanned > 20
        assert any(p.suffix == ".eml" for p in work.rglob("*")), "the demo left no mail to scan"
        assert any("artifacts" in p.parts for p in work.rglob("*")), "no ansible-runner artifacts to scan"
        assert hits == []
    finally:
        if (work / ".colo" / "register.db").exists():
            register = open_register(register_url)
            for request_id in dump_register(register_url)["requests"]:
                clean_up(register, SITE, str(request_id[0]), lab.lab, "lab-srv1")
