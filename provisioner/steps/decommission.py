"""Undo step 6: the port back on the staging VLAN (and, for the agency's last server, its SVI and VLAN
removed), the monitoring target removed, the allocation released, the asset row marked decommissioned, and a
document. The server itself is left as it is: it goes back to its agency.

Safe to repeat: each part checks what is still in place. Recorded as an event outside the steps
(``stage`` "decommission").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from provisioner import dns
from provisioner.allocate import find_allocation, release
from provisioner.documents import stage_documents
from provisioner.errors import InfrastructureError, Refused
from provisioner.facility import Facility, load_facility
from provisioner.monitoring import open_backend
from provisioner.network.intents import apply_switch, decommission_intents, switch_of
from provisioner.register.capacity_models import ClaimRecord
from provisioner.register.db import Register, utcnow
from provisioner.register.models import AssetRecord, RequestRecord
from provisioner.stages.dns import made_by
from provisioner.stages.monitoring import monitored_host
from provisioner.workflow import Outcome, get_request, record_event

STAGE = "decommission"
GONE_TIMEOUT_S = 30.0


def _monitoring_removed(facility: Facility, register: Register, record: RequestRecord, address: str) -> str:
    backend = open_backend(facility.monitoring, facility.credential_source(), register)
    host = monitored_host(record.id, record.spec(), facility, address)
    removed, target = backend.remove(record.id), backend.target(host)
    state = backend.wait_gone(host, GONE_TIMEOUT_S)
    if state.health != "absent":
        raise InfrastructureError(f"{facility.monitoring.kind} still lists {target} ({state.health}) after "
                                  f"{GONE_TIMEOUT_S}s")
    return f"monitoring target {target} {'removed' if removed else 'was already absent'}"


def _records_removed(facility: Facility, register: Register, request_id: str) -> list[str]:
    """Delete exactly the DNS records the request made (none when the site has no `dns.update`)."""
    made = made_by(register, request_id)
    if facility.dns.update is None or not made:
        return []
    removal = dns.open_backend(facility).remove(made)
    return ([f"DNS {r} deleted" for r in removal.removed]
            + [f"DNS {r} was already gone" for r in removal.absent]
            + [f"DNS {r} kept: changed by someone else" for r in removal.kept])


def _last_of_agency(session: Session, record: RequestRecord, site: str) -> bool:
    """Whether no other request of the record's agency holds anything at the site."""
    others = select(func.count()).where(
        ClaimRecord.site == site,
        ClaimRecord.agency == record.spec().agency.code,
        ClaimRecord.request_id != record.id,
    )
    return session.scalar(others) == 0


def _asset_of(session: Session, record: RequestRecord) -> AssetRecord | None:
    return session.scalar(select(AssetRecord).where(AssetRecord.request_id == record.id))


def _close_asset(session: Session, record: RequestRecord, actor: str) -> None:
    asset = _asset_of(session, record)
    if asset is not None and asset.decommissioned_at is None:
        asset.decommissioned_at = utcnow()
        asset.details = {**asset.details, "decommissioned_by": actor}


@dataclass(frozen=True)
class Decommissioned:
    """What decommissioning did, and its document."""

    request_id: str
    actions: list[str]
    document: str

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.request_id, "actions": self.actions, "document": self.document}


def run(
    register: Register, request_id: str, site_dir: Path, output_dir: Path, *, actor: str
) -> Decommissioned:
    """Undo what step 6 put in place for the request; returns what was done and the document."""
    facility = load_facility(site_dir)
    with register.session() as session:
        record = get_request(session, request_id)
        held = find_allocation(session, facility, record.id)
        has_asset = session.scalar(select(AssetRecord.id).where(AssetRecord.request_id == record.id))
        last = _last_of_agency(session, record, facility.site.code)
    if held is None and has_asset is None:
        raise Refused(f"{request_id}: nothing was provisioned, so there is nothing to decommission")
    actions: list[str] = []
    placement: dict[str, Any] = {}
    if held is not None:
        placement = held.model_dump(mode="json")
        intents = decommission_intents(facility, held, last)
        change = apply_switch(register, switch_of(facility, held), intents, holder=record.id)
        actions.append(f"{held.switch} {held.switch_port}: back on staging VLAN {facility.vlans.staging} "
                       f"({len(change.lines_sent)} lines sent)")
        removed = [i.kind for i in intents if i.kind.startswith("remove_")]
        if last:
            what = ", ".join(removed) or "nothing (the platform has no removal template: remove them by hand)"
            actions.append(f"VLAN {held.vlan_id}: the agency's last server; removed {what}")
        actions.append(_monitoring_removed(facility, register, record, str(held.address)))
        release(register, facility, record.id)
        actions.append(f"released {held.rack} units {list(held.units)}, {held.watts} W, {held.mbps} Mbps, "
                       f"port {held.switch_port}, address {held.address}")
    actions += _records_removed(facility, register, request_id)
    with register.session() as session:
        record = get_request(session, request_id)
        asset = _asset_of(session, record)
    tag = asset.details.get("asset_tag") if asset else None
    if asset is not None and asset.decommissioned_at is None:
        actions.append(f"asset {tag} marked decommissioned")
    at = utcnow()
    report = {"decommission": {"actions": actions, "placement": placement, "actor": actor, "at": at,
                               "asset_tag": tag}}
    staged = stage_documents(record, None, facility.letterhead(), output_dir,
                             [("decommission_report", report)], register=register, signed_by=actor)
    try:
        with register.session() as session:
            record = get_request(session, request_id)
            _close_asset(session, record, actor)
            event = record_event(session, record, actor=actor, outcome=Outcome.OK, step=None, stage=STAGE,
                                 details={"actions": actions, "placement": placement}, at=at)
            [document] = staged.record(session, record, event)
    finally:
        staged.discard()
    return Decommissioned(record.id, actions, document.pdf_path)
