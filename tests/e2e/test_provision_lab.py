"""Step 6 and its neighbours end to end on the lab: real servers, switch simulator, OVS, Prometheus."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from provisioner.allocate import run_capacity_step
from provisioner.errors import AccessCheckFailed, OutOfOrder, SpecMismatch
from provisioner.facility import load_facility
from provisioner.provision import StageRun, provision
from provisioner.register.db import Register, open_register
from provisioner.request import load_request
from provisioner.stages.report import run_report
from provisioner.workflow import Step, get_request, perform_step, submit_request

pytestmark = [pytest.mark.lab, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "inventories" / "lab"


@pytest.fixture(scope="module")
def lab() -> object:
    if os.geteuid() != 0:
        pytest.skip("the lab needs root")
    from provisioner.lab.api import Lab

    lab = Lab()
    if lab.host_count() == 0 or not lab.status().healthy:
        lab.up()
    os.environ.setdefault("COLO_CREDENTIALS_FILE", str(lab.credentials_path))
    return lab


def _approved(register: Register, host: str, lab: object, serial: str | None = None) -> str:
    """A request for the example server, through step 5, with `host` cabled to the port it holds."""
    spec, text = load_request(ROOT / "examples" / "request-simpeg.yaml")
    request_id = submit_request(register, spec.model_dump(mode="json"), text, actor="test")
    perform_step(register, request_id, Step.DISPOSE, "kabid", {"to": "kasi"})
    run = run_capacity_step(register, load_facility(SITE), request_id, "tech")
    port = run.event.details["report"]["placement"]["port"]
    info = lab.host(host)  # type: ignore[attr-defined]
    perform_step(register, request_id, Step.APPLY, "agency",
                 {"serial": serial or info.profile.serial, "staging_address": info.staging_address})
    perform_step(register, request_id, Step.APPROVE, "kabid", {})
    lab.cable(host, port)  # type: ignore[attr-defined]
    return request_id


def _switch_port(register: Register, port: str) -> str:
    """The port's running configuration, read over the switch's own CLI."""
    from provisioner.network import SessionPool

    facility = load_facility(SITE)
    with SessionPool(register) as pool:
        session = pool.get(facility.switches[0])
        return session.connection.send_command(f"show running-config interface {port}")  # type: ignore[no-any-return]


def test_happy_path_then_report_then_decommission_restores(lab: object, tmp_path: Path) -> None:
    from provisioner.decommission import decommission

    register = open_register(f"sqlite:///{tmp_path / 'register.db'}")
    request_id = _approved(register, "lab-srv1", lab)
    with register.session() as session:
        port = get_request(session, request_id).events[2].details["report"]["placement"]["port"]
    before = _switch_port(register, port)
    seen: list[StageRun] = []
    result = provision(register, request_id, SITE, tmp_path / "docs", actor="tech", confirm=lambda _p: True,
                       progress=seen.append)
    assert [r.status for r in result.stages] == ["done"] * 7
    assert f"description disdik:simpeg:{request_id}" in _switch_port(register, port)
    again = provision(register, request_id, SITE, tmp_path / "docs", actor="tech", confirm=lambda _p: True)
    assert again.already_complete
    report = run_report(register, request_id, SITE, tmp_path / "docs", actor="tech")
    assert Path(report["mail"]["eml"]).is_file()
    decommission(register, request_id, SITE, tmp_path / "docs", actor="tech")
    assert _switch_port(register, port) == before
    assert not (Path(load_facility(SITE).monitoring.file_sd_dir) / f"{request_id}.json").exists()


def test_spec_mismatch_stops_before_any_switch_change(lab: object, tmp_path: Path) -> None:
    register = open_register(f"sqlite:///{tmp_path / 'register.db'}")
    request_id = _approved(register, "lab-srv3", lab)  # an 8 GB / 4-core server for a 64 GB / 16-core request
    with register.session() as session:
        port = get_request(session, request_id).events[2].details["report"]["placement"]["port"]
    before = _switch_port(register, port)
    with pytest.raises(SpecMismatch):
        provision(register, request_id, SITE, tmp_path / "docs", actor="tech", confirm=lambda _p: True)
    assert _switch_port(register, port) == before


def test_wrong_vlan_fails_access_check_and_rerun_converges(lab: object, tmp_path: Path) -> None:
    from provisioner.decommission import decommission
    from provisioner.network import SessionPool

    register = open_register(f"sqlite:///{tmp_path / 'register.db'}")
    request_id = _approved(register, "lab-srv1", lab)
    facility = load_facility(SITE)

    def sabotage(run: StageRun) -> None:
        if run.name == "monitoring" and run.status == "done":
            port = result_port[0]
            with SessionPool(register) as pool:
                pool.get(facility.switches[0]).configure([f"interface {port}", " switchport access vlan 199"])

    with register.session() as session:
        result_port = [get_request(session, request_id).events[2].details["report"]["placement"]["port"]]
    with pytest.raises(AccessCheckFailed):
        provision(register, request_id, SITE, tmp_path / "docs", actor="tech", confirm=lambda _p: True,
                  progress=sabotage)
    with pytest.raises(OutOfOrder):
        run_report(register, request_id, SITE, tmp_path / "docs", actor="tech")
    rerun = provision(register, request_id, SITE, tmp_path / "docs", actor="tech", confirm=lambda _p: True)
    assert rerun.stages[-1].status == "done"
    decommission(register, request_id, SITE, tmp_path / "docs", actor="tech")


def test_cli_check_prints_plan_and_diff_without_change(lab: object, tmp_path: Path) -> None:
    register = open_register(f"sqlite:///{tmp_path / 'register.db'}")
    request_id = _approved(register, "lab-srv1", lab)
    env = {**os.environ, "COLO_DB": f"sqlite:///{tmp_path / 'register.db'}", "PYTHONPATH": str(ROOT)}
    command = ["provision", request_id, "--check"]
    out = subprocess.run(
        [sys.executable, "-m", "provisioner.cli.main", "--site", str(SITE), *command],
        capture_output=True, text=True, env=env, check=True,
    ).stdout
    assert "switchport access vlan" in out and "GigabitEthernet1/0/" in out
    from provisioner.allocate import release

    release(register, load_facility(SITE), request_id)
