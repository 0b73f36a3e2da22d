"""Monitoring systems behind one protocol (`MonitoringBackend`), chosen by the facility's monitoring.kind."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from provisioner.monitoring.base import Health, MonitoredHost, MonitoringBackend, TargetState

if TYPE_CHECKING:
    from provisioner.facility import Monitoring
    from provisioner.register.db import Register
    from provisioner.secrets import CredentialSource

__all__ = ["BACKENDS", "Health", "MonitoredHost", "MonitoringBackend", "TargetState", "open_backend"]

BACKENDS: dict[str, str] = {
    "prometheus": "provisioner.monitoring.prometheus",
    "zabbix": "provisioner.monitoring.zabbix",
}
"""Each kind of monitoring system and the module that speaks to it (its
``open_backend(settings, secrets, register)``)."""


def open_backend(settings: Monitoring, secrets: CredentialSource,
                 register: Register | None = None) -> MonitoringBackend:
    """The backend for a facility's `monitoring` section (its kind is validated with the facility), logging
    in with the site's `secrets`; `register` keeps what it pins (the monitoring host's SSH host key)."""
    backend: MonitoringBackend = importlib.import_module(BACKENDS[settings.kind]).open_backend(
        settings, secrets, register)
    return backend
