"""The asset register export: rows from a real register (SQLite, PostgreSQL), read back from CSV and XLSX."""

from __future__ import annotations

import csv
import io
import os
import stat
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook

from provisioner.export import COLUMNS, AssetRow, asset_rows, export_assets, units_text, write_csv, write_xlsx
from provisioner.register.capacity_models import AgencyNetworkRecord, ClaimRecord, UnitClaimRecord
from provisioner.register.db import Register, open_register
from provisioner.register.models import AssetRecord
from provisioner.request import parse_request
from provisioner.steps.submit import submit_request

ROOT = Path(__file__).resolve().parents[2]
INSTALLED = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)

SIMPEG = AssetRow(
    asset_tag="DKF-2026-0007",
    serial="7XK2Q93",
    agency="disdik",
    agency_name="Dinas Pendidikan Kabupaten Ciamis",
    hostname="simpeg",
    vendor="Dell",
    model="PowerEdge R650",
    rack="R01",
    units="U10",
    power_feed="UPS-A",
    switch_port="sw-lab-01 GigabitEthernet1/0/1",
    vlan=100,
    address="10.231.0.5",
    os="Debian 12",
    applications="SIMPEG (https/443)",
    handover_number="BAST/001/Diskominfo/2026",
    handover_date=date(2026, 11, 25),
    installed_at=INSTALLED,
    status="active",
    request_id="REQ-2026-0001",
)


def _submit(register: Register, changes: dict[str, object]) -> str:
    document = yaml.safe_load((ROOT / "examples" / "request-simpeg.yaml").read_text())
    for path, value in changes.items():
        *parents, leaf = path.split(".")
        node = document
        for key in parents:
            node = node[key]
        node[leaf] = value
    spec = parse_request(document, "test")
    return submit_request(register, spec.model_dump(mode="json"), yaml.safe_dump(document), actor="test")


@pytest.fixture()
def register(register_url: str) -> Register:
    """A register with two assets: one with handover details, one decommissioned known only by its claim."""
    reg = open_register(register_url)
    first = _submit(reg, {})
    second = _submit(
        reg,
        {
            "agency.code": "bappeda",
            "agency.name": '=HYPERLINK("http://127.0.0.1/")',
            "server.hostname": "sipd",
            "server.serial": "SN2X0042",
            "applications": [],
        },
    )
    with reg.session() as session:
        session.add(
            AssetRecord(
                request_id=first,
                agency_code="disdik",
                hostname="simpeg",
                serial="7XK2Q93",
                vendor="Dell",
                model="PowerEdge R650",
                os="Debian 12",
                location="R01 U10",
                address="10.231.0.5",
                installed_at=INSTALLED,
                details={
                    "asset_tag": "DKF-2026-0007",
                    "rack": "R01",
                    "units": "U10",
                    "power_feed": "UPS-A",
                    "switch": "sw-lab-01",
                    "switch_port": "GigabitEthernet1/0/1",
                    "vlan": 100,
                    "handover_number": "BAST/001/Diskominfo/2026",
                    "handover_date": "2026-11-25",
                },
            )
        )
        session.add(AgencyNetworkRecord(site="dc-lab", agency="bappeda", vlan=101, subnet="10.231.0.32/27"))
        session.flush()
        session.add(
            ClaimRecord(
                request_id=second,
                site="dc-lab",
                agency="bappeda",
                kind="allocated",
                rack="R01",
                ups="UPS-A",
                uplink="ISP-A",
                switch="sw-lab-01",
                port="GigabitEthernet1/0/2",
                address="10.231.0.37",
                watts=300,
                mbps=20,
            )
        )
        session.flush()
        for unit in (12, 13):
            session.add(UnitClaimRecord(site="dc-lab", rack="R01", unit=unit, request_id=second))
        session.add(
            AssetRecord(
                request_id=second,
                agency_code="bappeda",
                hostname="sipd",
                serial="SN2X0042",
                os="Debian 12",
                location="R01 U12-U13",
                address="10.231.0.37",
                installed_at=datetime(2026, 11, 26, 8, 0, tzinfo=UTC),
                decommissioned_at=datetime(2026, 11, 27, 8, 0, tzinfo=UTC),
                details={},
            )
        )
    return reg


