"""Crashes inside the change over both lab switches (a server in R02, behind the trunk): killed with SIGKILL
between the two switches, or mid-push or unsaved on the first one, then `colo provision` runs again; both
switches, the register, the server and its monitoring target end exactly as after an uninterrupted run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from reliability_lab import approved, claims, clean_up, colo, own_site, server_state, target_file
from test_crash import _crash_run, _drop_switch_locks, _events, _strip

from provisioner.register.db import Register, open_register
from tests.integration.conftest import LabHandle

pytestmark = [pytest.mark.lab, pytest.mark.slow]

HOST, AGENCY, YEAR = "lab-srv7", "crashtwo", 2023
SWITCHES = ("sw-lab-01", "sw-lab-02")
POINTS = ["switch:between", pytest.param("switch:half", marks=pytest.mark.soak),
          pytest.param("switch:unsaved", marks=pytest.mark.soak)]


def configs() -> dict[str, str]:
    """Both switches' running configurations, read over their CLIs."""
    from provisioner.lab.api import Lab

    return {name: Lab().switch_config(name) for name in SWITCHES}


def end_state(register: Register, lab: LabHandle, site: Path, request_id: str) -> dict[str, Any]:
    from provisioner.workflow import get_request, state_of

    with register.session() as session:
        state = str(state_of(get_request(session, request_id)))
    held = {name: [tuple(c for c in row if not hasattr(c, "tzinfo")) for row in rows]
            for name, rows in claims(register).items()}
    return {"state": state, "claims": _strip(held), "switches": configs(),
            "server": server_state(lab.lab, HOST), "target": target_file(site, request_id).read_text()}


@pytest.fixture(scope="module")
def reference(lab: LabHandle, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The end state of one uninterrupted run in R02 (then undone)."""
    root = tmp_path_factory.mktemp("crash-fabric-reference")
    site = own_site(root)
    url = f"sqlite:///{root / 'reg' / 'register.db'}"
    register = open_register(url)
    request_id = approved(register, lab.lab, site, HOST, AGENCY, YEAR, rack="R02")
    try:
        run = colo(["provision", request_id, "--yes"], url, site, lab.lab)
        assert run.code == 0, run.err
        return end_state(register, lab, site, request_id)
    finally:
        clean_up(register, site, request_id, lab.lab, HOST)


@pytest.mark.parametrize("point", POINTS, ids=lambda p: str(p).replace(":", "_"))
def test_a_crash_inside_the_two_switch_change_then_rerun_ends_as_uninterrupted(
        point: str, reference: dict[str, Any], lab: LabHandle, tmp_path: Path) -> None:
    site = own_site(tmp_path)
    url = f"sqlite:///{tmp_path / 'reg' / 'register.db'}"
    register = open_register(url)
    request_id = approved(register, lab.lab, site, HOST, AGENCY, YEAR, rack="R02")
    try:
        before = configs()
        crashed = _crash_run(url, request_id, site, point)
        assert crashed.returncode == -9, f"the crash point {point} was not reached:\n{crashed.stderr[-3000:]}"
        assert _events(register, request_id)[-1] == ("network", "started")
        if point == "switch:between":
            now = configs()
            assert now["sw-lab-01"] != before["sw-lab-01"] and now["sw-lab-02"] == before["sw-lab-02"]
        rerun = colo(["provision", request_id, "--yes"], url, site, lab.lab)
        assert rerun.code == 0, rerun.out[-2000:] + rerun.err[-2000:]
        assert end_state(register, lab, site, request_id) == reference
    finally:
        _drop_switch_locks(register)
        clean_up(register, site, request_id, lab.lab, HOST)
