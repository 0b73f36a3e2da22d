"""Lab helpers of the reliability suite: a site of its own on the shared lab, requests fitted to a lab
server, `colo provision` as a process, and the four things a run leaves (register, switch port, server,
Prometheus target) read back for comparison.

The site is the lab facility with its own switch ports (GigabitEthernet1/0/9-24), VLANs (150-199) and
addresses (10.231.128.0/18), so these tests never take what another test on the same lab holds. Each test
submits its requests under a year of its own (REQ-2001-..., REQ-2002-...), so the Prometheus target files,
named after the request, never collide with another register's.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from reliability_support import EXAMPLE_REQUEST, SITE, ColoRun, run_colo_process

from provisioner.lab.api import HostInfo, Lab
from provisioner.register.db import Register

LAB_TECHNICIAN = "Rina Marlina, A.Md."
"""A technician of the lab site, who does steps 3 and 6 (the approval is recorded by another name)."""


def own_site(root: Path, **changes: Any) -> Path:
    """A copy of the lab facility with this suite's ports, VLANs and addresses (and `changes` on top)."""
    data = yaml.safe_load((SITE / "facility.yml").read_text())
    data["switches"][0]["server_ports"] = ["GigabitEthernet1/0/9-24"]
    data["vlans"]["range"] = [150, 199]
    data["addressing"]["supernet"] = "10.231.128.0/18"
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node = data
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        node[last] = value
    site = root / "site"
    site.mkdir(parents=True, exist_ok=True)
    (site / "facility.yml").write_text(yaml.safe_dump(data, sort_keys=False))
    return site


def request_for(host: HostInfo, agency: str, hostname: str) -> dict[str, Any]:
    """The example request fitted to a lab server's hardware, for another agency and hostname."""
    data: dict[str, Any] = yaml.safe_load(EXAMPLE_REQUEST.read_text())
    p = host.profile
    data["agency"]["code"] = agency
    data["agency"]["name"] = f"Dinas {agency.title()} Kabupaten Ciamis"
    data["agency"]["contact"]["email"] = f"admin@{agency}.ciamiskab.go.id"
    data["letter"]["number"] = f"027/{agency}/2026"
    data["server"].update(hostname=hostname, vendor=p.vendor, model=p.model, serial=p.serial,
                          cpu_cores=p.cpu_cores, memory_gb=p.memory_gb, disk_gb=p.disk_gb)
    data["applications"][0]["name"] = hostname.upper()
    data["applications"][0]["subdomain"] = hostname
    return data


def approved(register: Register, lab: Lab, site: Path, host: str, agency: str, year: int,
             cable: bool = True, staging: str | None = None, rack: str | None = None) -> str:
    """A request for lab server `host` through step 5 (space held in `rack`, or where the allocator
    chooses), cabled to the switch port step 3 held; its id.

    `staging` replaces the server's staging address in step 4. The lab's credentials file becomes this
    process's source of switch and server logins.
    """
    from provisioner.facility import load_facility
    from provisioner.request import parse_request
    from provisioner.steps import capacity
    from provisioner.steps.submit import submit_request
    from provisioner.workflow import Step, perform_step

    os.environ.setdefault("COLO_CREDENTIALS_FILE", str(lab.credentials_path))
    info = lab.host(host)
    data = request_for(info, agency, f"{agency}-app")
    spec = parse_request(json.loads(json.dumps(data, default=str)))
    request_id = submit_request(register, spec.model_dump(mode="json"), yaml.safe_dump(data), actor="test",
                                now=datetime(year, 1, 2, tzinfo=UTC))
    perform_step(register, request_id, Step.DISPOSE, "kabid", {"to": "kasi"})
    checked = capacity.run(register, load_facility(site), request_id, by=LAB_TECHNICIAN, rack=rack)
    placement = checked.report.placement
    assert placement is not None, checked.report
    perform_step(register, request_id, Step.APPLY, "agency",
                 {"serial": info.profile.serial, "staging_address": staging or info.staging_address})
    perform_step(register, request_id, Step.APPROVE, "kabid", {})
    if cable:
        lab.cable(host, placement.port, placement.switch)
    return request_id