def _expected_second(asset_id: int) -> AssetRow:
    return AssetRow(
        asset_tag=f"AST-{asset_id:05d}",
        serial="SN2X0042",
        agency="bappeda",
        agency_name='=HYPERLINK("http://127.0.0.1/")',
        hostname="sipd",
        vendor="",
        model="",
        rack="R01",
        units="U12-U13",
        power_feed="UPS-A",
        switch_port="sw-lab-01 GigabitEthernet1/0/2",
        vlan=101,
        address="10.231.0.37",
        os="Debian 12",
        applications="",
        handover_number="",
        handover_date=None,
        installed_at=datetime(2026, 11, 26, 8, 0, tzinfo=UTC),
        status="decommissioned",
        request_id="REQ-2026-0002",
    )


def _rows(register: Register, include_decommissioned: bool = True) -> list[AssetRow]:
    with register.session() as session:
        return asset_rows(session, include_decommissioned)


def test_rows_come_from_details_and_fall_back_to_the_claim(register: Register) -> None:
    rows = _rows(register)
    with register.session() as session:
        second_id = session.query(AssetRecord.id).filter_by(hostname="sipd").scalar()
    assert rows == [SIMPEG, _expected_second(second_id)]
    assert _rows(register, include_decommissioned=False) == [SIMPEG]


def test_csv_reads_back_with_formula_text_quoted(register: Register, tmp_path: Path) -> None:
    rows = _rows(register)
    out = tmp_path / "assets.csv"
    assert export_assets(rows, "csv", out, io.StringIO()) == 2
    with out.open(newline="") as f:
        read = list(csv.DictReader(f))
    assert list(read[0]) == list(COLUMNS)
    assert read[0] == {
        **{name: str(getattr(SIMPEG, name)) for name in COLUMNS},
        "handover_date": "2026-11-25",
        "installed_at": "2026-11-25T09:30:00+00:00",
    }
    assert read[1]["agency_name"] == '\'=HYPERLINK("http://127.0.0.1/")'
    assert read[1]["serial"] == "SN2X0042"
    assert read[1]["vlan"] == "101" and read[1]["handover_date"] == ""


def test_xlsx_reads_back_with_typed_cells_and_no_formulas(register: Register, tmp_path: Path) -> None:
    rows = _rows(register)
    out = tmp_path / "assets.xlsx"
    assert write_xlsx(rows, out) == 2
    sheet = load_workbook(out).active
    assert sheet.title == "Aset" and sheet.freeze_panes == "A2"
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == COLUMNS
    expected = [
        tuple(
            getattr(row, name).replace(tzinfo=None)
            if name == "installed_at"
            else datetime(2026, 11, 25)
            if name == "handover_date" and getattr(row, name)
            else getattr(row, name) or None
            for name in COLUMNS
        )
        for row in rows
    ]
    assert values[1:] == expected
    cell = sheet.cell(row=3, column=COLUMNS.index("agency_name") + 1)
    assert cell.data_type == "s" and cell.value == rows[1].agency_name


def test_units_text() -> None:
    assert units_text([10]) == "U10"
    assert units_text([13, 12, 20]) == "U12-U13, U20"


def test_empty_register_gives_a_header_only(tmp_path: Path) -> None:
    reg = open_register(f"sqlite:///{tmp_path / 'r.db'}")
    out = io.StringIO()
    assert write_csv(_rows(reg), out) == 0
    assert out.getvalue() == ",".join(COLUMNS) + "\n"


