"""Monitoring systems behind one protocol (`MonitoringBackend`), chosen by the facility's monitoring.kind."""

from __future__ import annotations

import importlib
import inspect
from typing import TYPE_CHECKING

from provisioner.monitoring.base import Health, MonitoredHost, MonitoringBackend, TargetState

if TYPE_CHECKING:
    from provisioner.facility import Monitoring
    from provisioner.register.db import Register

__all__ = ["BACKENDS", "Health", "MonitoredHost", "MonitoringBackend", "TargetState", "open_backend"]

BACKENDS: dict[str, str] = {
    "prometheus": "provisioner.monitoring.prometheus",
    "zabbix": "provisioner.monitoring.zabbix",
}
"""Each kind of monitoring system and the module that speaks to it (its ``open_backend(settings)``)."""


def open_backend(settings: Monitoring, register: Register | None = None) -> MonitoringBackend:
    """The backend for a facility's `monitoring` section (its kind is validated with the facility).

    A backend module's ``open_backend(settings)`` may take ``register`` too (where it keeps what it pins,
    such as the monitoring host's SSH host key); it is passed only to one that names it."""
    opener = importlib.import_module(BACKENDS[settings.kind]).open_backend
    takes_register = "register" in inspect.signature(opener).parameters
    backend: MonitoringBackend = opener(settings, register=register) if takes_register else opener(settings)
    return backend
