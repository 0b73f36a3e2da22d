"""What every monitoring system offers the provisioner: register a host, remove it, see whether it is up or
gone."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

Health = Literal["up", "down", "unknown", "absent"]


@dataclass(frozen=True)
class MonitoredHost:
    """A server to monitor, with the labels it carries in the monitoring system."""

    request_id: str
    address: str
    hostname: str
    agency: str
    site: str
    urls: tuple[tuple[str, str], ...] = ()
    """(application name, URL) of each http(s) application step 7 promises: by name where DNS has it."""

    @property
    def url_list(self) -> tuple[str, ...]:
        """The URLs alone, in order."""
        return tuple(url for _name, url in self.urls)

    def labels(self) -> dict[str, str]:
        return {
            "agency": self.agency,
            "request": self.request_id,
            "hostname": self.hostname,
            "site": self.site,
        }


@dataclass(frozen=True)
class TargetState:
    """What the monitoring system reports about one target; `absent` when it does not know the target."""

    target: str
    health: Health
    last_error: str = ""
    last_scrape: str | None = None
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def up(self) -> bool:
        return self.health == "up"


class MonitoringBackend(Protocol):
    """One monitoring system. Registering and removing are idempotent and report whether anything changed;
    the waits return the last state seen when the timeout passes."""

    def target(self, host: MonitoredHost) -> str:
        """How the system names the host's target (``address:port`` for Prometheus)."""
        ...

    def register(self, host: MonitoredHost) -> bool: ...

    def remove(self, request_id: str) -> bool: ...

    def state(self, host: MonitoredHost) -> TargetState: ...

    def wait_up(self, host: MonitoredHost, timeout_s: float) -> TargetState: ...

    def wait_gone(self, host: MonitoredHost, timeout_s: float) -> TargetState:
        """Until the system no longer lists the host (``absent``)."""
        ...
