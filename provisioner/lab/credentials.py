"""The lab's generated secrets: each switch's login, the servers' root SSH key, the DNS update key (TSIG) and
the password of the people's signing keys, in <state>/credentials.env."""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Callable
from pathlib import Path

from provisioner.lab.bind import DNS_SECRET_VARIABLE
from provisioner.lab.ca import SIGNING_PASSWORD_VARIABLE
from provisioner.lab.layout import LAB_SWITCHES
from provisioner.lab.noc import NOC_CREDENTIALS
from provisioner.lab.sh import run
from provisioner.secrets import env_prefix, read_dotenv

SWITCH_USER = "colo"


def credentials_file(lab_dir: Path) -> Path:
    return lab_dir / "credentials.env"


def ssh_key(lab_dir: Path) -> Path:
    """The private key that logs in to every lab server as root."""
    return lab_dir / "ssh" / "id_ed25519"


def tsig_secret() -> str:
    """A new HMAC-SHA256 TSIG secret, base64 (what `tsig-keygen` would print)."""
    return base64.b64encode(secrets.token_bytes(32)).decode()


def signing_password() -> str:
    """A new password for the people's PKCS#12 signing keys."""
    return secrets.token_urlsafe(18)


ZABBIX_CREDENTIALS = "zabbix-lab"
"""The credentials name of the Zabbix API user in inventories/lab-zabbix (Admin, a password of the lab's)."""
ZABBIX_USERNAME_VARIABLE = f"{env_prefix(ZABBIX_CREDENTIALS)}_USERNAME"
ZABBIX_PASSWORD_VARIABLE = f"{env_prefix(ZABBIX_CREDENTIALS)}_PASSWORD"


def ensure_credentials(lab_dir: Path) -> dict[str, str]:
    """Generate the key pair and each lab switch's login once, into the credentials file (mode 0600); return
    the file's variables. A file written before a switch was added gains that switch's login."""
    key = ssh_key(lab_dir)
    if not key.exists():
        key.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "colo-lab", "-f", str(key)])
    path = credentials_file(lab_dir)
    values = read_dotenv(path) if path.exists() else {"COLO_SSH_USER": "root", "COLO_SSH_KEY": str(key)}
    fields = ("USERNAME", "PASSWORD", "ENABLE")
    names = [f"{env_prefix(switch.credentials)}_{field}" for switch in LAB_SWITCHES for field in fields]
    missing = {name: SWITCH_USER if name.endswith("_USERNAME") else secrets.token_urlsafe(18)
               for name in names if name not in values}
    noc = env_prefix(NOC_CREDENTIALS)
    later: dict[str, Callable[[], str]] = {
        DNS_SECRET_VARIABLE: tsig_secret, SIGNING_PASSWORD_VARIABLE: signing_password,
        ZABBIX_USERNAME_VARIABLE: lambda: "Admin", ZABBIX_PASSWORD_VARIABLE: signing_password,
        f"{noc}_USERNAME": lambda: "root", f"{noc}_KEY_FILE": lambda: str(key)}
    missing |= {name: make() for name, make in later.items() if name not in values}  # also an older file
    if missing or not path.exists():
        values.update(missing)
        fd = os.open(path.with_suffix(".tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.writelines(f"{name}={value}\n" for name, value in values.items())
        os.replace(path.with_suffix(".tmp"), path)
    return values


def public_key(lab_dir: Path) -> str:
    """The public half of the servers' root key."""
    return ssh_key(lab_dir).with_suffix(".pub").read_text()
