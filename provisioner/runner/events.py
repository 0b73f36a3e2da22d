"""What a run tells while it goes: ansible-runner's events as progress lines, failed tasks and the recap."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

_HOST_EVENTS = {
    "runner_on_ok": "ok", "runner_on_failed": "failed", "runner_on_unreachable": "unreachable",
    "runner_on_skipped": "skipped", "runner_item_on_failed": "failed",
}


@dataclass(frozen=True)
class ProgressLine:
    """One line of progress from a run's events."""

    kind: str
    text: str
    host: str | None = None

    def __str__(self) -> str:
        return f"{self.host}: {self.kind}: {self.text}" if self.host else f"{self.kind}: {self.text}"


@dataclass(frozen=True)
class FailedTask:
    """A task that failed or found its host unreachable."""

    host: str
    task: str
    message: str


@dataclass(frozen=True)
class HostStats:
    """The play recap of one host."""

    ok: int = 0
    changed: int = 0
    failures: int = 0
    unreachable: int = 0
    skipped: int = 0


class Collector:
    """Turns ansible-runner events into progress lines, failures and the stats event's data."""

    def __init__(self, on_event: Callable[[ProgressLine], None] | None) -> None:
        self._on_event = on_event
        self.failed: list[FailedTask] = []
        self.stats: dict[str, HostStats] = {}
        self.artifact_data: dict[str, Any] = {}

    def __call__(self, event: Mapping[str, Any]) -> bool:
        kind = str(event.get("event", ""))
        data: Mapping[str, Any] = event.get("event_data") or {}
        line = self._line(kind, data)
        if line is not None and self._on_event is not None:
            self._on_event(line)
        return True  # keep writing the event to the artifacts

    def _line(self, kind: str, data: Mapping[str, Any]) -> ProgressLine | None:
        if kind == "playbook_on_play_start":
            return ProgressLine("play", str(data.get("play", "")))
        if kind == "playbook_on_stats":
            self._take_stats(data)
            return ProgressLine("recap", ", ".join(f"{h} {s}" for h, s in self.stats.items()))
        if kind not in _HOST_EVENTS:
            return None
        host = str(data.get("host", ""))
        task = str(data.get("task", ""))
        res: Mapping[str, Any] = data.get("res") or {}
        status = _HOST_EVENTS[kind]
        if status == "ok" and res.get("changed"):
            status = "changed"
        if status in ("failed", "unreachable") and not data.get("ignore_errors"):
            self.failed.append(FailedTask(host, task, str(res.get("msg", status))[:500]))
        return ProgressLine(status, task, host)

    def _take_stats(self, data: Mapping[str, Any]) -> None:
        hosts = set().union(*(data.get(k) or {} for k in ("ok", "changed", "failures", "dark", "skipped")))
        for host in sorted(hosts):
            self.stats[host] = HostStats(
                ok=int((data.get("ok") or {}).get(host, 0)),
                changed=int((data.get("changed") or {}).get(host, 0)),
                failures=int((data.get("failures") or {}).get(host, 0)),
                unreachable=int((data.get("dark") or {}).get(host, 0)),
                skipped=int((data.get("skipped") or {}).get(host, 0)),
            )
        self.artifact_data = dict(data.get("artifact_data") or {})
