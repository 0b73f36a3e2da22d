"""Step 6 and decommissioning over the lab's two racks: a server behind sw-lab-02 gets its VLAN on both
switches, allowed at both ends of the real trunk, its gateway on sw-lab-01, and answers from the NOC; several
servers of three agencies on both switches at once (no duplicate, no deadlock), and each decommissioning
removes exactly what was only its own; a switch failing mid-change leaves both as they were."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from provisioner.allocate import Allocation, find_allocation
from provisioner.facility import Facility
from provisioner.lab.api import Lab, SwitchInfo
from provisioner.network.intents import path_plans, port_description, provision_changes
from provisioner.register.db import Register, open_register
from tests.e2e.conftest import LAB_TECHNICIAN, ROOT, SITE, cli_env, colo, colo_json
from tests.integration.test_lab import wait_for

pytestmark = [pytest.mark.lab, pytest.mark.slow]
EXAMPLE = ROOT / "examples" / "request-simpeg.yaml"
HEAD = "Drs. Asep Hidayat"
SWITCHES = ("sw-lab-01", "sw-lab-02")


def switches(lab: Lab) -> dict[str, SwitchInfo]:
    """Each lab switch as its simulator tells the fabric (the same on either platform): VLANs, SVIs and its
    trunk end's allowed VLANs."""
    return {info.name: info for info in lab.switches()}


def trunk_vlans(info: SwitchInfo) -> set[int]:
    """The VLANs the switch's trunk end carries."""
    [end] = info.trunks
    assert end.allowed_vlans is not None, end
    return set(end.allowed_vlans)


def port_vlan(lab: Lab, switch: str, port: str) -> int:
    """The access VLAN (RouterOS: pvid) of a switch's port."""
    return lab.fabric.snapshot().switch(switch).port(port).vlan


def server_name(host: str, agency: str) -> str:
    """The request's hostname and subdomain: one per request (`disdik3` for lab-srv3)."""
    return f"{agency}{host.removeprefix('lab-srv')}"


def configs(lab: Lab) -> dict[str, str]:
    return {name: lab.switch_config(name) for name in SWITCHES}


class Site:
    """The lab site for one test: its own register, documents and requests; servers put back afterwards."""

    def __init__(self, lab: Lab, facility: Facility, tmp_path: Path) -> None:
        self.lab, self.facility, self.tmp = lab, facility, tmp_path
        self.env = cli_env(tmp_path)
        self.register: Register = open_register(self.env["COLO_DB"])
        self.homes: dict[str, str] = {}

    def approved(self, host: str, agency: str, rack: str, *, cli: bool = False) -> tuple[str, Allocation]:
        """A request of `agency` for lab server `host` through step 5 with space held in `rack` (over the CLI,
        or in this process, without documents, where the test is not about steps 1 to 5), the server cabled
        to the port it holds."""
        info = self.lab.host(host)
        assert info.switch_port is not None
        self.homes.setdefault(host, info.switch_port)
        self.lab.reset_host(host)
        hw = info.profile
        document = yaml.safe_load(EXAMPLE.read_text())
        document["agency"]["code"] = agency
        name = server_name(host, agency)
        document["server"].update(hostname=name, vendor=hw.vendor, model=hw.model,
                                  serial=hw.serial, cpu_cores=hw.cpu_cores, memory_gb=hw.memory_gb,
                                  disk_gb=hw.disk_gb)
        document["applications"][0]["subdomain"] = name
        steps = self._through_step5_cli if cli else self._through_step5
        request_id = steps(document, rack, info.staging_address)
        with self.register.session() as session:
            held = find_allocation(session, self.facility, request_id)
        assert held is not None
        self.lab.cable(host, held.switch_port, held.switch)
        return request_id, held

    def _through_step5_cli(self, document: dict[str, object], rack: str, staging: str) -> str:
        path = self.tmp / f"{document['server']['hostname']}.yaml"  # type: ignore[index]
        path.write_text(yaml.safe_dump(document))
        request_id: str = colo_json(self.env, "request", "submit", str(path))["id"]
        colo(self.env, "dispose", request_id, "--by", HEAD, "--to", "Dede Kurniawan, S.Kom.")
        colo(self.env, "capacity", request_id, "--rack", rack)
        serial = str(document["server"]["serial"])  # type: ignore[index]
        colo(self.env, "apply", request_id, "--serial", serial, "--staging-address", staging)
        colo(self.env, "approve", request_id, "--by", HEAD)
        return request_id

    def _through_step5(self, document: dict[str, object], rack: str, staging: str) -> str:
        from provisioner.request import ColoRequest
        from provisioner.steps import capacity
        from provisioner.steps.submit import submit_request
        from provisioner.workflow import Step, perform_step

        valid = ColoRequest.model_validate(document).model_dump(mode="json")
        request_id = submit_request(self.register, valid, yaml.safe_dump(document), actor=LAB_TECHNICIAN)
        perform_step(self.register, request_id, Step.DISPOSE, HEAD, {"to": "Dede Kurniawan, S.Kom."})
        checked = capacity.run(self.register, self.facility, request_id, by=LAB_TECHNICIAN, rack=rack)
        assert checked.report.placement is not None, checked.report
        serial = str(document["server"]["serial"])  # type: ignore[index]
        perform_step(self.register, request_id, Step.APPLY, "agency",
                     {"serial": serial, "staging_address": staging})
        perform_step(self.register, request_id, Step.APPROVE, HEAD, {})
        return request_id

    def put_back(self) -> None:
        for host, port in self.homes.items():
            self.lab.cable(host, port)
            self.lab.reset_host(host)
        self.register.close()


