"""Prometheus: targets through file-based service discovery, their health through the HTTP API."""

from __future__ import annotations

import ipaddress
import json
import os
import re
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provisioner.errors import BadInput, InfrastructureError
from provisioner.monitoring.base import Health, MonitoredHost, TargetState

if TYPE_CHECKING:
    from provisioner.facility import Monitoring

NODE_EXPORTER_PORT = 9100
_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_HEALTH: dict[str, Health] = {"up": "up", "down": "down", "unknown": "unknown"}


def address_port(address: str, port: int) -> str:
    """`address:port` as Prometheus writes a target (IPv6 in brackets)."""
    ip = ipaddress.ip_address(address)
    return f"[{ip}]:{port}" if ip.version == 6 else f"{ip}:{port}"


class PrometheusFileSD:
    """One JSON file per request in a file_sd directory, written atomically (temp + rename), mode 0644."""

    def __init__(self, file_sd_dir: Path, port: int = NODE_EXPORTER_PORT) -> None:
        self.dir = file_sd_dir
        self.port = port

    def path_for(self, request_id: str) -> Path:
        if not _FILE_NAME.match(request_id):
            raise BadInput(f"request id {request_id!r} cannot name a file_sd file")
        return self.dir / f"{request_id}.json"

    def content(self, host: MonitoredHost) -> str:
        try:
            target = address_port(host.address, self.port)
        except ValueError:
            raise BadInput(f"monitoring target: {host.address!r} is not an IP address") from None
        return json.dumps([{"targets": [target], "labels": host.labels()}], indent=2) + "\n"

    def write(self, host: MonitoredHost) -> bool:
        """Write the host's file; False when it already held exactly this content."""
        path, text = self.path_for(host.request_id), self.content(host)
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            return False
        self.dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=f".{host.request_id}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return True

    def remove(self, request_id: str) -> bool:
        """Delete the request's file; False when there was none."""
        path = self.path_for(request_id)
        if not path.exists():
            return False
        path.unlink()
        return True


class PrometheusAPI:
    """The parts of the Prometheus HTTP API the provisioner reads, with bounded timeouts."""

    def __init__(self, url: str, request_timeout_s: float = 5.0, poll_s: float = 1.0) -> None:
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise BadInput(f"monitoring.url: {url!r} is not an http(s) URL")
        self.url = url.rstrip("/")
        self.request_timeout_s = request_timeout_s
        self.poll_s = poll_s

    def _get(self, path: str) -> Any:
        try:
            with urllib.request.urlopen(self.url + path, timeout=self.request_timeout_s) as response:  # noqa: S310
                return json.load(response)
        except (OSError, ValueError) as exc:
            raise InfrastructureError(f"Prometheus at {self.url} did not answer {path}: {exc}") from exc

    def active_targets(self) -> list[dict[str, Any]]:
        data = self._get("/api/v1/targets?state=active")
        targets = data.get("data", {}).get("activeTargets", []) if isinstance(data, dict) else []
        return [t for t in targets if isinstance(t, dict)]

    def target_state(self, target: str) -> TargetState:
        """The health of `address:port` among the active targets (`up` wins when several jobs scrape it)."""
        found = [
            t for t in self.active_targets() if t.get("discoveredLabels", {}).get("__address__") == target
        ]
        if not found:
            return TargetState(target, "absent")
        best = next((t for t in found if t.get("health") == "up"), found[0])
        return TargetState(
            target=target,
            health=_HEALTH.get(str(best.get("health")), "unknown"),
            last_error=str(best.get("lastError", "")),
            last_scrape=str(best["lastScrape"]) if best.get("lastScrape") else None,
            labels={str(k): str(v) for k, v in best.get("labels", {}).items()},
        )

    def wait_target_up(self, target: str, timeout_s: float) -> TargetState:
        """Poll until the target is up; at the timeout return its last state (down, unknown or absent)."""
        return self.wait_target(target, timeout_s, lambda s: s.up)

    def wait_target_gone(self, target: str, timeout_s: float) -> TargetState:
        """Poll until Prometheus no longer lists the target; at the timeout return its last state."""
        return self.wait_target(target, timeout_s, lambda s: s.health == "absent")

    def wait_target_scraped(self, target: str, timeout_s: float) -> TargetState:
        """Poll until Prometheus has scraped the target once (up or down, with the scrape's error)."""
        return self.wait_target(target, timeout_s, lambda s: s.health in ("up", "down"))

    def wait_target(self, target: str, timeout_s: float, done: Callable[[TargetState], bool]) -> TargetState:
        """Poll the target's state until `done` holds or the timeout passes; return the last state.

        InfrastructureError when Prometheus never answered during the wait.
        """
        deadline = time.monotonic() + timeout_s
        last: TargetState | None = None
        error: InfrastructureError | None = None
        while True:
            try:
                last = self.target_state(target)
                if done(last):
                    return last
            except InfrastructureError as exc:
                error = exc
            if time.monotonic() + self.poll_s > deadline:
                if last is None and error is not None:
                    raise error
                assert last is not None
                return last
            time.sleep(self.poll_s)


class Prometheus:
    """The Prometheus `MonitoringBackend`: file_sd for the target, the API for its health."""

    def __init__(self, file_sd: PrometheusFileSD, api: PrometheusAPI) -> None:
        self.file_sd = file_sd
        self.api = api

    def target(self, host: MonitoredHost) -> str:
        return address_port(host.address, self.file_sd.port)

    def register(self, host: MonitoredHost) -> bool:
        return self.file_sd.write(host)

    def remove(self, request_id: str) -> bool:
        return self.file_sd.remove(request_id)

    def state(self, host: MonitoredHost) -> TargetState:
        return self.api.target_state(self.target(host))

    def wait_up(self, host: MonitoredHost, timeout_s: float) -> TargetState:
        return self.api.wait_target_up(self.target(host), timeout_s)

    def wait_gone(self, host: MonitoredHost, timeout_s: float) -> TargetState:
        return self.api.wait_target_gone(self.target(host), timeout_s)


def open_backend(settings: Monitoring) -> Prometheus:
    """Prometheus as a facility's `monitoring` section names it: its file_sd folder and its API."""
    if settings.file_sd_dir is None:
        raise BadInput("monitoring: a prometheus monitoring section needs file_sd_dir")
    return Prometheus(PrometheusFileSD(Path(settings.file_sd_dir)), PrometheusAPI(settings.url, poll_s=0.5))
