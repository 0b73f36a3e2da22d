"""Every text column of the register is at least as wide as the longest value validation lets through.

The widths come from the models themselves (pydantic's maxLength, or the longest string a pattern matches)
and from the values the code composes out of them; both databases are read back as created by the
migrations, and the longest values go through the real commands on each (PostgreSQL refuses a value longer
than its column, SQLite does not, so PostgreSQL is where a column too narrow shows).
"""

from __future__ import annotations

import copy
import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import String, inspect

from provisioner.cli.common import person
from provisioner.documents.numbering import DOCUMENT_CODES
from provisioner.errors import BadInput
from provisioner.facility import Facility
from provisioner.organisation import NUMBER_WIDTH
from provisioner.register import schema as tables  # noqa: F401  (every area's tables)
from provisioner.register.db import Base, open_register
from provisioner.request import ColoRequest
from provisioner.stages.engine import INTERRUPTED
from provisioner.steps.apply import SERIAL as SERIAL_PATTERN
from provisioner.steps.provision import all_stages
from provisioner.steps.submit import submitter
from provisioner.workflow import Outcome

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "provisioner" / "documents" / "templates"
REQUEST = ColoRequest.model_json_schema()["$defs"]
FACILITY = Facility.model_json_schema()["$defs"]


def pattern_width(pattern: str) -> int:
    """The longest string the regular expression matches (it must have one)."""
    from re import _parser  # type: ignore[attr-defined]

    _low, high = _parser.parse(pattern).getwidth()
    assert high < _parser.MAXREPEAT, f"{pattern!r} admits strings of any length"
    return int(high)


def width(spec: dict[str, Any]) -> int:
    """The longest string a JSON schema (of a pydantic field) admits."""
    if "anyOf" in spec:
        return max(width(s) for s in spec["anyOf"] if s.get("type") == "string")
    if spec.get("type") == "array":
        return width(spec["items"])
    if "maxLength" in spec:
        return int(spec["maxLength"])
    assert "pattern" in spec, f"unbounded: {spec}"
    return pattern_width(spec["pattern"])


def field(defs: dict[str, Any], model: str, name: str) -> int:
    return width(defs[model]["properties"][name])


def person_width() -> int:
    """The longest name `--by`, `--to` and $COLO_TECHNICIAN take."""
    longest = len(person("x" * 100, "--by"))
    with pytest.raises(BadInput):
        person("x" * (longest + 1), "--by")
    return longest