def _colo(args: list[str], db: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLO_DB": db, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "provisioner.cli.main", "--site", str(ROOT / "inventories" / "lab"), *args]
    return subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("register_url", ["sqlite"], indirect=True)
def test_cli_exports_csv_to_stdout_and_xlsx_to_a_file(
    register: Register, register_url: str, tmp_path: Path
) -> None:
    done = _colo(["register", "export", "--format", "csv", "--active-only"], register_url, tmp_path)
    assert done.returncode == 0, done.stderr
    read = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [r["serial"] for r in read] == ["7XK2Q93"]
    (tmp_path / "out").mkdir()
    xlsx = tmp_path / "out" / "aset.xlsx"
    done = _colo(
        ["register", "export", "--format", "xlsx", "--output", str(xlsx), "--json"], register_url, tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert '"rows": 2' in done.stdout
    assert load_workbook(xlsx).active.max_row == 3
    bad = _colo(
        ["register", "export", "--format", "pdf", "--output", str(tmp_path / "x")], register_url, tmp_path
    )
    assert bad.returncode == 2 and "--format" in bad.stderr
    bad = _colo(["register", "export", "--format", "xlsx"], register_url, tmp_path)
    assert bad.returncode == 2 and "--output" in bad.stderr


def _site_copy(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    (site / "facility.yml").write_bytes((ROOT / "inventories" / "lab" / "facility.yml").read_bytes())
    return site


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("register_url", ["sqlite"], indirect=True)
def test_cli_export_never_writes_over_the_register_or_the_site(
    register: Register, register_url: str, tmp_path: Path
) -> None:
    """The register (by its path, through `..` or a link, or named relative to the cwd) and the site's files
    are refused, --force or not: exit 2 naming --output, every byte as it was."""
    register.close()
    site = _site_copy(tmp_path)
    db = tmp_path / "register" / "register.db"
    (tmp_path / "link.csv").symlink_to(db)
    before = (_tree(tmp_path / "register"), _tree(site))
    relative_url = "sqlite:///register/register.db"
    outputs = [
        (register_url, str(db)),
        (register_url, str(tmp_path / "register" / ".." / "register" / "register.db")),
        (register_url, str(tmp_path / "link.csv")),
        (relative_url, "./register/../register/register.db"),
        (register_url, str(db) + "-journal"),
        (register_url, str(site / "facility.yml")),
        (register_url, str(site / "aset.csv")),
        (register_url, str(site)),
    ]
    for url, output in outputs:
        for options in (["--format", "csv"], ["--format", "xlsx", "--force"]):
            args = ["--site", str(site), "register", "export", "--output", output, *options]
            done = _colo(args, url, tmp_path)
            assert done.returncode == 2, (output, options, done.stdout, done.stderr)
            assert "--output" in done.stderr and "Traceback" not in done.stderr, done.stderr
            assert (_tree(tmp_path / "register"), _tree(site)) == before, (output, options)
    assert (tmp_path / "link.csv").is_symlink()


@pytest.mark.parametrize("register_url", ["sqlite"], indirect=True)
def test_cli_export_replaces_an_existing_file_only_with_force(
    register: Register, register_url: str, tmp_path: Path
) -> None:
    """An existing file is kept unless --force; then it is replaced whole (0640, no temporary file left)."""
    out = tmp_path / "exports"
    out.mkdir()
    target = out / "aset.csv"
    target.write_text("keep me\n")
    refused = _colo(["register", "export", "--output", str(target)], register_url, tmp_path)
    assert refused.returncode == 2 and "--output" in refused.stderr and "--force" in refused.stderr
    assert target.read_text() == "keep me\n"
    done = _colo(["register", "export", "--output", str(target), "--force"], register_url, tmp_path)
    assert done.returncode == 0, done.stderr
    assert [r["serial"] for r in csv.DictReader(io.StringIO(target.read_text()))] == ["7XK2Q93", "SN2X0042"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    xlsx = out / "aset.xlsx"
    done = _colo(["register", "export", "--format", "xlsx", "--output", str(xlsx)], register_url, tmp_path)
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(xlsx.stat().st_mode) == 0o640 and load_workbook(xlsx).active.max_row == 3
    assert sorted(p.name for p in out.iterdir()) == ["aset.csv", "aset.xlsx"]