@pytest.fixture
def site(lab: Lab, facility: Facility, tmp_path: Path) -> Iterator[Site]:
    made = Site(lab, facility, tmp_path)
    yield made
    made.put_back()


def test_a_server_in_r02_answers_over_the_trunk_and_leaves_both_switches_as_they_were(site: Site) -> None:
    lab, env = site.lab, site.env
    before = configs(lab)
    request_id, held = site.approved("lab-srv3", "disdik", "R02", cli=True)
    assert held.switch == "sw-lab-02" and held.rack == "R02"
    vlan, address = held.vlan_id, str(held.address)

    check = colo(env, "provision", request_id, "--check").stdout
    assert "--- sw-lab-01 (now)" in check and "--- sw-lab-02 (now)" in check, check
    assert check.index("--- sw-lab-01 (now)") < check.index("--- sw-lab-02 (now)")
    assert f"switchport trunk allowed vlan add {vlan}" in check
    assert configs(lab) == before

    result = colo_json(env, "provision", request_id, "--yes")
    assert [s["status"] for s in result["stages"]] == ["done"] * 8, result
    network = next(s for s in result["stages"] if s["stage"] == "network")["details"]
    assert [s["switch"] for s in network["switches"]] == ["sw-lab-01", "sw-lab-02"]
    assert all(s["lines_sent"] and s["saved"] for s in network["switches"])
    assert network["switch"]["switch"] == "sw-lab-02" and network["left_alone"] == []
    core, access = switches(lab).values()
    assert core.svis[vlan] == f"{held.gateway}/27" and vlan not in access.svis
    assert vlan in core.vlans and vlan in access.vlans
    assert vlan in trunk_vlans(core) and vlan in trunk_vlans(access)
    assert port_vlan(lab, "sw-lab-02", held.switch_port) == vlan
    assert lab.reachable_from_noc(address, 443)

    description = port_description("disdik", server_name("lab-srv3", "disdik"), request_id)
    plans = path_plans(site.register, provision_changes(site.facility, held, description),
                       site.facility.credential_source())
    assert [p.switch for p in plans] == ["sw-lab-01", "sw-lab-02"] and all(p.empty for p in plans)

    colo(env, "decommission", request_id)
    assert configs(lab) == before