CODE = field(FACILITY, "Site", "code")
NAME = field(FACILITY, "Rack", "name")
HEIGHT = int(FACILITY["Rack"]["properties"]["height_u"]["maximum"])
AGENCY = field(REQUEST, "Agency", "code")
HOSTNAME = field(REQUEST, "Server", "hostname")
CONTACT = field(REQUEST, "Contact", "name")
SERIAL = max(field(REQUEST, "Server", "serial"), pattern_width(SERIAL_PATTERN.pattern))
IPV4 = len("255.255.255.255")
REQUEST_ID = len(f"REQ-{9999}-{9_999_999}")  # up to ten million requests a year
WIDEST: dict[str, int] = {
    "requests.id": REQUEST_ID,
    "requests.agency_code": AGENCY,
    "requests.hostname": HOSTNAME,
    "requests.letter_number": field(REQUEST, "Letter", "number"),
    "events.request_id": REQUEST_ID,
    "events.stage": max(len(name) for name in [*(s.name for s in all_stages()), "decommission"]),
    "events.actor": max(person_width(), len(submitter("x" * CONTACT, "c" * AGENCY))),
    "events.outcome": max(len(value) for value in [*Outcome, INTERRUPTED]),
    "events.previous_hash": len(hashlib.sha256().hexdigest()),
    "events.hash": len(hashlib.sha256().hexdigest()),
    "event_chain_head.hash": len(hashlib.sha256().hexdigest()),
    "documents.request_id": REQUEST_ID,
    "documents.kind": max(len(p.name.removesuffix(".html.j2")) for p in TEMPLATES.glob("[a-z]*.html.j2")),
    "documents.sha256": 64,
    "document_counters.kind": max(len(kind) for kind in DOCUMENT_CODES),
    "document_numbers.kind": max(len(kind) for kind in DOCUMENT_CODES),
    "document_numbers.request_id": REQUEST_ID,
    "document_numbers.number": NUMBER_WIDTH,
    "assets.request_id": REQUEST_ID,
    "assets.agency_code": AGENCY,
    "assets.hostname": HOSTNAME,
    "assets.serial": SERIAL,
    "assets.vendor": field(REQUEST, "Server", "vendor"),
    "assets.model": field(REQUEST, "Server", "model"),
    "assets.os": len(f"{'f' * field(REQUEST, 'OperatingSystem', 'family')} "
                     f"{'v' * field(REQUEST, 'OperatingSystem', 'version')}"),
    "assets.location": NAME + len(f" U{HEIGHT - 1}-U{HEIGHT}"),
    "assets.address": IPV4,
    "capacity_locks.site": CODE,
    "agency_networks.site": CODE,
    "agency_networks.agency": AGENCY,
    "agency_networks.subnet": len("255.255.255.255/32"),
    "capacity_claims.request_id": REQUEST_ID,
    "capacity_claims.site": CODE,
    "capacity_claims.agency": AGENCY,
    "capacity_claims.kind": len("allocated"),
    "capacity_claims.rack": NAME,
    "capacity_claims.ups": field(FACILITY, "Ups", "name"),
    "capacity_claims.uplink": field(FACILITY, "Uplink", "name"),
    "capacity_claims.switch": field(FACILITY, "Switch", "name"),
    "capacity_claims.port": field(FACILITY, "Switch", "server_ports"),  # a range expands to shorter names
    "capacity_claims.address": IPV4,
    "claimed_units.site": CODE,
    "claimed_units.rack": NAME,
    "claimed_units.request_id": REQUEST_ID,
    "switch_locks.switch": field(FACILITY, "Switch", "name"),
    "switch_locks.holder": REQUEST_ID,
    "switch_locks.machine": 64,  # HOST_NAME_MAX on Linux
    "switch_host_keys.switch": field(FACILITY, "Switch", "name"),
    "switch_host_keys.host": field(FACILITY, "Switch", "host"),
    "switch_host_keys.key_type": len("sk-ecdsa-sha2-nistp256@openssh.com"),
    "switch_host_keys.fingerprint": len("SHA256:") + 43,
    "register_site.code": CODE,
}


def test_every_string_column_is_as_wide_as_validation_admits(register_url: str) -> None:
    model_columns = {
        f"{table.name}.{column.name}": column.type.length
        for table in Base.metadata.tables.values()
        for column in table.columns
        if isinstance(column.type, String) and column.type.length is not None
    }
    assert sorted(model_columns) == sorted(WIDEST), "a String column without a derived width (or the reverse)"
    register = open_register(register_url)
    inspector = inspect(register.engine)
    created = {
        f"{table}.{column['name']}": getattr(column["type"], "length", None)
        for table in inspector.get_table_names()
        for column in inspector.get_columns(table)
    }
    register.close()
    narrow = {
        name: (created[name], needed) for name, needed in WIDEST.items() if (created[name] or 0) < needed
    }
    assert narrow == {}, "column: (width in the database, longest value admitted)"
    assert all(model_columns[name] >= needed for name, needed in WIDEST.items())


def longest_request() -> dict[str, Any]:
    """The example request with every text field as long as the request format allows."""
    doc: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "request-simpeg.yaml").read_text())
    doc["letter"].update(number="N" * field(REQUEST, "Letter", "number"), date="2026-11-20",
                         subject="S" * field(REQUEST, "Letter", "subject"))
    doc["agency"].update(code="a" * AGENCY, name="A" * field(REQUEST, "Agency", "name"))
    doc["agency"]["contact"]["name"] = "B" * CONTACT
    doc["server"].update(
        hostname="h" * HOSTNAME, vendor="V" * field(REQUEST, "Server", "vendor"),
        model="M" * field(REQUEST, "Server", "model"), serial="S" * field(REQUEST, "Server", "serial"),
        os={"family": "F" * field(REQUEST, "OperatingSystem", "family"),
            "version": "9" * field(REQUEST, "OperatingSystem", "version")},
    )
    return doc


