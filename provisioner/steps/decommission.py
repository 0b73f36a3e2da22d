"""Undo step 6: the port back on the staging VLAN; on the switches and trunk ends of its uplink path that no
other server of the agency needs, the agency VLAN removed (and its SVI, for the agency's last server on the
site); the monitoring target removed, the allocation released, the asset row marked decommissioned, and a
document. The server itself is left as it is: it goes back to its agency.

Safe to repeat: each part checks what is still in place. Recorded as an event outside the steps
(``stage`` "decommission").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from provisioner import dns
from provisioner.allocate import find_allocation, release
from provisioner.documents import stage_documents
from provisioner.errors import InfrastructureError, Refused
from provisioner.facility import Facility, load_facility
from provisioner.monitoring import open_backend
from provisioner.network.change import SwitchChange
from provisioner.network.intents import apply_path, decommission_changes
from provisioner.network.models import RemoveTrunkVlanIntent
from provisioner.register.capacity_models import ClaimRecord
from provisioner.register.db import Register, utcnow
from provisioner.register.models import AssetRecord, RequestRecord
from provisioner.stages.dns import made_by
from provisioner.stages.monitoring import monitored_host
from provisioner.workflow import Outcome, get_request, record_event

STAGE = "decommission"
_REMOVED = {"remove_svi": "its SVI removed", "remove_trunk_vlan": "taken off trunk", "remove_vlan": "removed"}
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


def _agency_switches(session: Session, record: RequestRecord, site: str) -> list[str]:
    """The switches on which other requests of the record's agency hold or were allocated a port."""
    others = select(ClaimRecord.switch).where(
        ClaimRecord.site == site,
        ClaimRecord.agency == record.spec().agency.code,
        ClaimRecord.request_id != record.id,
    )
    return list(session.scalars(others))


def _asset_of(session: Session, record: RequestRecord) -> AssetRecord | None:
    return session.scalar(select(AssetRecord).where(AssetRecord.request_id == record.id))


def _close_asset(session: Session, record: RequestRecord, actor: str) -> None:
    asset = _asset_of(session, record)
    if asset is not None and asset.decommissioned_at is None:
        asset.decommissioned_at = utcnow()
        asset.details = {**asset.details, "decommissioned_by": actor}


def _removed(vlan: int, changes: tuple[SwitchChange, ...], sent: dict[str, int], shared: bool) -> list[str]:
    """One line per switch: what of the agency VLAN left it, and how many lines it was sent."""
    lines = []
    for change in changes:
        gone = [_REMOVED[i.kind] + (f" {i.port}" if isinstance(i, RemoveTrunkVlanIntent) else "")
                for i in change.intents if i.kind in _REMOVED]
        what = ", ".join(gone) if gone else "kept (other servers of the agency use it)"
        lines.append(f"{change.switch.name}: VLAN {vlan} {what} ({sent.get(change.switch.name)} lines sent)")
    if not shared:
        lines.append(f"VLAN {vlan}: the agency's last server at the site")
    return lines


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
        others = _agency_switches(session, record, facility.site.code)
    if held is None and has_asset is None:
        raise Refused(f"{request_id}: nothing was provisioned, so there is nothing to decommission")
    actions: list[str] = []
    placement: dict[str, Any] = {}
    if held is not None:
        placement = held.model_dump(mode="json")
        removal = decommission_changes(facility, held, others)
        change = apply_path(register, removal.changes, record.id, facility.credential_source())
        sent = {s.switch: len(s.lines_sent) for s in change.switches}
        actions.append(f"{held.switch} {held.switch_port}: back on staging VLAN {facility.vlans.staging}")
        actions += _removed(held.vlan_id, removal.changes, sent, bool(others))
        actions += [f"kept, to remove by hand (no template for it): {what}" for what in removal.by_hand]
        actions += [f"{end}: trunk carries every VLAN, left alone" for end in change.left_alone]
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
