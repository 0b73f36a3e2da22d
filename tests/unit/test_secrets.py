"""Credential resolution: environment, then ansible-vault, then a 0600 dotenv file; secrets never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from provisioner.errors import BadInput
from provisioner.facility import load_facility
from provisioner.secrets import CredentialSource, ssh_identity, switch_credentials

ROOT = Path(__file__).resolve().parents[2]

ENV = ("COLO_CRED_SW_LAB_USERNAME", "COLO_CRED_SW_LAB_PASSWORD", "COLO_CRED_SW_LAB_ENABLE", "COLO_VAULT_FILE",
       "COLO_VAULT_PASSWORD_FILE", "COLO_CREDENTIALS_FILE", "COLO_SSH_KEY", "COLO_SSH_USER")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ENV:
        monkeypatch.delenv(key, raising=False)


def dotenv(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "credentials.env"
    path.write_text(text)
    path.chmod(mode)
    return path


def vault(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    from ansible.parsing.vault import VaultLib, VaultSecret  # type: ignore[import-untyped]

    (tmp_path / "vault-pass").write_text("vault-pw\n")
    (tmp_path / "vault.yml").write_bytes(VaultLib([("default", VaultSecret(b"vault-pw"))]).encrypt(text))
    monkeypatch.setenv("COLO_VAULT_FILE", str(tmp_path / "vault.yml"))
    monkeypatch.setenv("COLO_VAULT_PASSWORD_FILE", str(tmp_path / "vault-pass"))


def test_environment_comes_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLO_CRED_SW_LAB_USERNAME", "env-user")
    monkeypatch.setenv("COLO_CRED_SW_LAB_PASSWORD", "env-pass")
    vault(tmp_path, monkeypatch, "credentials: {sw-lab: {username: v, password: vp}}\n")
    creds = switch_credentials("sw-lab")
    assert (creds.username, creds.password, creds.enable) == ("env-user", "env-pass", "")
    assert "env-pass" not in repr(creds)


def test_vault_before_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    vault(tmp_path, monkeypatch, "credentials: {sw-lab: {username: v, password: vp, enable: ve}}\n")
    monkeypatch.setenv("COLO_CREDENTIALS_FILE", str(dotenv(
        tmp_path, "COLO_CRED_SW_LAB_USERNAME=d\nCOLO_CRED_SW_LAB_PASSWORD=dp\n")))
    creds = switch_credentials("sw-lab")
    assert (creds.username, creds.password, creds.enable) == ("v", "vp", "ve")


def test_dotenv_last_and_must_be_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = dotenv(tmp_path, "export COLO_CRED_SW_LAB_USERNAME='d'\nCOLO_CRED_SW_LAB_PASSWORD=\"dp\"\n"
                            "COLO_SSH_KEY=/k/id_ed25519\n")
    monkeypatch.setenv("COLO_CREDENTIALS_FILE", str(path))
    assert switch_credentials("sw-lab").password == "dp"
    assert ssh_identity().key_file == Path("/k/id_ed25519") and ssh_identity().user == "root"
    path.chmod(0o644)
    with pytest.raises(BadInput, match="chmod 600"):
        switch_credentials("sw-lab")


def test_the_sites_credentials_file_when_the_environment_names_none(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    site = dotenv(tmp_path, "COLO_CRED_SW_LAB_USERNAME=s\nCOLO_CRED_SW_LAB_PASSWORD=sp\n"
                            "COLO_SSH_KEY=/site/key\n")
    source = CredentialSource(site)
    assert source.switch_credentials("sw-lab").password == "sp"
    assert source.ssh_identity().key_file == Path("/site/key")
    (tmp_path / "env").mkdir()
    monkeypatch.setenv("COLO_CREDENTIALS_FILE", str(dotenv(
        tmp_path / "env", "COLO_CRED_SW_LAB_USERNAME=e\nCOLO_CRED_SW_LAB_PASSWORD=ep\n"
                          "COLO_SSH_KEY=/env/key\n")))
    assert source.switch_credentials("sw-lab").password == "ep"  # the environment wins
    assert source.ssh_identity().key_file == Path("/env/key")


def test_the_lab_site_names_the_labs_credentials_file(monkeypatch: pytest.MonkeyPatch) -> None:
    from provisioner.lab.credentials import credentials_file
    from provisioner.lab.layout import state_dir

    monkeypatch.delenv("COLO_LAB_DIR", raising=False)
    assert load_facility(ROOT / "inventories" / "lab").credentials_file == credentials_file(state_dir())
    assert load_facility(ROOT / "inventories" / "example").credentials_file is None


def test_missing_credentials_name_the_variables_not_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLO_CRED_SW_LAB_PASSWORD", "only-the-password")
    with pytest.raises(BadInput) as missing:
        switch_credentials("sw-lab")
    assert "COLO_CRED_SW_LAB_USERNAME" in missing.value.message
    assert "only-the-password" not in missing.value.message


def test_wrong_vault_password_is_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    vault(tmp_path, monkeypatch, "credentials: {}\n")
    (tmp_path / "vault-pass").write_text("wrong\n")
    with pytest.raises(BadInput, match="cannot decrypt"):
        switch_credentials("sw-lab")


def test_a_site_hands_its_credentials_file_relative_to_its_folder(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    text = (ROOT / "inventories" / "example" / "facility.yml").read_text()
    (site / "facility.yml").write_text(text + "\ncredentials_file: secrets.env\n")
    dotenv(site, "COLO_CRED_SW_LAB_USERNAME=f\nCOLO_CRED_SW_LAB_PASSWORD=fp\n").rename(site / "secrets.env")
    source = load_facility(site).credential_source()
    assert source.site_file == site / "secrets.env"
    assert source.switch_credentials("sw-lab").password == "fp"
    assert load_facility(ROOT / "inventories" / "example").credential_source().site_file is None


def test_the_monitoring_hosts_ssh_login_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    from provisioner.secrets import ssh_login

    monkeypatch.setenv("COLO_CRED_NOC_UNIT_USERNAME", "colo")
    with pytest.raises(BadInput, match="COLO_CRED_NOC_UNIT_KEY_FILE"):
        ssh_login("noc-unit")
    monkeypatch.setenv("COLO_CRED_NOC_UNIT_KEY_FILE", "/etc/colo/noc.key")
    login = ssh_login("noc-unit")
    assert (login.username, login.key_file) == ("colo", Path("/etc/colo/noc.key"))
