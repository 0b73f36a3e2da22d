"""Steps 1 to 7 and decommissioning end to end on the lab: namespace servers, the switch simulator over SSH,
Open vSwitch, the NOC's Prometheus; through the `colo` CLI where the contract names a command."""

from __future__ import annotations

import re
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from provisioner.allocate import find_allocation
from provisioner.dns import DnsRecord, open_backend
from provisioner.errors import AccessCheckFailed
from provisioner.facility import Facility
from provisioner.lab.api import Lab
from provisioner.lab.bind import DNS_SECRET_VARIABLE
from provisioner.network import SessionPool
from provisioner.register.capacity_models import AgencyNetworkRecord, ClaimRecord
from provisioner.register.db import Register, open_register
from provisioner.register.models import AssetRecord
from provisioner.safe_yaml import load_yaml_file
from provisioner.stages.engine import Display, StageRun
from provisioner.steps import provision
from provisioner.workflow import Step, get_request, step_result
from tests.e2e.conftest import (
    LAB_TECHNICIAN,
    ROOT,
    SITE,
    addresses_of,
    cli_env,
    colo,
    colo_json,
    prometheus_targets,
)
from tests.integration.test_dns import dig
from tests.integration.test_lab import wait_for

pytestmark = [pytest.mark.lab, pytest.mark.slow]
EXAMPLE = ROOT / "examples" / "request-simpeg.yaml"
HEAD = "Drs. Asep Hidayat"
SIMPEG = "simpeg.lab.ciamiskab.go.id"


def _block(config: str, header: str) -> str:
    """One block of a running configuration (header and its indented lines)."""
    found = re.search(rf"^{re.escape(header)}\n((?: .*\n)*)", config, re.MULTILINE)
    return found.group(0) if found else ""


def _through_step5(env: dict[str, str], register: Register, facility: Facility, lab: Lab, host: str,
                   request: Path = EXAMPLE, cable: bool = True,
                   site: Path = SITE) -> tuple[str, dict[str, object]]:
    """Steps 1 to 5 over the CLI on `site` for `host`; its cable moved to the port the request holds."""
    request_id = colo_json(env, "request", "submit", str(request), site=site)["id"]
    colo(env, "dispose", request_id, "--by", HEAD, "--to", "Dede Kurniawan, S.Kom.", site=site)
    colo(env, "capacity", request_id, site=site)
    with register.session() as session:
        held = find_allocation(session, facility, request_id)
        assert held is not None
        placement = held.model_dump(mode="json")
    info = lab.host(host)
    colo(env, "apply", request_id, "--serial", info.profile.serial, "--staging-address", info.staging_address,
         site=site)
    colo(env, "approve", request_id, "--by", HEAD, site=site)
    if cable:
        lab.cable(host, str(placement["switch_port"]))
    return request_id, placement


def _fresh(tmp_path: Path, lab: Lab, host: str) -> tuple[dict[str, str], Register]:
    """A register of the test's own, `host` as delivered, the switch without unused agency VLANs."""
    register = open_register(cli_env(tmp_path)["COLO_DB"])
    lab.reset_host(host)
    lab.prune_vlans()
    return cli_env(tmp_path), register


