"""Switch credentials, TSIG keys and the servers' SSH identity, resolved by name from the environment or a
vault.

Resolution order for a credentials name N (e.g. ``sw-lab``), the first source that has it wins:

1. environment variables ``COLO_CRED_<N>_USERNAME`` / ``_PASSWORD`` / ``_ENABLE``
   (N upper-cased, ``-`` -> ``_``);
2. the ansible-vault YAML file ``$COLO_VAULT_FILE`` (password in ``$COLO_VAULT_PASSWORD_FILE``), keys
   ``credentials.<N>.{username,password,enable}``;
3. the dotenv file ``$COLO_CREDENTIALS_FILE`` (mode 0600) holding the same variable names as the environment,
   else the one the site's facility.yml names (``credentials_file``),
   handed down as a :class:`CredentialSource`.

A TSIG key for DNS updates (:func:`tsig_key`) goes the same way with ``_SECRET`` (base64), ``_KEY_NAME`` and
``_ALGORITHM`` (vault keys ``credentials.<N>.{secret,key_name,algorithm}``); only the secret is required.

The server SSH identity (``COLO_SSH_USER``, default ``root``, and ``COLO_SSH_KEY``, a private key file) goes
through the same sources (vault keys ``ssh.user`` / ``ssh.key_file``). Secret values never appear in reprs or
error messages.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from provisioner.errors import BadInput
from provisioner.safe_yaml import load_yaml_text, read_text_file

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")
_DOTENV_LINE = re.compile(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$")


@dataclass(frozen=True)
class SwitchCredentials:
    """Login and enable secrets for one switch credentials name."""

    name: str
    username: str
    password: str = field(repr=False)
    enable: str = field(repr=False, default="")


@dataclass(frozen=True)
class TsigKey:
    """A TSIG key for signed DNS updates: the name the DNS server knows it by, its secret, its algorithm."""

    name: str
    secret: str = field(repr=False)
    algorithm: str = "hmac-sha256"


@dataclass(frozen=True)
class SshIdentity:
    """The user and private key file the tool logs in to servers with."""

    user: str
    key_file: Path


def env_prefix(name: str) -> str:
    """``sw-lab`` -> ``COLO_CRED_SW_LAB``; BadInput for a name that cannot be a variable name."""
    if not _NAME.match(name):
        raise BadInput(f"credentials name {name!r}: use letters, digits, '-' and '_' only")
    return "COLO_CRED_" + name.upper().replace("-", "_")


def read_dotenv(path: Path) -> dict[str, str]:
    """Variables of a dotenv file that only its owner can read (``KEY=VALUE``, optional quotes/export)."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise BadInput(f"{path}: cannot read the credentials file: {exc.strerror or exc}") from None
    if stat.S_IMODE(mode) & 0o077:
        raise BadInput(f"{path}: the credentials file must be readable by its owner only (chmod 600)")
    values: dict[str, str] = {}
    for number, raw in enumerate(read_text_file(path, 64 * 1024).splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _DOTENV_LINE.match(line)
        if match is None:
            raise BadInput(f"{path}: line {number} is not KEY=VALUE")
        key, value = match.group(1), match.group(2).strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key] = value
    return values


def _vault_data() -> Mapping[str, object] | None:
    """The decrypted vault document, or None when no vault is configured."""
    vault_file = os.environ.get("COLO_VAULT_FILE")
    if not vault_file:
        return None
    password_file = os.environ.get("COLO_VAULT_PASSWORD_FILE")
    if not password_file:
        raise BadInput("COLO_VAULT_FILE is set but COLO_VAULT_PASSWORD_FILE (the vault password file) is not")
    from ansible.parsing.vault import (  # type: ignore[import-untyped]
        AnsibleVaultError,
        VaultLib,
        VaultSecret,
    )

    password = read_text_file(Path(password_file), 4096).strip().encode()
    try:
        raw = Path(vault_file).read_bytes()
        plain = VaultLib([("default", VaultSecret(password))]).decrypt(raw)
    except OSError as exc:
        raise BadInput(f"{vault_file}: cannot read the vault: {exc.strerror or exc}") from None
    except AnsibleVaultError:
        raise BadInput(f"{vault_file}: cannot decrypt the vault with the given password file") from None
    data = load_yaml_text(plain.decode("utf-8"), vault_file)
    if not isinstance(data, Mapping):
        raise BadInput(f"{vault_file}: the vault must hold a mapping")
    return data


def _vault_section(data: Mapping[str, object] | None, *path: str) -> Mapping[str, object]:
    node: object = data or {}
    for key in path:
        node = node.get(key, {}) if isinstance(node, Mapping) else {}
    return node if isinstance(node, Mapping) else {}


@dataclass(frozen=True)
class CredentialSource:
    """Where one site's secrets come from: the environment, the vault, then the dotenv file
    ($COLO_CREDENTIALS_FILE, else ``site_file``, the one the site's facility.yml names: the environment
    wins)."""

    site_file: Path | None = None

    def dotenv_file(self) -> Path | None:
        """The dotenv file read last: $COLO_CREDENTIALS_FILE, else the site's."""
        named = os.environ.get("COLO_CREDENTIALS_FILE")
        return Path(named) if named else self.site_file

    def variable(self, name: str) -> str | None:
        """The variable ``name`` from the environment, else from the dotenv file (3. above)."""
        return environment_variable(name, credentials_file=self.dotenv_file())

    def switch_credentials(self, name: str) -> SwitchCredentials:
        """Credentials for `name` (see :func:`switch_credentials`)."""
        return switch_credentials(name, credentials_file=self.dotenv_file())

    def tsig_key(self, name: str) -> TsigKey:
        """The TSIG key of credentials `name` (see :func:`tsig_key`)."""
        return tsig_key(name, credentials_file=self.dotenv_file())

    def ssh_login(self, name: str) -> SshLogin:
        """The SSH login of credentials `name` (see :func:`ssh_login`)."""
        return ssh_login(name, credentials_file=self.dotenv_file())

    def ssh_identity(self) -> SshIdentity:
        """The server SSH identity (see :func:`ssh_identity`)."""
        return ssh_identity(credentials_file=self.dotenv_file())


