"""Monitoring systems behind one protocol (`MonitoringBackend`); Prometheus first."""

from __future__ import annotations

from pathlib import Path

from provisioner.errors import BadInput
from provisioner.monitoring.base import Health, MonitoredHost, MonitoringBackend, TargetState

__all__ = ["Health", "MonitoredHost", "MonitoringBackend", "TargetState", "open_backend"]


def open_backend(kind: str, url: str, file_sd_dir: str) -> MonitoringBackend:
    """The backend for a facility's `monitoring` section."""
    if kind == "prometheus":
        from provisioner.monitoring.prometheus import Prometheus, PrometheusAPI, PrometheusFileSD

        return Prometheus(PrometheusFileSD(Path(file_sd_dir)), PrometheusAPI(url))
    raise BadInput(f"monitoring.kind: unknown monitoring system {kind!r}")
