"""Netmiko sessions to switches: host keys pinned before any credential is sent, one session per switch
per run, every refusal or lost connection turned into an error that names the switch.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import socket
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError

from provisioner.errors import InfrastructureError, Refused
from provisioner.network.models import SwitchTarget
from provisioner.network.platforms import Platform, platform_for
from provisioner.register.db import Register
from provisioner.register.network_models import SwitchHostKeyRecord
from provisioner.secrets import CredentialSource, SwitchCredentials

CONNECT_TIMEOUT = 30.0
"""Seconds for the TCP connection, the SSH banner and the login."""
READ_TIMEOUT = 90.0
"""Seconds for one command's answer. Generous: a switch CLI (and the lab's simulator on a busy machine) can
be slow while other sessions queue on it. It bounds one command's wait for its answer only: the time a run
waits for the switch lock is not part of it (a change opens its session once it holds the lock)."""


class LineRefusedError(InfrastructureError):
    """The switch answered a configuration line with an error; the line was not applied."""

    def __init__(self, switch: str, line: str, answer: str) -> None:
        super().__init__(f"{switch}: the switch refused {line.strip()!r}: {answer.strip()}")
        self.line = line


class SessionLostError(InfrastructureError):
    """The connection to the switch failed or dropped; what was sent last may be half applied."""


@dataclass(frozen=True)
class HostKey:
    key_type: str
    key_base64: str

    @property
    def fingerprint(self) -> str:
        digest = hashlib.sha256(base64.b64decode(self.key_base64)).digest()
        return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def fetch_host_key(host: str, port: int, timeout: float = CONNECT_TIMEOUT) -> HostKey:
    """The key the SSH server at host:port shows in the key exchange (no authentication happens)."""
    import paramiko

    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            transport = paramiko.Transport(sock)
            try:
                transport.start_client(timeout=timeout)
                key = transport.get_remote_server_key()
            finally:
                transport.close()
    except (OSError, paramiko.SSHException) as exc:
        raise SessionLostError(f"cannot reach the SSH server at {host}:{port}: {exc}") from None
    return HostKey(key.get_name(), key.get_base64())


def pinned_key(register: Register, switch: SwitchTarget) -> HostKey:
    """The pinned host key of `switch`; on first contact the key it shows now is recorded."""
    with register.session() as session:
        record = session.get(SwitchHostKeyRecord, switch.name)
        if record is not None:
            return HostKey(record.key_type, record.key_base64)
    seen = fetch_host_key(switch.host, switch.port)
    try:
        with register.session() as session:
            session.add(SwitchHostKeyRecord(switch=switch.name, host=switch.host, port=switch.port,
                                            key_type=seen.key_type, key_base64=seen.key_base64,
                                            fingerprint=seen.fingerprint))
    except IntegrityError:
        # Another run made first contact at the same moment: its pin is the one to check against.
        with register.session() as session:
            record = session.get(SwitchHostKeyRecord, switch.name)
            if record is None:
                raise
            return HostKey(record.key_type, record.key_base64)
    return seen


class SwitchSession:
    """One logged-in, enabled CLI session on a switch."""

    def __init__(self, switch: SwitchTarget, platform: type[Platform], connection: Any) -> None:
        self.switch = switch
        self.platform = platform
        self.connection = connection
        self.lines_sent = 0

    def _guard(self, action: Callable[[], str]) -> str:
        from netmiko.exceptions import ConfigInvalidException

        try:
            return action()
        except ConfigInvalidException:
            raise
        except Exception as exc:
            what = f"{type(exc).__name__}: {exc}"
            raise SessionLostError(f"{self.switch.name}: the session was lost: {what}") from None

    def read_config(self) -> str:
        command = self.platform.show_config
        return self._guard(lambda: str(self.connection.send_command(command, read_timeout=READ_TIMEOUT)))

    def configure(self, lines: Sequence[str], *, stay_in_config: bool = False) -> str:
        """Send configuration lines; the first line the switch refuses raises LineRefusedError."""
        from netmiko.exceptions import ConfigInvalidException

        self.lines_sent += len(lines)
        try:
            return self._guard(lambda: str(self.connection.send_config_set(
                list(lines), error_pattern=self.platform.error_pattern, read_timeout=READ_TIMEOUT,
                exit_config_mode=not stay_in_config, enter_config_mode=True,
            )))
        except ConfigInvalidException as exc:
            line = str(exc).split("command:", 1)[-1].split(", matched error")[0]
            raise LineRefusedError(self.switch.name, line, str(exc)) from None

    def run(self, lines: Sequence[str]) -> None:
        """Exec-mode commands (save); an error answer raises LineRefusedError."""
        import re

        for line in lines:
            self.lines_sent += 1
            answer = self._guard(lambda line=line: str(self.connection.send_command(  # type: ignore[misc]
                line, read_timeout=READ_TIMEOUT)))
            if re.search(self.platform.error_pattern, answer):
                raise LineRefusedError(self.switch.name, line, answer)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.connection.disconnect()


def _bad_host_key(exc: BaseException | None) -> Any:
    """The paramiko BadHostKeyException behind a connection error (Netmiko wraps it), if any."""
    from paramiko import BadHostKeyException

    while exc is not None:
        if isinstance(exc, BadHostKeyException):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def _key_changed(switch: SwitchTarget, pin: HostKey, shown: HostKey) -> Refused:
    return Refused(
        f"{switch.name}: the SSH host key changed: pinned {pin.fingerprint} ({pin.key_type}), "
        f"shown now {shown.fingerprint} ({shown.key_type}); nothing was sent. If the switch was "
        "replaced, remove its pin from the register after checking the new key."
    )


def probe_switch(register: Register, switch: SwitchTarget, timeout: float = 10.0) -> None:
    """Check, without logging in, that `switch` answers SSH with its pinned key (pinning it on first contact).

    InfrastructureError naming the switch when it does not answer; Refused when its key changed.
    """
    try:
        shown = fetch_host_key(switch.host, switch.port, timeout)
    except SessionLostError as exc:
        raise InfrastructureError(f"switch {switch.name} does not answer: {exc.message}") from None
    pin = pinned_key(register, switch)
    if pin != shown:
        raise _key_changed(switch, pin, shown)


def open_session(switch: SwitchTarget, register: Register, credentials: SwitchCredentials | None = None,
                 secrets: CredentialSource | None = None) -> SwitchSession:
    """Connect with the host key checked against the pin before authentication, then enter enable mode;
    logged in with `credentials`, else the switch's credentials name looked up in `secrets` (default: the
    environment and $COLO_CREDENTIALS_FILE)."""
    from netmiko import ConnectHandler

    from provisioner.network.channel import notice_closing

    platform = platform_for(switch.platform)
    pin = pinned_key(register, switch)
    creds = credentials or (secrets or CredentialSource()).switch_credentials(switch.credentials)
    host_entry = switch.host if switch.port == 22 else f"[{switch.host}]:{switch.port}"
    with tempfile.TemporaryDirectory(prefix="colo-known-hosts-") as tmp:
        known_hosts = os.path.join(tmp, "known_hosts")
        with open(known_hosts, "w") as handle:
            handle.write(f"{host_entry} {pin.key_type} {pin.key_base64}\n")
        try:
            connection = ConnectHandler(
                device_type=platform.device_type, host=switch.host, port=switch.port,
                username=creds.username, password=creds.password, secret=creds.enable,
                ssh_strict=True, system_host_keys=False, alt_host_keys=True, alt_key_file=known_hosts,
                use_keys=False, allow_agent=False, conn_timeout=CONNECT_TIMEOUT,
                auth_timeout=CONNECT_TIMEOUT, banner_timeout=CONNECT_TIMEOUT, fast_cli=True,
            )
        except Exception as exc:
            bad_key = _bad_host_key(exc)
            if bad_key is None:
                raise SessionLostError(f"{switch.name}: cannot log in at {switch.host}:{switch.port}: "
                                       f"{type(exc).__name__}: {exc}") from None
            shown = HostKey(bad_key.key.get_name(), bad_key.key.get_base64())
            raise _key_changed(switch, pin, shown) from None
    notice_closing(connection)
    session = SwitchSession(switch, platform, connection)
    session._guard(lambda: str(connection.enable()))
    return session


class SessionPool:
    """Sessions reused within one run, one per switch; closed when the run ends."""

    def __init__(self, register: Register, holder: str | None = None,
                 credentials: SwitchCredentials | None = None,
                 secrets: CredentialSource | None = None) -> None:
        self.register = register
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}"
        self.credentials = credentials
        """Used for every switch instead of resolving each switch's credentials name."""
        self.secrets = secrets
        """Where each switch's credentials name is looked up (the site's source)."""
        self._sessions: dict[str, SwitchSession] = {}

    def get(self, switch: SwitchTarget) -> SwitchSession:
        session = self._sessions.get(switch.name)
        if session is None:
            session = open_session(switch, self.register, self.credentials, self.secrets)
            self._sessions[switch.name] = session
        return session

    def open_all(self, switches: Sequence[SwitchTarget]) -> None:
        """Log in to each of `switches` not logged in to yet, all at the same time (a login is most of a
        small change's time); the first failure is raised once every login has ended."""
        from concurrent.futures import ThreadPoolExecutor

        missing = list({s.name: s for s in switches if s.name not in self._sessions}.values())
        if len(missing) < 2:
            return
        with ThreadPoolExecutor(max_workers=len(missing)) as logins:
            done = [logins.submit(open_session, s, self.register, self.credentials, self.secrets)
                    for s in missing]
        failures: list[BaseException] = []
        for switch, future in zip(missing, done, strict=True):
            if (failure := future.exception()) is None:
                self._sessions[switch.name] = future.result()
            else:
                failures.append(failure)
        if failures:
            raise failures[0]

    def discard(self, switch: SwitchTarget) -> None:
        """Forget a session that failed; the next `get` logs in again."""
        session = self._sessions.pop(switch.name, None)
        if session is not None:
            session.close()

    def close(self) -> None:
        for name in list(self._sessions):
            self._sessions.pop(name).close()

    def __enter__(self) -> SessionPool:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