def colo(args: list[str], db_url: str, site: Path, lab: Lab, extra_env: dict[str, str] | None = None,
         timeout: float = 600, cwd: Path | None = None) -> ColoRun:
    """`colo --site SITE ARGS` as its own process with the lab's credentials file."""
    env = {"COLO_DB": db_url, "COLO_CREDENTIALS_FILE": str(lab.credentials_path),
           "COLO_OUTPUT": str(site.parent / "documents"), "COLO_TECHNICIAN": LAB_TECHNICIAN,
           **(extra_env or {})}
    return run_colo_process(["--site", str(site), *args], env, timeout=timeout, cwd=cwd)


def placement_of(register: Register, request_id: str) -> dict[str, Any]:
    from provisioner.workflow import Step, completions, get_request

    with register.session() as session:
        report = completions(get_request(session, request_id))[Step.CAPACITY].details["report"]
        return dict(report["placement"])


def switch_config(register: Register, site: Path) -> str:
    """The switch's running configuration, read over its own CLI."""
    from provisioner.facility import load_facility
    from provisioner.network import SessionPool

    facility = load_facility(site)
    with SessionPool(register) as pool:
        return str(pool.get(facility.switches[0]).connection.send_command("show running-config"))


def port_config(register: Register, site: Path, port: str) -> str:
    from provisioner.facility import load_facility
    from provisioner.network import SessionPool

    facility = load_facility(site)
    with SessionPool(register) as pool:
        return str(pool.get(facility.switches[0]).connection.send_command(
            f"show running-config interface {port}"))


def server_state(lab: Lab, host: str) -> dict[str, str]:
    """What provisioning changes on the server: its addresses, routes, resolver, firewall."""
    def read(argv: list[str]) -> str:
        return lab.run_in(host, argv).stdout

    return {
        "addresses": read(["ip", "-4", "-br", "addr", "show", "eth0"]),
        "routes": read(["ip", "-4", "route"]),
        "interfaces": read(["cat", "/etc/network/interfaces"]),
        "resolv": read(["cat", "/etc/resolv.conf"]),
        "nftables": read(["nft", "list", "ruleset"]),
    }


def _file_sd_dir(site: Path) -> Path:
    """The site's node target folder as this machine sees it (on the lab, the NOC's root filesystem)."""
    from provisioner.facility import load_facility
    from provisioner.lab.api import Lab

    monitoring = load_facility(site).monitoring
    return Lab().file_sd_dir if monitoring.host is not None else Path(str(monitoring.file_sd_dir))


def target_file(site: Path, request_id: str) -> Path:
    return _file_sd_dir(site) / f"{request_id}.json"


def target_files(site: Path) -> set[str]:
    return {p.name for p in _file_sd_dir(site).glob("REQ-*")}


def claims(register: Register) -> dict[str, list[tuple[object, ...]]]:
    """The register's capacity claims (holds and allocations), units and agency networks."""
    from reliability_support import dump_register

    dump = dump_register(register.engine.url.render_as_string(hide_password=False))
    return {name: dump[name] for name in ("capacity_claims", "claimed_units", "agency_networks")}


def clean_up(register: Register, site: Path, request_id: str, lab: Lab | None = None,
             host: str | None = None) -> None:
    """Undo what the request holds on the lab (switch port, monitoring, capacity; quiet if nothing) and
    move `host`'s cable back to its own port."""
    from provisioner.errors import Refused
    from provisioner.lab.layout import slot_named
    from provisioner.steps import decommission

    os.environ.setdefault("COLO_CREDENTIALS_FILE", str(Lab().credentials_path))
    with contextlib.suppress(Refused):
        decommission.run(register, request_id, site,
                         Path(tempfile.gettempdir()) / "colo-reliability-documents", actor="test")
    if lab is not None and host is not None:
        lab.cable(host, slot_named(host).default_switch_port)
        back_to_staging(lab, host)


def back_to_staging(lab: Lab, host: str) -> None:
    """Give a provisioned lab server its staging address again, as a newly delivered server has it."""
    from provisioner.lab.layout import STAGING_GATEWAY, slot_named

    staging = slot_named(host).staging_address
    interfaces = ("auto lo\niface lo inet loopback\n\nauto eth0\niface eth0 inet static\n"
                  f"    address {staging}/24\n    gateway {STAGING_GATEWAY}\n")
    script = (f"ip addr flush dev eth0 scope global && ip addr add {staging}/24 dev eth0 && "
              f"ip route replace default via {STAGING_GATEWAY} && "
              "printf '%s' \"$1\" > /etc/network/interfaces")
    done = lab.run_in(host, ["sh", "-c", script, "reset", interfaces])
    assert done.returncode == 0, done.stderr