def longest_site(root: Path) -> Path:
    """The example facility with its names (site, rack, UPS, uplink, switch, port) as long as they go."""
    data: dict[str, Any] = yaml.safe_load((ROOT / "tests/data/facilities/example.yml").read_text())
    long = copy.deepcopy(data)
    ups, rack, uplink, switch = ("U" * NAME, "R" * NAME, "I" * NAME, "s" * NAME)
    long["site"]["code"] = "c" * CODE
    long["power"]["ups"] = [{**data["power"]["ups"][0], "name": ups}]
    long["racks"] = [{**data["racks"][0], "name": rack, "ups": ups}]
    long["uplinks"] = [{**data["uplinks"][0], "name": uplink}]
    port_width = field(FACILITY, "Switch", "server_ports")
    port = "GigabitEthernet" + "1" * (port_width - len("GigabitEthernet"))
    long["switches"] = [{**data["switches"][0], "name": switch, "rack": rack, "server_ports": [port],
                         "credentials": "k" * NAME, "host": "10.0.0.2"}]
    long["links"] = []  # one switch: no trunks
    site = root / "site"
    site.mkdir()
    (site / "facility.yml").write_text(yaml.safe_dump(long, sort_keys=False))
    return site


def colo(args: list[str], db: str, cwd: Path, site: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLO_DB": db, "PYTHONPATH": str(ROOT), "COLO_TECHNICIAN": "T" * person_width()}
    cmd = [sys.executable, "-m", "provisioner.cli.main", "--site", str(site), "--output", str(cwd / "out"),
           *args]
    return subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=180, check=False)


def test_the_longest_values_go_through_every_step(register_url: str, tmp_path: Path) -> None:
    """Steps 1 to 5 through the CLI, then step 6's asset row, with the longest values validation admits."""
    request = tmp_path / "longest.yaml"
    doc = longest_request()
    request.write_text(yaml.safe_dump(doc, sort_keys=False))
    site = longest_site(tmp_path)
    name = "P" * person_width()
    submitted = colo(["request", "submit", str(request)], register_url, tmp_path, site)
    assert submitted.returncode == 0, submitted.stderr
    rid = submitted.stdout.strip()
    steps = [
        ["dispose", rid, "--by", name, "--to", name],
        ["capacity", rid],
        ["apply", rid, "--serial", doc["server"]["serial"], "--by", name],
        ["approve", rid, "--by", name],
    ]
    for args in steps:
        done = colo(args, register_url, tmp_path, site)
        assert done.returncode == 0, (args[0], done.stderr)
    record_longest_asset(register_url, rid, site, doc)


def record_longest_asset(register_url: str, rid: str, site: Path, doc: dict[str, Any]) -> None:
    """Step 6's record stage writes the asset row (stage code, real register) with the placement held."""
    from provisioner.allocate import allocate
    from provisioner.facility import load_facility
    from provisioner.stages.base import Delivered, StageContext
    from provisioner.stages.plan import Placement
    from provisioner.stages.record import asset_values, upsert_asset
    from provisioner.workflow import get_request

    register = open_register(register_url)
    facility = load_facility(site)
    allocated = dict(allocate(register, facility, rid))
    allocated["units"] = (HEIGHT - 1, HEIGHT)  # the widest location text: U99-U100
    plan = Placement(**allocated, placement_sheet="")
    ctx = StageContext(
        register=register, request_id=rid, request=ColoRequest.model_validate(doc), facility=facility,
        site_dir=site, output_dir=site, actor="t", delivered=Delivered(serial="S" * SERIAL,
                                                                        staging_address="10.0.0.9"),
        confirm=lambda _p: True, results={"plan": plan},
    )
    with register.session() as session:
        values = asset_values(ctx, get_request(session, rid), "N" * NUMBER_WIDTH)
        asset = upsert_asset(session, rid, values)
        widths = {column: len(str(getattr(asset, column))) for column in ("os", "location", "serial")}
    register.close()
    assert widths == {column: WIDEST[f"assets.{column}"] for column in widths}