def test_steps_1_to_7_then_decommission_leaves_what_was_there(lab: Lab, facility: Facility,
                                                               tmp_path: Path) -> None:
    env, register = _fresh(tmp_path, lab, "lab-srv1")
    file_sd = lab.file_sd_dir  # the NOC's folder as this machine sees it
    config_before, file_sd_before = lab.switch_config(), sorted(file_sd.iterdir())
    request_id, plan = _through_step5(env, register, facility, lab, "lab-srv1")
    address, vlan, port = str(plan["address"]), int(plan["vlan_id"]), str(plan["switch_port"])

    result = colo_json(env, "provision", request_id, "--yes")
    stages = {s["stage"]: s for s in result["stages"]}
    assert [s["status"] for s in result["stages"]] == ["done"] * 8, result
    assert dig(SIMPEG, "A") == [address]
    assert stages["network"]["details"]["ntp"]["reference"] == str(facility.ntp[0])
    assert [r["name"] for r in stages["dns"]["details"]["made"]] == [SIMPEG, ".".join(
        [*reversed(address.split(".")), "in-addr.arpa"])]
    config = lab.switch_config()
    port_block = _block(config, f"interface {port}")
    assert f"description disdik:simpeg:{request_id}" in port_block
    assert f"switchport access vlan {vlan}" in port_block
    assert f"ip address {plan['gateway']} 255.255.255.224" in _block(config, f"interface Vlan{vlan}")
    assert addresses_of(lab, "lab-srv1") == [f"{address}/{plan['prefix_len']}"]  # staging address removed
    assert lab.reachable_from_noc(address, 443) and lab.reachable_from_noc(address, 22)
    assert (f"http://{address}:9100/metrics", "up") in prometheus_targets(facility)
    assert stages["access_check"]["details"]["access_check"]["passed"] is True
    assert stages["verify"]["details"]["facts"]["vendor"] == "Dell Inc."
    docs = tmp_path / "docs" / request_id
    for kind in ("work_report", "handover_minutes"):
        assert (docs / f"{kind}.pdf").stat().st_size > 1000 and (docs / f"{kind}.html").is_file()
    with register.session() as session:
        asset = session.scalars(select(AssetRecord).where(AssetRecord.request_id == request_id)).one()
        assert (asset.address, asset.serial, asset.details["switch_port"]) == (address, "7XK2Q93", port)
    assert colo_json(env, "provision", request_id, "--yes")["already_complete"] is True

    report = colo_json(env, "report", request_id)
    mail = BytesParser(policy=policy.default).parsebytes(Path(report["mail"]["eml"]).read_bytes())
    assert mail["To"].addresses[0].addr_spec == "budi@disdik.ciamiskab.go.id"
    assert request_id in mail["Subject"]
    attached = {part.get_filename() for part in mail.iter_attachments()}
    assert {"final_report.pdf", "handover_minutes.pdf"} <= attached
    final = (docs / "final_report.html").read_text()
    assert "Uji akses" in final and "LULUS" in final and asset.details["asset_tag"] in final
    for kind in ("final_report", "handover_minutes"):
        assert f"https://{SIMPEG}:443/" in (docs / f"{kind}.html").read_text(), kind
    colo(env, "report", request_id)  # a repeat reports the earlier result

    colo(env, "decommission", request_id)
    assert dig(SIMPEG, "A") == []
    assert lab.switch_config() == config_before
    assert sorted(file_sd.iterdir()) == file_sd_before
    assert f"http://{address}:9100/metrics" not in [url for url, _ in prometheus_targets(facility)]
    with register.session() as session:
        assert session.scalar(select(func.count()).select_from(ClaimRecord)) == 0
        assert session.scalar(select(func.count()).select_from(AgencyNetworkRecord)) == 0
        assert session.scalars(select(AssetRecord)).one().decommissioned_at is not None


def test_spec_mismatch_exits_3_before_any_switch_change(lab: Lab, facility: Facility, tmp_path: Path) -> None:
    env, register = _fresh(tmp_path, lab, "lab-srv3")
    document = load_yaml_file(EXAMPLE)
    assert isinstance(document, dict)
    del document["server"]["serial"]
    document["server"]["cpu_cores"] = 32
    request = tmp_path / "request-32-cores.yaml"

    request.write_text(yaml.safe_dump(document))
    request_id, _plan = _through_step5(env, register, facility, lab, "lab-srv3", request, cable=False)
    before = lab.switch_config()
    failed = colo(env, "provision", request_id, "--yes", code=3)
    assert "cpu_cores" in failed.stderr
    assert lab.switch_config() == before
    with register.session() as session:
        assert step_result(get_request(session, request_id), Step.PROVISION) is None


