"""The `lab` fixture: the local lab, brought up once per session (a running lab is reused, and left up)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from provisioner.lab.api import HostInfo, Lab
from provisioner.lab.layout import PROMETHEUS_URL, SWITCH_HOST, SWITCH_SSH_PORT


@dataclass(frozen=True)
class LabHandle:
    """What tests need of the lab: its servers, the logins (servers, switch), where monitoring is."""

    lab: Lab
    hosts: list[HostInfo]
    key_path: Path
    credentials_env: dict[str, str]
    switch_host: str = SWITCH_HOST
    switch_port: int = SWITCH_SSH_PORT
    prometheus_url: str = PROMETHEUS_URL

    def host(self, name: str) -> HostInfo:
        return next(h for h in self.hosts if h.name == name)

    def env(self) -> dict[str, str]:
        """os.environ plus the lab's credentials (switch login, COLO_SSH_KEY)."""
        return {**os.environ, **self.credentials_env}


@pytest.fixture(scope="session")
def lab(clean_lab: None) -> Iterator[LabHandle]:
    """The running lab with all eight servers (the reliability suite uses lab-srv4..8)."""
    if os.geteuid() != 0:
        pytest.skip("the lab needs root")
    instance = Lab()
    instance.up(8)
    yield LabHandle(instance, instance.hosts(), instance.key_path, instance.credentials_env())
