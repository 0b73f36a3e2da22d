"""Prometheus: targets through file-based service discovery, their health through the HTTP API."""

from __future__ import annotations

import ipaddress
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provisioner.errors import BadInput, InfrastructureError
from provisioner.monitoring.base import Health, MonitoredHost, TargetState
from provisioner.monitoring.files import LocalFiles, TargetFiles, target_files

if TYPE_CHECKING:
    from provisioner.facility import Monitoring
    from provisioner.register.db import Register
    from provisioner.secrets import CredentialSource

NODE_EXPORTER_PORT = 9100
ANSWER_GRACE_S = 10.0
"""How long a wait goes on while Prometheus has not answered at all (a restart answers within seconds)."""
_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_HEALTH: dict[str, Health] = {"up": "up", "down": "down", "unknown": "unknown"}


def address_port(address: str, port: int) -> str:
    """`address:port` as Prometheus writes a target (IPv6 in brackets)."""
    ip = ipaddress.ip_address(address)
    return f"[{ip}]:{port}" if ip.version == 6 else f"{ip}:{port}"


class PrometheusFileSD:
    """One JSON file per request in a file_sd directory (on this machine or the monitoring host), replaced
    atomically (temporary file, mode, owner, rename)."""

    def __init__(self, file_sd_dir: Path, port: int = NODE_EXPORTER_PORT,
                 files: TargetFiles | None = None) -> None:
        self.dir = file_sd_dir
        self.port = port
        self.files: TargetFiles = files or LocalFiles()

    def path_for(self, request_id: str) -> Path:
        if not _FILE_NAME.match(request_id):
            raise BadInput(f"request id {request_id!r} cannot name a file_sd file")
        return self.dir / f"{request_id}.json"

    def targets(self, host: MonitoredHost) -> list[str]:
        """The node exporter's `address:port`."""
        try:
            return [address_port(host.address, self.port)]
        except ValueError:
            raise BadInput(f"monitoring target: {host.address!r} is not an IP address") from None

    def labels(self, host: MonitoredHost) -> dict[str, str]:
        return host.labels()

    def content(self, host: MonitoredHost) -> str:
        return json.dumps([{"targets": self.targets(host), "labels": self.labels(host)}], indent=2) + "\n"

    def write(self, host: MonitoredHost) -> bool:
        """Write the host's file; False when it already held exactly this content."""
        path, text = self.path_for(host.request_id), self.content(host)
        if self.files.read(path) == text:
            return False
        self.files.replace(path, text)
        return True

    def remove(self, request_id: str) -> bool:
        """Delete the request's file; False when there was none."""
        return self.files.remove(self.path_for(request_id))


class ProbeFileSD(PrometheusFileSD):
    """The request's application URLs as blackbox_exporter probe targets (module in `__param_module`)."""

    def __init__(self, file_sd_dir: Path, module: str, files: TargetFiles | None = None) -> None:
        super().__init__(file_sd_dir, files=files)
        self.module = module

    def targets(self, host: MonitoredHost) -> list[str]:
        return list(host.url_list)

    def labels(self, host: MonitoredHost) -> dict[str, str]:
        return {**host.labels(), "__param_module": self.module}

    def write(self, host: MonitoredHost) -> bool:
        """The probe file, or none when the request has no application to probe."""
        return super().write(host) if host.urls else self.remove(host.request_id)


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

    def query(self, promql: str) -> list[dict[str, Any]]:
        """An instant query's vector result (each series' `metric` labels and `value`)."""
        data = self._get("/api/v1/query?" + urllib.parse.urlencode({"query": promql}))
        result = data.get("data", {}).get("result", []) if isinstance(data, dict) else []
        return [r for r in result if isinstance(r, dict)]

    def probe_state(self, url: str) -> TargetState:
        """A blackbox probe of `url`: `up` once its last `probe_success` is 1, `down` while it is 0 (or the
        exporter's scrape fails), `unknown` before the first probe, `absent` when Prometheus lists no such
        probe target."""
        found = [t for t in self.active_targets() if _probed_url(t) == url]
        if not found:
            return TargetState(url, "absent")
        labels = {str(k): str(v) for k, v in found[0].get("labels", {}).items()}
        if found[0].get("health") != "up":
            return TargetState(url, _HEALTH.get(str(found[0].get("health")), "unknown"),
                               str(found[0].get("lastError", "")), None, labels)
        selector = ",".join(f'{k}="{_escape(labels[k])}"' for k in ("job", "instance") if k in labels)
        series = self.query(f"probe_success{{{selector}}}")
        if not series:
            return TargetState(url, "unknown", "not probed yet", None, labels)
        success = str(series[0].get("value", [0, "0"])[1]) == "1"
        error = "" if success else "probe_success 0"
        return TargetState(url, "up" if success else "down", error, None, labels)

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
        """Poll the target's state until `done` holds or the timeout passes; return the last state
        (InfrastructureError as `_poll` says)."""
        return _poll(timeout_s, self.poll_s, lambda: self.target_state(target), done)