def test_name_taken_in_the_zone_at_step6_exits_3_and_nothing_is_done(
    lab: Lab, facility: Facility, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env, register = _fresh(tmp_path, lab, "lab-srv1")
    request_id, _plan = _through_step5(env, register, facility, lab, "lab-srv1")
    monkeypatch.setenv("COLO_CREDENTIALS_FILE", str(lab.credentials_path))
    backend = open_backend(facility)
    theirs = DnsRecord(zone="lab.ciamiskab.go.id", name=SIMPEG, type="A", value="10.231.99.99")
    backend.ensure([theirs])
    try:
        failed = colo(env, "provision", request_id, "--yes", code=3)
        assert SIMPEG in failed.stderr and "10.231.99.99" in failed.stderr
        assert dig(SIMPEG, "A") == ["10.231.99.99"]
        with register.session() as session:
            record = get_request(session, request_id)
            assert step_result(record, Step.PROVISION) is None
            assert not [e for e in record.events if e.stage == "dns" and e.outcome == "ok"]

        backend.remove([theirs])  # the name free again, the update signed with a key the server lacks
        wrong = {**env, DNS_SECRET_VARIABLE.removesuffix("_SECRET") + "_KEY_NAME": "not-a-lab-key",
                 DNS_SECRET_VARIABLE: lab.credentials_env()[DNS_SECRET_VARIABLE]}
        refused = colo(wrong, "provision", request_id, "--yes", code=1)
        assert "the DNS server refused the update (BADKEY)" in refused.stderr
        assert dig(SIMPEG, "A") == []
        with register.session() as session:
            record = get_request(session, request_id)
            assert step_result(record, Step.PROVISION) is None
            assert not [e for e in record.events if e.stage == "dns" and e.outcome == "ok"]
    finally:
        backend.remove([theirs])
        colo(env, "decommission", request_id)


def test_subdomain_in_the_zone_or_held_by_another_request_is_refused_at_step3(
    lab: Lab, facility: Facility, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env, register = _fresh(tmp_path, lab, "lab-srv1")
    first = colo_json(env, "request", "submit", str(EXAMPLE))["id"]
    colo(env, "dispose", first, "--by", HEAD, "--to", "Dede Kurniawan, S.Kom.")
    monkeypatch.setenv("COLO_CREDENTIALS_FILE", str(lab.credentials_path))
    backend = open_backend(facility)
    theirs = DnsRecord(zone="lab.ciamiskab.go.id", name=SIMPEG, type="A", value="10.231.99.98")
    backend.ensure([theirs])
    try:
        refused = colo(env, "capacity", first, code=3)
        assert "subdomain simpeg" in refused.stderr and "10.231.99.98" in refused.stderr
    finally:
        backend.remove([theirs])
    document = load_yaml_file(EXAMPLE)
    assert isinstance(document, dict)
    document["server"]["hostname"], document["server"]["serial"] = "simpeg2", "7XK2Q94"
    request = tmp_path / "request-same-subdomain.yaml"
    request.write_text(yaml.safe_dump(document))
    held = colo_json(env, "request", "submit", str(EXAMPLE))["id"]
    colo(env, "dispose", held, "--by", HEAD, "--to", "Dede Kurniawan, S.Kom.")
    colo(env, "capacity", held)
    second = colo_json(env, "request", "submit", str(request))["id"]
    colo(env, "dispose", second, "--by", HEAD, "--to", "Dede Kurniawan, S.Kom.")
    refused = colo(env, "capacity", second, code=3)
    assert "subdomain simpeg" in refused.stderr and f"held by {held}" in refused.stderr
    with register.session() as session:
        assert find_allocation(session, facility, second) is None


def test_wrong_vlan_by_hand_fails_access_check_keeps_step7_closed_and_rerun_converges(
    lab: Lab, facility: Facility, tmp_path: Path
) -> None:
    env, register = _fresh(tmp_path, lab, "lab-srv1")
    request_id, plan = _through_step5(env, register, facility, lab, "lab-srv1")

    def wrong_vlan_by_hand(run: StageRun) -> None:
        if run.name == "monitoring" and run.status == "done":
            with SessionPool(register, "by-hand") as pool:
                pool.get(facility.switches[0]).configure(
                    [f"interface {plan['switch_port']}", " switchport access vlan 998"])

    with pytest.raises(AccessCheckFailed) as failed:
        provision.run(register, request_id, SITE, tmp_path / "docs", actor=LAB_TECHNICIAN,
                      confirm=lambda _p: True, processors=[Display(wrong_vlan_by_hand)])
    assert failed.value.exit_code == 3
    assert "needs step 6" in colo(env, "report", request_id, code=3).stderr
    rerun = colo_json(env, "provision", request_id, "--yes")
    statuses = {s["stage"]: s["status"] for s in rerun["stages"]}
    assert statuses["network"] == statuses["access_check"] == statuses["record"] == "done", rerun
    assert f"switchport access vlan {plan['vlan_id']}" in _block(
        lab.switch_config(), f"interface {plan['switch_port']}")
    colo(env, "report", request_id)
    colo(env, "decommission", request_id)


def test_check_prints_plan_and_diff_and_changes_nothing(lab: Lab, facility: Facility, tmp_path: Path) -> None:
    env, register = _fresh(tmp_path, lab, "lab-srv1")
    request_id, _plan = _through_step5(env, register, facility, lab, "lab-srv1")
    before = lab.switch_config()
    out = colo(env, "provision", request_id, "--check").stdout
    assert "switchport access vlan" in out and "GigabitEthernet1/0/" in out
    assert lab.switch_config() == before
    colo(env, "decommission", request_id)


def test_monitoring_host_down_exits_1_and_a_rerun_starts_at_monitoring(lab: Lab, facility: Facility,
                                                                       tmp_path: Path) -> None:
    from provisioner.lab import image, noc, procs

    env, register = _fresh(tmp_path, lab, "lab-srv1")
    request_id, _plan = _through_step5(env, register, facility, lab, "lab-srv1")
    procs.stop(noc.sshd_pid_file(lab.dir))
    try:
        failed = colo(env, "provision", request_id, "--yes", code=1)
        assert "monitoring host 10.231.253.2:22 does not answer SSH" in failed.stderr
        with register.session() as session:
            assert step_result(get_request(session, request_id), Step.PROVISION) is None
    finally:
        noc.start_sshd(lab.dir, image.rootfs_dir())
    assert wait_for(lambda: noc.answers(noc.SSH_PORT), timeout=20)
    try:
        stages = {s["stage"]: s for s in colo_json(env, "provision", request_id, "--yes")["stages"]}
        assert stages["server"]["status"] == "already done", stages
        assert stages["monitoring"]["status"] == "done", stages
        assert all(s["status"] != "failed" for s in stages.values()), stages
    finally:
        colo(env, "decommission", request_id)