def _provision_at_once(site: Site, ids: list[str]) -> None:
    """`colo provision ID --yes` for every id, each its own process, all at once; each exits 0."""
    procs = [subprocess.Popen([sys.executable, "-m", "provisioner.cli.main", "--site", str(SITE), "provision",
                               rid, "--yes", "--json"], env=site.env, cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for rid in ids]
    outcomes = [(p.communicate(timeout=900), p.returncode) for p in procs]
    assert all(code == 0 for _, code in outcomes), [err[-2000:] for (_, err), code in outcomes if code]


def test_four_servers_on_both_switches_at_once_each_leaving_takes_only_its_own(site: Site) -> None:
    """dinkes and bappeda behind sw-lab-02, dukcapil and bappeda again on sw-lab-01, provisioned at once."""
    lab = site.lab
    if lab.host_count() < 4:
        lab.up(4)
    before = configs(lab)
    servers = (("lab-srv3", "dinkes", "R02"), ("lab-srv4", "bappeda", "R02"), ("lab-srv1", "dukcapil", "R01"),
               ("lab-srv2", "bappeda", "R01"))
    placed = [site.approved(host, agency, rack) for host, agency, rack in servers]
    helds = [held for _, held in placed]
    assert [h.switch for h in helds] == ["sw-lab-02", "sw-lab-02", "sw-lab-01", "sw-lab-01"]
    assert len({h.address for h in helds}) == 4 and len({(h.switch, h.switch_port) for h in helds}) == 4
    assert helds[1].vlan_id == helds[3].vlan_id and len({h.vlan_id for h in helds}) == 3
    _provision_at_once(site, [rid for rid, _ in placed])
    for held in helds:
        assert wait_for(lambda held=held: lab.reachable_from_noc(str(held.address), 443)), held.switch_port
    dinkes, bappeda_r02, dukcapil, bappeda_r01 = helds

    colo(site.env, "decommission", placed[0][0])  # dinkes' only server: its VLAN leaves both switches
    core, access = switches(lab).values()
    for info in (core, access):
        assert dinkes.vlan_id not in info.vlans and dinkes.vlan_id not in trunk_vlans(info)
        assert bappeda_r02.vlan_id in info.vlans and bappeda_r02.vlan_id in trunk_vlans(info)
    assert dinkes.vlan_id not in core.svis
    assert all(h.vlan_id in core.svis for h in (bappeda_r01, dukcapil))
    assert dukcapil.vlan_id not in access.vlans and dukcapil.vlan_id not in trunk_vlans(core)
    assert port_vlan(lab, "sw-lab-02", dinkes.switch_port) == 999
    assert wait_for(lambda: not lab.reachable_from_noc(str(dinkes.address), 443))
    assert all(lab.reachable_from_noc(str(h.address), 443) for h in (bappeda_r02, dukcapil, bappeda_r01))

    colo(site.env, "decommission", placed[1][0])  # bappeda keeps a server on sw-lab-01: the core keeps it
    core, access = switches(lab).values()
    vlan = bappeda_r01.vlan_id
    assert vlan not in access.vlans and vlan not in trunk_vlans(access) and vlan not in trunk_vlans(core)
    assert vlan in core.vlans and vlan in core.svis
    assert all(lab.reachable_from_noc(str(h.address), 443) for h in (dukcapil, bappeda_r01))

    for rid, _ in placed[2:]:
        colo(site.env, "decommission", rid)
    assert configs(lab) == before


def test_a_switch_that_fails_mid_change_leaves_both_switches_as_before(site: Site) -> None:
    """sw-lab-01 takes the VLAN, its trunk end and the SVI; sw-lab-02 then fails on the access port (a port it
    does not have, which RouterOS's change finds before it sends anything): sw-lab-01 is restored, both
    switches end as before, and their locks are released."""
    import ipaddress

    from provisioner.network import SwitchChangeError
    from provisioner.network.intents import apply_path
    from provisioner.register.network_models import SwitchLockRecord

    lab = site.lab
    before = configs(lab)
    bad = Allocation(
        request_id="REQ-2026-0099", site="dc-lab", kind="allocated", rack="R02", units=(7,), ups="UPS-B",
        uplink="ISP-A", switch="sw-lab-02", switch_port="ether30", vlan_id=177,
        vlan_name="OPD-fault", subnet=ipaddress.IPv4Network("10.231.1.224/27"),
        gateway=ipaddress.IPv4Address("10.231.1.225"), prefix_len=27,
        address=ipaddress.IPv4Address("10.231.1.229"), watts=100, mbps=10)
    changes = provision_changes(site.facility, bad, "fault:test:REQ-2026-0099")
    with pytest.raises(SwitchChangeError) as failed:
        apply_path(site.register, changes, "REQ-2026-0099", site.facility.credential_source())
    assert failed.value.restored, failed.value.message
    assert "sw-lab-02: /interface bridge port has no item interface=ether30" in failed.value.message
    assert "sw-lab-01 restored" in failed.value.message
    assert configs(lab) == before
    with site.register.session() as session:
        assert session.query(SwitchLockRecord).count() == 0