def _probed_url(target: dict[str, Any]) -> str | None:
    """The URL a blackbox probe target probes: the `target` parameter of its scrape URL."""
    query = urllib.parse.urlsplit(str(target.get("scrapeUrl", ""))).query
    values = urllib.parse.parse_qs(query).get("target")
    return values[0] if values else None


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _poll(timeout_s: float, poll_s: float, look: Callable[[], TargetState],
          done: Callable[[TargetState], bool]) -> TargetState:
    """`look` until `done` holds or the timeout passes; the last state. InfrastructureError when Prometheus
    has not answered once within ANSWER_GRACE_S (or the timeout, if shorter): a Prometheus that restarts
    answers within seconds, one that is down is told at once rather than after the whole wait."""
    start = time.monotonic()
    last: TargetState | None = None
    while True:
        try:
            last = look()
            if done(last):
                return last
        except InfrastructureError:
            if last is None and time.monotonic() - start + poll_s > min(timeout_s, ANSWER_GRACE_S):
                raise
        if time.monotonic() - start + poll_s > timeout_s:
            assert last is not None  # a wait that never had an answer has raised above
            return last
        time.sleep(poll_s)


class Prometheus:
    """The Prometheus `MonitoringBackend`: file_sd for the node target (and, with probes, the applications'
    blackbox probe targets), the API for their health. A host is up when its node exporter is scraped up and
    every probe of it reports `probe_success` 1."""

    def __init__(self, file_sd: PrometheusFileSD, api: PrometheusAPI,
                 probes: ProbeFileSD | None = None) -> None:
        self.file_sd = file_sd
        self.api = api
        self.probes = probes

    def target(self, host: MonitoredHost) -> str:
        return address_port(host.address, self.file_sd.port)

    def _urls(self, host: MonitoredHost) -> tuple[str, ...]:
        return host.url_list if self.probes is not None else ()

    def register(self, host: MonitoredHost) -> bool:
        changed = self.file_sd.write(host)
        if self.probes is not None:
            changed = self.probes.write(host) or changed
        return changed

    def remove(self, request_id: str) -> bool:
        removed = self.file_sd.remove(request_id)
        if self.probes is not None:
            removed = self.probes.remove(request_id) or removed
        return removed

    def state(self, host: MonitoredHost) -> TargetState:
        node = self.api.target_state(self.target(host))
        if not node.up:
            return node
        for url in self._urls(host):
            probe = self.api.probe_state(url)
            if not probe.up:
                return TargetState(node.target, "down" if probe.health != "absent" else "unknown",
                                   f"probe {url}: {probe.health} {probe.last_error}".strip(),
                                   node.last_scrape, node.labels)
        return node

    def _any_listed(self, host: MonitoredHost) -> TargetState:
        node = self.api.target_state(self.target(host))
        if node.health != "absent":
            return node
        for url in self._urls(host):
            probe = self.api.probe_state(url)
            if probe.health != "absent":
                return TargetState(node.target, probe.health, f"probe {url} still listed")
        return node

    def wait_up(self, host: MonitoredHost, timeout_s: float) -> TargetState:
        return _poll(timeout_s, self.api.poll_s, lambda: self.state(host), lambda s: s.up)

    def wait_gone(self, host: MonitoredHost, timeout_s: float) -> TargetState:
        return _poll(timeout_s, self.api.poll_s, lambda: self._any_listed(host),
                     lambda s: s.health == "absent")


def open_backend(settings: Monitoring, secrets: CredentialSource,
                 register: Register | None = None) -> Prometheus:
    """Prometheus as a facility's `monitoring` section names it: its file_sd folders (on the monitoring host
    over SSH where it names one, else here), its API, and blackbox probes where it has them. `register` keeps
    the monitoring host's pinned SSH host key; `secrets` its SSH login."""
    if settings.file_sd_dir is None:
        raise BadInput("monitoring: a prometheus monitoring section needs file_sd_dir")
    files = target_files(settings.host, secrets, register)
    probes = (ProbeFileSD(Path(settings.probes.file_sd_dir), settings.probes.module, files)
              if settings.probes is not None else None)
    return Prometheus(PrometheusFileSD(Path(settings.file_sd_dir), files=files),
                      PrometheusAPI(settings.url, poll_s=0.5), probes)