def _dotenv_values(credentials_file: Path | None) -> dict[str, str]:
    chosen = credentials_file or CredentialSource().dotenv_file()
    return read_dotenv(chosen) if chosen is not None else {}


def environment_variable(name: str, *, credentials_file: Path | None = None) -> str | None:
    """The variable ``name`` from the environment, else from the dotenv file (3. above)."""
    return os.environ.get(name) or _dotenv_values(credentials_file).get(name) or None


def _vault_fields(section: Mapping[str, object], fields: tuple[str, ...]) -> dict[str, str]:
    return {f: str(section.get(f) or "") for f in fields}


def _named_secret(name: str, fields: tuple[str, ...], required: tuple[str, ...],
                  credentials_file: Path | None) -> dict[str, str] | None:
    """The non-empty `fields` of credentials `name` from the first source holding every `required` one."""
    keys = {f: f"{env_prefix(name)}_{f.upper()}" for f in fields}
    sources: tuple[Callable[[], dict[str, str]], ...] = (
        lambda: {f: os.environ.get(k, "") for f, k in keys.items()},
        lambda: _vault_fields(_vault_section(_vault_data(), "credentials", name), fields),
        lambda: {f: _dotenv_values(credentials_file).get(k, "") for f, k in keys.items()},
    )
    for source in sources:
        values = {f: v for f, v in source().items() if v}
        if all(f in values for f in required):
            return values
    return None


def switch_credentials(name: str, *, credentials_file: Path | None = None) -> SwitchCredentials:
    """Credentials for `name`; `credentials_file` overrides $COLO_CREDENTIALS_FILE as the dotenv source."""
    fields, required = ("username", "password", "enable"), ("username", "password")
    found = _named_secret(name, fields, required, credentials_file)
    if found is not None:
        return SwitchCredentials(name, found["username"], found["password"], found.get("enable", ""))
    prefix = env_prefix(name)
    raise BadInput(
        f"no credentials named {name!r}: set {prefix}_USERNAME and {prefix}_PASSWORD (and "
        f"{prefix}_ENABLE) in the environment, credentials.{name} in $COLO_VAULT_FILE, "
        "or the same variables in $COLO_CREDENTIALS_FILE (or the site's credentials_file)"
    )


def tsig_key(name: str, *, credentials_file: Path | None = None) -> TsigKey:
    """The TSIG key of credentials `name`: its secret, and the key's name and algorithm where they are not
    the credentials name and hmac-sha256."""
    found = _named_secret(name, ("secret", "key_name", "algorithm"), ("secret",), credentials_file)
    if found is not None:
        return TsigKey(found.get("key_name", name), found["secret"], found.get("algorithm", "hmac-sha256"))
    prefix = env_prefix(name)
    raise BadInput(
        f"no TSIG key named {name!r}: set {prefix}_SECRET (base64; {prefix}_KEY_NAME and {prefix}_ALGORITHM "
        f"when they differ from {name!r} and hmac-sha256) in the environment, credentials.{name}.secret in "
        "$COLO_VAULT_FILE, or the same variables in $COLO_CREDENTIALS_FILE (or the site's credentials_file)"
    )


@dataclass(frozen=True)
class SshLogin:
    """A named SSH login to a host the site runs (the monitoring host): its user and private key file."""

    name: str
    username: str
    key_file: Path


def ssh_login(name: str, *, credentials_file: Path | None = None) -> SshLogin:
    """The SSH login of credentials `name`: ``<prefix>_USERNAME`` and ``<prefix>_KEY_FILE``."""
    found = _named_secret(name, ("username", "key_file"), ("username", "key_file"), credentials_file)
    if found is not None:
        return SshLogin(name, found["username"], Path(found["key_file"]))
    prefix = env_prefix(name)
    raise BadInput(
        f"no SSH login named {name!r}: set {prefix}_USERNAME and {prefix}_KEY_FILE (a private key file) "
        f"in the environment, credentials.{name} in $COLO_VAULT_FILE, or the same variables in "
        "$COLO_CREDENTIALS_FILE (or the site's credentials_file)"
    )


def ssh_identity(*, credentials_file: Path | None = None) -> SshIdentity:
    """The server SSH user and private key file from the environment, the vault or the dotenv file."""
    key_file = os.environ.get("COLO_SSH_KEY")
    user = os.environ.get("COLO_SSH_USER")
    if not key_file:
        vault = _vault_section(_vault_data(), "ssh")
        key_file = str(vault.get("key_file") or "") or None
        user = user or (str(vault.get("user") or "") or None)
    if not key_file:
        dotenv = _dotenv_values(credentials_file)
        key_file = dotenv.get("COLO_SSH_KEY") or None
        user = user or dotenv.get("COLO_SSH_USER") or None
    if not key_file:
        raise BadInput(
            "no SSH key for the servers: set COLO_SSH_KEY (a private key file) in the environment, "
            "ssh.key_file in $COLO_VAULT_FILE, or COLO_SSH_KEY in $COLO_CREDENTIALS_FILE (or the site's "
            "credentials_file)"
        )
    return SshIdentity(user or "root", Path(key_file))
