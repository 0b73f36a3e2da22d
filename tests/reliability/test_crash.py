"""A crash at every stage boundary of step 6, and inside the switch change: the provisioning process is
killed with SIGKILL there (provisioner.testhooks), then `colo provision` runs again. The register, the
switch, the server and Prometheus' target end exactly as after an uninterrupted run; no allocation leaks;
the event log shows the interrupted stage (started, never finished).

Each crash point provisions lab-srv6 from a fresh register under the same request id, so every run's end
state is comparable with the uninterrupted one byte for byte.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from reliability_lab import (
    approved,
    claims,
    clean_up,
    colo,
    own_site,
    placement_of,
    port_config,
    server_state,
    target_file,
)
from reliability_support import ROOT, Figures

from provisioner.register.db import Register, open_register
from provisioner.steps.provision import all_stages
from tests.integration.conftest import LabHandle

pytestmark = [pytest.mark.lab, pytest.mark.slow]

HOST, AGENCY, YEAR = "lab-srv6", "crash", 2021
STAGES = [stage.name for stage in all_stages()]
# A representative few run by default; the whole matrix (about 12 minutes) with the soak runs.
DEFAULT_POINTS = {"plan:before", "network:after", "switch:half", "switch:unsaved", "dns:updated",
                  "monitoring:after"}
POINTS = [
    pytest.param(point, marks=() if point in DEFAULT_POINTS else pytest.mark.soak)
    for point in [f"{s}:{m}" for s in STAGES for m in ("before", "after")]
    + ["switch:half", "switch:unsaved", "dns:updated"]
]
_TIMES = ("_at", "seconds", "started", "held_at", "created_at")


def _strip(value: Any) -> Any:
    """Drop times and durations, which differ between any two runs."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if not any(t in k for t in _TIMES)}
    if isinstance(value, list | tuple):
        return [_strip(v) for v in value]
    return value


def end_state(register: Register, lab: LabHandle, site: Path, request_id: str) -> dict[str, Any]:
    """What step 6 leaves: register (claims, asset, state), switch (port, VLAN SVI), server, target file."""
    from sqlalchemy import select

    from provisioner.register.models import AssetRecord
    from provisioner.workflow import get_request, state_of

    placement = placement_of(register, request_id)
    with register.session() as session:
        state = str(state_of(get_request(session, request_id)))
        asset = session.scalar(select(AssetRecord).where(AssetRecord.request_id == request_id))
        asset_row = None if asset is None else _strip(dict(asset.details))
    held = {name: [tuple(c for c in row if not hasattr(c, "tzinfo")) for row in rows]
            for name, rows in claims(register).items()}
    return {
        "state": state,
        "claims": held,
        "asset": asset_row,
        "port": port_config(register, site, placement["port"]),
        "svi": port_config(register, site, f"Vlan{placement['vlan']}"),
        "server": server_state(lab.lab, HOST),
        "target": target_file(site, request_id).read_text(),
    }


def _crash_run(url: str, request_id: str, site: Path, point: str) -> subprocess.CompletedProcess[str]:
    import os

    env = {**os.environ, "PYTHONPATH": f"{ROOT}:{ROOT / 'tests' / 'reliability'}",
           "COLO_TEST_CRASH_AT": point}
    script = str(Path(__file__).with_name("crash_provision.py"))
    argv = [sys.executable, script, url, request_id, str(site), str(site.parent / "documents")]
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=600, check=False)


def _events(register: Register, request_id: str) -> list[tuple[str | None, str]]:
    from provisioner.workflow import Step, get_request

    with register.session() as session:
        events = get_request(session, request_id).events
        return [(e.stage, e.outcome) for e in events if e.step == Step.PROVISION]


