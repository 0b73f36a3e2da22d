"""The asset register as rows, and its export to CSV or XLSX.

A row comes from the asset record (what step 6 recorded at handover) and its request. Placement facts are
read from the asset's `details` (keys: asset_tag, rack, units, power_feed, switch, switch_port, vlan,
handover_number, handover_date); where one is missing the request's capacity claim (rack, units, UPS,
switch port) and its agency network (VLAN) fill it in.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import os
import stat
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from provisioner.errors import BadInput
from provisioner.files import write_file
from provisioner.register.capacity_models import AgencyNetworkRecord, ClaimRecord, UnitClaimRecord
from provisioner.register.models import AssetRecord, RequestRecord

ExportFormat = Literal["csv", "xlsx"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class AssetRow:
    """One line of the asset register."""

    asset_tag: str
    serial: str
    agency: str
    agency_name: str
    hostname: str
    vendor: str
    model: str
    rack: str
    units: str
    power_feed: str
    switch_port: str
    vlan: int | None
    address: str
    os: str
    applications: str
    handover_number: str
    handover_date: date | None
    installed_at: datetime
    status: str
    request_id: str


COLUMNS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(AssetRow))


def units_text(units: Sequence[int]) -> str:
    """`U10` or `U10-U11` for a run of units; comma-separated runs otherwise."""
    runs: list[list[int]] = []
    for unit in sorted(units):
        if runs and unit == runs[-1][-1] + 1:
            runs[-1].append(unit)
        else:
            runs.append([unit])
    return ", ".join(f"U{r[0]}" if len(r) == 1 else f"U{r[0]}-U{r[-1]}" for r in runs)


def _claim_facts(session: Session, request_id: str) -> dict[str, Any]:
    claim = session.get(ClaimRecord, request_id)
    if claim is None:
        return {}
    units = session.scalars(select(UnitClaimRecord.unit).where(UnitClaimRecord.request_id == request_id))
    network = session.get(AgencyNetworkRecord, (claim.site, claim.agency))
    return {
        "rack": claim.rack,
        "units": units_text(list(units)),
        "power_feed": claim.ups,
        "switch": claim.switch,
        "switch_port": claim.port,
        "vlan": network.vlan if network else None,
    }


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _handover_date(value: object) -> date | None:
    if isinstance(value, str) and value:
        return date.fromisoformat(value[:10])
    return None


def _row(session: Session, asset: AssetRecord, request: RequestRecord) -> AssetRow:
    details: Mapping[str, Any] = {**_claim_facts(session, asset.request_id), **(asset.details or {})}
    spec = request.spec()
    switch_port = " ".join(p for p in (_text(details.get("switch")), _text(details.get("switch_port"))) if p)
    vlan = details.get("vlan")
    return AssetRow(
        asset_tag=_text(details.get("asset_tag")) or f"AST-{asset.id:05d}",
        serial=asset.serial,
        agency=asset.agency_code,
        agency_name=spec.agency.name,
        hostname=asset.hostname,
        vendor=_text(asset.vendor),
        model=_text(asset.model),
        rack=_text(details.get("rack")),
        units=_text(details.get("units")),
        power_feed=_text(details.get("power_feed")),
        switch_port=switch_port,
        vlan=int(vlan) if vlan is not None else None,
        address=_text(asset.address),
        os=asset.os,
        applications="; ".join(f"{a.name} ({a.scheme}/{a.port})" for a in spec.applications),
        handover_number=_text(details.get("handover_number")),
        handover_date=_handover_date(details.get("handover_date")),
        installed_at=asset.installed_at,
        status="decommissioned" if asset.decommissioned_at else "active",
        request_id=asset.request_id,
    )


def asset_rows(session: Session, include_decommissioned: bool = True) -> list[AssetRow]:
    """Every asset of the register, oldest first."""
    query = (
        select(AssetRecord, RequestRecord)
        .join(RequestRecord, RequestRecord.id == AssetRecord.request_id)
        .order_by(AssetRecord.installed_at, AssetRecord.id)
    )
    if not include_decommissioned:
        query = query.where(AssetRecord.decommissioned_at.is_(None))
    return [_row(session, asset, request) for asset, request in session.execute(query).all()]


def _csv_cell(value: object) -> str:
    """Text of one CSV cell; a leading formula character is quoted so spreadsheets show it as text."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = _text(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_csv(rows: Iterable[AssetRow], out: IO[str]) -> int:
    """Write a header line and one line per row; returns the number of rows."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    count = 0
    for row in rows:
        writer.writerow([_csv_cell(getattr(row, name)) for name in COLUMNS])
        count += 1
    return count


def write_xlsx(rows: Iterable[AssetRow], target: Path | IO[bytes]) -> int:
    """Write one sheet `Aset` (header row frozen; text never taken as a formula); returns the row count."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Aset"
    sheet.append(list(COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    count = 0
    for count, row in enumerate(rows, start=1):
        for column, name in enumerate(COLUMNS, start=1):
            value = getattr(row, name)
            if isinstance(value, datetime):
                value = value.replace(tzinfo=None)
            cell = sheet.cell(row=count + 1, column=column, value=value)
            if isinstance(value, str):
                cell.data_type = "s"
            elif isinstance(value, datetime | date):
                cell.number_format = "yyyy-mm-dd hh:mm" if isinstance(value, datetime) else "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    for column_cells in sheet.columns:
        width = max(len(_text(c.value)) for c in column_cells)
        sheet.column_dimensions[column_cells[0].column_letter].width = min(60, max(10, width + 2))
    book.save(target)
    return count


def check_output(output: Path, *, force: bool, protected: Mapping[Path, str] | None = None) -> None:
    """Refuse an --output that is, by its real path, a protected file or in a protected folder (each named
    by what it is), that is not a regular file, or that exists when ``force`` is not given."""
    real = Path(os.path.realpath(output))
    for path, what in (protected or {}).items():
        guarded = Path(os.path.realpath(path))
        if real == guarded or guarded in real.parents:
            raise BadInput(f"--output: {output} is {what}; the export does not write there")
    try:
        found = output.lstat()
    except (FileNotFoundError, NotADirectoryError):
        if not output.parent.is_dir():
            raise BadInput(f"--output: folder {output.parent} does not exist") from None
        return
    if stat.S_ISLNK(found.st_mode):
        raise BadInput(f"--output: {output} is a symbolic link; name the file itself")
    if stat.S_ISDIR(found.st_mode):
        raise BadInput(f"--output: {output} is a folder; name a file in it")
    if not stat.S_ISREG(found.st_mode):
        raise BadInput(f"--output: {output} is not a regular file")
    if not force:
        raise BadInput(f"--output: {output} exists; give --force to replace it")


def export_assets(
    rows: Sequence[AssetRow], fmt: str, output: Path | None, stdout: IO[str], *, force: bool = False
) -> int:
    """Write rows as csv (to output, or stdout) or xlsx (to output, required); returns the row count.

    A file is written whole (temporary file renamed over the name, 0640), after :func:`check_output`.
    """
    if fmt not in ("csv", "xlsx"):
        raise BadInput(f"--format: {fmt!r} is not csv or xlsx")
    if output is None:
        if fmt == "xlsx":
            raise BadInput("--output: an xlsx export needs a file to write")
        return write_csv(rows, stdout)
    check_output(output, force=force)
    if fmt == "csv":
        text = io.StringIO()
        count = write_csv(rows, text)
        data = text.getvalue().encode("utf-8")
    else:
        book = io.BytesIO()
        count = write_xlsx(rows, book)
        data = book.getvalue()
    write_file(output, data, "--output")
    return count
