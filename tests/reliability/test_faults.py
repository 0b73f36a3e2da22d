"""Faults in the components step 6 talks to: the switch unreachable, the switch session dropped in the
middle of a change, the server unreachable, Prometheus down, the register busy. Each ends with a clear
message and exit code 1, leaves things as the contract says, and (where it can) a rerun completes.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from reliability_lab import (
    approved,
    claims,
    clean_up,
    colo,
    own_site,
    placement_of,
    port_config,
)
from reliability_support import EXAMPLE_REQUEST, Figures, run_colo_process

from provisioner.register.db import Register, open_register
from tests.integration.conftest import LabHandle


def _stage_events(register: Register, request_id: str) -> list[tuple[str | None, str]]:
    from provisioner.workflow import Step, get_request

    with register.session() as session:
        events = get_request(session, request_id).events
        return [(e.stage, e.outcome) for e in events if e.step == Step.PROVISION]


def _kinds(register: Register) -> list[str]:
    return [str(row[3]) for row in claims(register)["capacity_claims"]]


@pytest.mark.lab
@pytest.mark.slow
def test_switch_unreachable_at_start(lab: LabHandle, tmp_path: Path, figures: Figures) -> None:
    """The switch does not answer: exit 1 naming it, and nothing allocated beyond the hold of step 3."""
    site = own_site(tmp_path, switches__0__port=2299)  # nothing listens there
    register = open_register(f"sqlite:///{tmp_path / 'reg' / 'register.db'}")
    request_id = approved(register, lab.lab, site, "lab-srv3", "nosw", 2041)
    figures.case()
    try:
        run = colo(["provision", request_id, "--yes"], str(register.engine.url), site, lab.lab)
        assert run.code == 1, run.err
        assert "sw-lab-01" in run.err and "2299" in run.err, run.err
        assert "Traceback" not in run.out + run.err
        assert _kinds(register) == ["hold"]
        figures.fault()
    finally:
        clean_up(register, own_site(tmp_path), request_id, lab.lab, "lab-srv3")


@pytest.mark.lab
@pytest.mark.slow
def test_core_switch_unreachable_for_a_server_in_r02(lab: LabHandle, tmp_path: Path,
                                                     figures: Figures) -> None:
    """A server in R02 whose path's layer-3 switch does not answer: exit 1 naming that switch before anything
    is allocated or sent to sw-lab-02."""
    site = own_site(tmp_path, switches__0__port=2299)
    register = open_register(f"sqlite:///{tmp_path / 'reg' / 'register.db'}")
    request_id = approved(register, lab.lab, site, "lab-srv3", "nocore", 2042, rack="R02")
    figures.case()
    try:
        run = colo(["provision", request_id, "--yes"], str(register.engine.url), site, lab.lab)
        assert run.code == 1, run.err
        assert "sw-lab-01" in run.err and "2299" in run.err, run.err
        assert _kinds(register) == ["hold"]
        figures.fault()
    finally:
        clean_up(register, own_site(tmp_path), request_id, lab.lab, "lab-srv3")


@pytest.mark.lab
@pytest.mark.slow
def test_switch_session_dropped_mid_change_is_restored(
    lab: LabHandle, tmp_path: Path, figures: Figures
) -> None:
    """The switch drops the session after 3 configuration lines: the port is restored, exit 1, rerun works."""
    site = own_site(tmp_path)
    url = f"sqlite:///{tmp_path / 'reg' / 'register.db'}"
    register = open_register(url)
    request_id = approved(register, lab.lab, site, "lab-srv7", "dropsw", 2042)
    placement = placement_of(register, request_id)
    port, svi = placement["port"], f"Vlan{placement['vlan']}"
    before = port_config(register, site, port), port_config(register, site, svi)
    figures.case()
    trigger = lab.lab.dir / "switch" / "drop-after"
    try:
        trigger.write_text("3\n")
        run = colo(["provision", request_id, "--yes"], url, site, lab.lab)
        assert not trigger.exists(), "the switch never took the fault"
        assert run.code == 1, run.err
        assert "restored" in run.err and "NOT restored" not in run.err, run.err
        assert (port_config(register, site, port), port_config(register, site, svi)) == before
        assert ("network", "failed") in _stage_events(register, request_id)
        figures.fault()
        rerun = colo(["provision", request_id, "--yes"], url, site, lab.lab)
        assert rerun.code == 0, rerun.err[-2000:]
        assert request_id in port_config(register, site, port)
    finally:
        trigger.unlink(missing_ok=True)
        clean_up(register, site, request_id, lab.lab, "lab-srv7")


@pytest.mark.lab
@pytest.mark.slow
def test_server_unreachable(lab: LabHandle, tmp_path: Path, figures: Figures) -> None:
    """The delivered server does not answer on its staging address: exit 1, the record says verify failed."""
    site = own_site(tmp_path)
    url = f"sqlite:///{tmp_path / 'reg' / 'register.db'}"
    register = open_register(url)
    request_id = approved(register, lab.lab, site, "lab-srv2", "nosrv", 2043, cable=False,
                          staging="10.231.250.99")  # step 4 recorded an address where nothing answers
    port = placement_of(register, request_id)["port"]
    before = port_config(register, site, port)
    figures.case()
    try:
        run = colo(["provision", request_id, "--yes"], url, site, lab.lab)
        assert run.code == 1, run.out + run.err
        assert "10.231.250.99" in run.err and "Traceback" not in run.err, run.err
        assert _stage_events(register, request_id)[-1] == ("verify", "failed")
        shown = run_colo_process(["request", "show", request_id], {"COLO_DB": url})
        assert "verify failed" in shown.out, shown.out
        assert port_config(register, site, port) == before
        figures.fault()
    finally:
        clean_up(register, site, request_id)


@pytest.mark.lab
@pytest.mark.slow
def test_prometheus_down_then_rerun(lab: LabHandle, tmp_path: Path, figures: Figures) -> None:
    """Monitoring does not answer: the monitoring stage fails (exit 1); once it answers, a rerun completes."""
    site = own_site(tmp_path)
    # Prometheus' own address with a port where nothing listens: the same monitoring source to the server's
    # firewall, an API that does not answer
    down = own_site(tmp_path / "down", monitoring__url="http://10.231.253.2:9")
    url = f"sqlite:///{tmp_path / 'reg' / 'register.db'}"
    register = open_register(url)
    request_id = approved(register, lab.lab, site, "lab-srv8", "noprom", 2044)
    figures.case()
    try:
        run = colo(["provision", request_id, "--yes"], url, down, lab.lab)
        assert run.code == 1, run.out[-2000:] + run.err[-2000:]
        assert "Traceback" not in run.out + run.err
        assert _stage_events(register, request_id)[-1] == ("monitoring", "failed")
        assert "10.231.253.2:9" in run.err or "Prometheus" in run.err, run.err
        figures.fault()
        rerun = colo(["provision", request_id, "--yes"], url, site, lab.lab)
        assert rerun.code == 0, rerun.err[-2000:]
    finally:
        clean_up(register, site, request_id, lab.lab, "lab-srv8")


@pytest.mark.slow
def test_register_busy(tmp_path: Path, figures: Figures) -> None:
    """Another process holds the register locked: `colo` waits, then exits 1 saying the register is locked."""
    db = tmp_path / "reg" / "register.db"
    env = {"COLO_DB": f"sqlite:///{db}"}
    assert run_colo_process(["request", "submit", str(EXAMPLE_REQUEST)], env).code == 0
    holder = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    release = threading.Timer(150, holder.rollback)
    release.start()
    figures.case()
    try:
        run = run_colo_process(["request", "submit", str(EXAMPLE_REQUEST)], env, timeout=140)
    finally:
        release.cancel()
        holder.rollback()
        holder.close()
    assert run.code == 1, run.out + run.err
    assert "register" in run.err and "locked" in run.err, run.err
    assert "Traceback" not in run.err
    assert run_colo_process(["request", "submit", str(EXAMPLE_REQUEST)], env).code == 0  # free again
    figures.fault()
