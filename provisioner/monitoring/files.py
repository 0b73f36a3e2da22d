"""Where a monitoring system's target files live: a folder on this machine, or one on the monitoring host
reached over SSH (SFTP), with its host key pinned in the register before any credential is sent.

Either way a file is replaced atomically: written to a temporary file in the same folder, given its mode
(and owner), then renamed over the old one, so Prometheus never reads half a file."""

from __future__ import annotations

import base64
import contextlib
import os
import shlex
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, Protocol

from provisioner.errors import InfrastructureError, Refused

if TYPE_CHECKING:
    from provisioner.facility import MonitoringHost
    from provisioner.register.db import Register
    from provisioner.secrets import CredentialSource

CONNECT_TIMEOUT_S = 10.0


class TargetFiles(Protocol):
    """A folder of target files: read one, replace one atomically, remove one."""

    where: str
    """How messages name the place (``this machine``, ``10.0.0.9:22``)."""

    def read(self, path: PurePath) -> str | None: ...

    def replace(self, path: PurePath, text: str) -> None: ...

    def remove(self, path: PurePath) -> bool: ...


class LocalFiles:
    """Target files in a folder on this machine (a site whose monitoring names no host)."""

    where = "this machine"

    def __init__(self, mode: int = 0o644) -> None:
        self.mode = mode

    def read(self, path: PurePath) -> str | None:
        local = Path(path)
        return local.read_text(encoding="utf-8") if local.is_file() else None

    def replace(self, path: PurePath, text: str) -> None:
        local = Path(path)
        local.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=local.parent, prefix=f".{local.stem}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, self.mode)
            os.replace(tmp, local)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return None

    def remove(self, path: PurePath) -> bool:
        local = Path(path)
        if not local.exists():
            return False
        local.unlink()
        return True


@dataclass(frozen=True)
class _PinTarget:
    """The monitoring host as the register's host-key pins name it."""

    name: str
    host: str
    port: int
    platform: str = "linux"
    credentials: str = ""


class SshFiles:
    """Target files in a folder on the monitoring host, over SFTP, logged in with a named SSH login."""

    def __init__(self, settings: MonitoringHost, secrets: CredentialSource,
                 register: Register | None) -> None:
        self.settings = settings
        self.secrets = secrets
        self.register = register
        self.where = f"the monitoring host {settings.address}:{settings.port}"
        self._client: Any = None
        self._sftp: Any = None

    def _pin(self) -> tuple[str, str]:
        from provisioner.network.session import SessionLostError, fetch_host_key, pinned_key

        target = _PinTarget(
            f"monitoring:{self.settings.address}", str(self.settings.address), self.settings.port
        )
        try:
            if self.register is None:
                shown = fetch_host_key(target.host, target.port, CONNECT_TIMEOUT_S)
                return shown.key_type, shown.key_base64
            pin = pinned_key(self.register, target)
        except SessionLostError as exc:
            raise self._unreachable(exc.message) from None
        return pin.key_type, pin.key_base64

    def _unreachable(self, why: object) -> InfrastructureError:
        return InfrastructureError(
            f"{self.where} does not answer SSH: {why}",
            ["nothing was written there; run the step again once the monitoring host answers"],
        )

    def _open(self) -> Any:
        if self._sftp is not None:
            return self._sftp
        import paramiko

        login = self.secrets.ssh_login(self.settings.credentials)
        key_type, key_base64 = self._pin()
        client = paramiko.SSHClient()
        entry = (
            str(self.settings.address)
            if self.settings.port == 22
            else f"[{self.settings.address}]:{self.settings.port}"
        )
        client.get_host_keys().add(
            entry, key_type, paramiko.PKey.from_type_string(key_type, base64.b64decode(key_base64))
        )
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        try:
            client.connect(
                str(self.settings.address),
                port=self.settings.port,
                username=login.username,
                key_filename=str(login.key_file),
                look_for_keys=False,
                allow_agent=False,
                timeout=CONNECT_TIMEOUT_S,
                banner_timeout=CONNECT_TIMEOUT_S,
                auth_timeout=CONNECT_TIMEOUT_S,
            )
        except paramiko.BadHostKeyException:
            client.close()
            raise Refused(
                f"{self.where}: the SSH host key changed since it was pinned; if the host was "
                "replaced, remove its pin from the register after checking the new key"
            ) from None
        except paramiko.AuthenticationException:
            client.close()
            raise InfrastructureError(
                f"{self.where} refused the SSH login of credentials {self.settings.credentials!r}"
            ) from None
        except (OSError, paramiko.SSHException) as exc:
            client.close()
            raise self._unreachable(exc) from None
        self._client, self._sftp = client, client.open_sftp()
        return self._sftp

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        self._client = self._sftp = None

    def _call(self, what: str, action: Any) -> Any:
        try:
            return action(self._open())
        except (InfrastructureError, Refused):
            raise
        except (TimeoutError, OSError, EOFError) as exc:
            self.close()
            raise InfrastructureError(f"{self.where}: {what} failed: {exc}") from None

    def read(self, path: PurePath) -> str | None:
        def read(sftp: Any) -> str | None:
            try:
                with sftp.open(str(path), "r") as handle:
                    return bytes(handle.read()).decode("utf-8")
            except FileNotFoundError:
                return None

        result: str | None = self._call(f"reading {path}", read)
        return result

    def replace(self, path: PurePath, text: str) -> None:
        tmp = path.parent / f".{path.stem}.{os.getpid()}.tmp"
        owner = ":".join(p for p in (self.settings.file_owner or "", self.settings.file_group or "") if p)
        if self.settings.file_group and not self.settings.file_owner:
            owner = ":" + self.settings.file_group

        def write(sftp: Any) -> None:
            try:
                sftp.stat(str(path.parent))
            except FileNotFoundError:
                raise InfrastructureError(
                    f"{self.where}: the folder {path.parent} does not exist (the "
                    "folder Prometheus reads its targets from)"
                ) from None
            try:
                with sftp.open(str(tmp), "w") as handle:
                    handle.write(text.encode("utf-8"))
                sftp.chmod(str(tmp), int(self.settings.file_mode, 8))
                if owner:
                    self._run(f"chown {shlex.quote(owner)} {shlex.quote(str(tmp))}")
                sftp.posix_rename(str(tmp), str(path))
            except BaseException:
                with contextlib.suppress(OSError, EOFError):
                    sftp.remove(str(tmp))
                raise

        self._call(f"writing {path}", write)

    def _run(self, command: str) -> None:
        _stdin, stdout, stderr = self._client.exec_command(command, timeout=CONNECT_TIMEOUT_S)
        if stdout.channel.recv_exit_status() != 0:
            raise InfrastructureError(f"{self.where}: `{command}` failed: {stderr.read().decode().strip()}")

    def remove(self, path: PurePath) -> bool:
        def remove(sftp: Any) -> bool:
            try:
                sftp.remove(str(path))
            except FileNotFoundError:
                return False
            return True

        removed: bool = self._call(f"removing {path}", remove)
        return removed


def target_files(settings: MonitoringHost | None, secrets: CredentialSource,
                 register: Register | None) -> TargetFiles:
    """The monitoring host's folder over SSH (logged in with `secrets`), or (no host named) this machine's."""
    return LocalFiles() if settings is None else SshFiles(settings, secrets, register)