@pytest.fixture(scope="module")
def reference(lab: LabHandle, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The end state of one uninterrupted run (then undone)."""
    root = tmp_path_factory.mktemp("crash-reference")
    site = own_site(root)
    url = f"sqlite:///{root / 'reg' / 'register.db'}"
    register = open_register(url)
    request_id = approved(register, lab.lab, site, HOST, AGENCY, YEAR)
    try:
        run = colo(["provision", request_id, "--yes"], url, site, lab.lab)
        assert run.code == 0, run.err
        return end_state(register, lab, site, request_id)
    finally:
        clean_up(register, site, request_id, lab.lab, HOST)


def _drop_switch_locks(register: Register) -> None:
    """Clear this test register's switch locks (a killed run's lock would hold up the clean-up)."""
    from sqlalchemy import delete

    from provisioner.register.network_models import SwitchLockRecord

    with register.session() as session:
        session.execute(delete(SwitchLockRecord))


ZABBIX_POINTS = [pytest.param("monitoring:after"), pytest.param("monitoring:before", marks=pytest.mark.soak)]


@pytest.mark.parametrize("point", ZABBIX_POINTS, ids=lambda p: str(p).replace(":", "_"))
def test_crash_at_zabbix_monitoring_then_rerun_makes_one_host(
    point: str, lab: LabHandle, tmp_path: Path, figures: Figures
) -> None:
    """On the lab's Zabbix: killed at the monitoring stage, then run again, the server is one Zabbix host,
    tagged with its request and available; decommissioning removes it."""
    from provisioner.lab import zabbix
    from tests.e2e.test_provision_zabbix import hosts_named, lab_api

    lab.lab.up(monitoring="zabbix")
    monitoring = {"kind": "zabbix", "url": zabbix.LAB_URL, "credentials": "zabbix-lab"}
    site = own_site(tmp_path, monitoring=monitoring)
    url = f"sqlite:///{tmp_path / 'reg' / 'register.db'}"
    register = open_register(url)
    request_id = approved(register, lab.lab, site, HOST, "crashzbx", YEAR)
    name = "crashzbx-app"
    figures.case()
    try:
        crashed = _crash_run(url, request_id, site, point)
        assert crashed.returncode == -9, f"the crash point {point} was not reached:\n{crashed.stderr[-3000:]}"
        assert ("monitoring", "started") in _events(register, request_id)
        rerun = colo(["provision", request_id, "--yes"], url, site, lab.lab)
        assert rerun.code == 0, rerun.out[-2000:] + rerun.err[-2000:]
        with lab_api(lab.lab) as api:
            [host] = hosts_named(api, name)
        assert {"tag": "colo-request", "value": request_id} in host["tags"], host
        assert [i["available"] for i in host["interfaces"]] == ["1"], host
        figures.fault()
    finally:
        clean_up(register, site, request_id, lab.lab, HOST)
    with lab_api(lab.lab) as api:
        assert hosts_named(api, name) == []


@pytest.mark.parametrize("point", POINTS, ids=lambda p: str(p).replace(":", "_"))
def test_crash_then_rerun_ends_as_uninterrupted(
    point: str, reference: dict[str, Any], lab: LabHandle, tmp_path: Path, figures: Figures
) -> None:
    site = own_site(tmp_path)
    url = f"sqlite:///{tmp_path / 'reg' / 'register.db'}"
    register = open_register(url)
    request_id = approved(register, lab.lab, site, HOST, AGENCY, YEAR)
    figures.case()
    try:
        crashed = _crash_run(url, request_id, site, point)
        assert crashed.returncode == -9, f"the crash point {point} was not reached:\n{crashed.stderr[-3000:]}"
        stage = point.split(":")[0] if not point.startswith("switch") else "network"
        events = _events(register, request_id)
        assert (stage, "started") in events
        if point.endswith(":before") or point.startswith("switch"):
            assert events[-1] == (stage, "started"), events  # the log shows where it stopped
        rerun = colo(["provision", request_id, "--yes"], url, site, lab.lab)
        assert rerun.code == 0, rerun.out[-2000:] + rerun.err[-2000:]
        assert "Traceback" not in rerun.out + rerun.err
        after = end_state(register, lab, site, request_id)
        for key in reference:
            if after[key] != reference[key]:
                figures.leak(f"crash at {point}: {key} differs from an uninterrupted run")
        assert after == reference
        figures.fault()
    finally:
        _drop_switch_locks(register)
        clean_up(register, site, request_id, lab.lab, HOST)
