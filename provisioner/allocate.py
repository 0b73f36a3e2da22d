"""Holds and allocations in the register: step 3 holds what the capacity check found, step 6 allocates it.

Every change runs in one transaction that first takes the site's lock row (an UPDATE: a row lock on
PostgreSQL, the write lock on SQLite), so sums such as watts and Mbps are checked against what is really
committed; behind that, unique keys on rack units, switch ports, addresses, VLAN ids, subnets and agencies
make a double booking impossible even for a process that skipped the lock. A transaction that loses a race
anyway (integrity error, lock timeout, serialization failure) is retried a bounded number of times, then
reported as an InfrastructureError; a request that does not fit is a NoCapacity.

A hold lasts until step 6 allocates it, the request is cancelled (stale holds are dropped on the next change
at the site) or it is released; an allocation lasts until it is released (decommission). An agency's VLAN
and subnet live as long as any claim of that agency does.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import socket
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import TypeVar

from pydantic import BaseModel, ConfigDict
from sqlalchemy import delete, func, select, union, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from provisioner.capacity import (
    ALLOCATED,
    HOLD,
    AgencyNetwork,
    CapacityReport,
    Claim,
    ClaimKind,
    Demand,
    Remark,
    Usage,
    check_capacity,
)
from provisioner.errors import BadInput, InfrastructureError, NoCapacity, Refused
from provisioner.facility import Facility
from provisioner.register.capacity_models import (
    AgencyNetworkRecord,
    CapacityLock,
    ClaimRecord,
    SiteBindingRecord,
    UnitClaimRecord,
)
from provisioner.register.db import Register, RegisterUnavailable, utcnow
from provisioner.register.models import AssetRecord, EventRecord, RequestRecord
from provisioner.workflow import Outcome, RequestState, Step, completions, get_request, state_of

MAX_ATTEMPTS = 8
T = TypeVar("T")


class Allocation(BaseModel):
    """Where a request's server goes and how it is addressed (held at step 3, allocated at step 6)."""

    model_config = ConfigDict(frozen=True)

    request_id: str
    site: str
    kind: ClaimKind
    rack: str
    units: tuple[int, ...]
    ups: str
    uplink: str
    switch: str
    switch_port: str
    vlan_id: int
    vlan_name: str
    subnet: ipaddress.IPv4Network
    gateway: ipaddress.IPv4Address
    prefix_len: int
    address: ipaddress.IPv4Address
    watts: int
    mbps: int


def demand_of(record: RequestRecord) -> Demand:
    """What a recorded request needs from the facility."""
    spec = record.spec()
    server, network = spec.server, spec.network
    subdomains = tuple(dict.fromkeys(a.subdomain.lower() for a in spec.applications if a.subdomain))
    return Demand(record.id, spec.agency.code, server.rack_units, server.power_watts, network.bandwidth_mbps,
                  subdomains)


def _codes_in_use(session: Session) -> set[str]:
    """The site codes the register's claims and agency networks are recorded under."""
    codes = union(select(ClaimRecord.site), select(AgencyNetworkRecord.site))
    return set(session.scalars(select(codes.subquery().c[0])))


def site_mismatch(registered: str, given: str) -> BadInput:
    """Exit 2: the facility's site code is not the one the register's holds and allocations belong to."""
    return BadInput(
        f"the register belongs to site {registered!r} (its holds and allocations are recorded under that "
        f"code), but facility.yml names site {given!r}; nothing was changed",
        [
            f"if the site was renamed, rename it in the register too: colo register rename-site "
            f"{registered} {given}",
            "if this is another site, use that site's own register ($COLO_DB)",
        ],
    )


def check_site(session: Session, site: str, *, bind: bool = False) -> None:
    """Refuse a facility whose site code is not the register's; with ``bind``, record the code on first use.

    A register bound to no site yet takes the facility's code, unless it holds claims under another code.
    """
    bound = session.get(SiteBindingRecord, 1)
    if bound is not None:
        if bound.code != site:
            raise site_mismatch(bound.code, site)
        return
    others = sorted(_codes_in_use(session) - {site})
    if others:
        raise site_mismatch(others[0], site)
    if bind:
        session.add(SiteBindingRecord(id=1, code=site, bound_at=utcnow()))
        session.flush()


def lock_site(session: Session, site: str) -> None:
    """Take the site's capacity lock for the rest of the transaction (the transaction's first statement)."""
    lock = CapacityLock
    bump = update(lock).where(lock.site == site).values(generation=lock.generation + 1)
    if session.execute(bump).rowcount == 0:  # type: ignore[attr-defined]
        session.add(CapacityLock(site=site, generation=1))
        session.flush()


def in_locked_transaction(
    register: Register, site: str, work: Callable[[Session], T], *, bind: bool = True
) -> T:
    """Run `work` in one transaction holding the site's lock (after checking the register belongs to the
    site, binding it on first use, unless ``bind`` is False); retry when the database reports a race."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            with register.session() as session:
                lock_site(session, site)
                if bind:
                    check_site(session, site, bind=True)
                return work(session)
        except (IntegrityError, RegisterUnavailable) as exc:
            failure = exc
            time.sleep(0.02 * attempt)
    reason = failure.message if isinstance(failure, RegisterUnavailable) else str(failure.orig)
    raise InfrastructureError(
        f"the register did not complete a capacity change at {site} after {MAX_ATTEMPTS} attempts", [reason]
    )


def rename_site(register: Register, old: str, new: str) -> int:
    """Move every hold, allocation, agency network and the register's binding from site ``old`` to ``new``
    (the site's code changed in facility.yml); returns how many claims moved. Nothing moves unless the
    register belongs to ``old`` and holds nothing under ``new``."""

    def work(session: Session) -> int:
        check_site(session, old)
        if new in _codes_in_use(session):
            raise BadInput(f"the register already holds capacity under site {new!r}; nothing was changed")
        networks = session.scalars(select(AgencyNetworkRecord).where(AgencyNetworkRecord.site == old)).all()
        session.add_all(
            AgencyNetworkRecord(site=new, agency=n.agency, vlan=n.vlan, subnet=n.subnet,
                                created_at=n.created_at)
            for n in networks
        )
        session.flush()
        moved = session.execute(update(ClaimRecord).where(ClaimRecord.site == old).values(site=new))
        session.execute(update(UnitClaimRecord).where(UnitClaimRecord.site == old).values(site=new))
        session.execute(delete(AgencyNetworkRecord).where(AgencyNetworkRecord.site == old))
        session.execute(delete(CapacityLock).where(CapacityLock.site == old))
        session.merge(SiteBindingRecord(id=1, code=new, bound_at=utcnow()))
        return int(moved.rowcount)  # type: ignore[attr-defined]

    return in_locked_transaction(register, old, work, bind=False)


def usage_snapshot(session: Session, site: str) -> Usage:
    """Every live claim and agency network at the site (Core queries: no ORM rows for thousands)."""
    db = session.connection()
    units: defaultdict[str, list[int]] = defaultdict(list)
    for request_id, unit in db.execute(
        select(UnitClaimRecord.request_id, UnitClaimRecord.unit).where(UnitClaimRecord.site == site)
    ):
        units[request_id].append(unit)
    c = ClaimRecord
    rows = db.execute(
        select(c.request_id, c.agency, c.kind, c.rack, c.ups, c.uplink, c.switch, c.port, c.watts, c.mbps,
               c.address).where(c.site == site)
    )
    claims = [
        Claim(request_id, agency, ALLOCATED if kind == ALLOCATED else HOLD, rack,
              tuple(sorted(units[request_id])), ups, uplink, switch, port, watts, mbps,
              ipaddress.IPv4Address(socket.inet_aton(address)))
        for request_id, agency, kind, rack, ups, uplink, switch, port, watts, mbps, address in rows
    ]
    n = AgencyNetworkRecord
    networks = [
        AgencyNetwork(agency, vlan, ipaddress.IPv4Network(subnet))
        for agency, vlan, subnet in db.execute(select(n.agency, n.vlan, n.subnet).where(n.site == site))
    ]
    return Usage(claims, networks)


def _delete_claim(session: Session, claim: ClaimRecord) -> None:
    """Free a claim's units, port, address, watts and Mbps; the agency network too if it was the last."""
    session.execute(delete(UnitClaimRecord).where(UnitClaimRecord.request_id == claim.request_id))
    session.delete(claim)
    session.flush()
    others = select(func.count()).where(ClaimRecord.site == claim.site, ClaimRecord.agency == claim.agency)
    if session.scalar(others) == 0:
        session.execute(
            delete(AgencyNetworkRecord).where(
                AgencyNetworkRecord.site == claim.site, AgencyNetworkRecord.agency == claim.agency
            )
        )


def _drop_cancelled_holds(session: Session, site: str) -> None:
    """A cancelled request no longer holds anything."""
    cancelled = select(EventRecord.request_id).where(
        EventRecord.step.is_(None), EventRecord.outcome == str(Outcome.CANCELLED)
    )
    stale = select(ClaimRecord).where(
        ClaimRecord.site == site, ClaimRecord.kind == HOLD, ClaimRecord.request_id.in_(cancelled)
    )
    for claim in session.scalars(stale).all():
        _delete_claim(session, claim)


def _names_held(session: Session, facility: Facility, demand: Demand) -> dict[str, Remark]:
    """The demand's subdomains another request at the site holds or has allocated (where the site has a DNS
    zone for them)."""
    site = facility.site.code
    if not demand.subdomains or facility.dns.zone is None:
        return {}
    rows = session.execute(
        select(RequestRecord.id, RequestRecord.document)
        .join(ClaimRecord, ClaimRecord.request_id == RequestRecord.id)
        .where(ClaimRecord.site == site, RequestRecord.id != demand.request_id)
    )
    held = {}
    for request_id, document in rows:
        for label in {str(a.get("subdomain") or "").lower() for a in document.get("applications", ())}:
            if label in demand.subdomains:
                held[label] = Remark("name_held", {"request": request_id})
    return held


def _check(session: Session, facility: Facility, demand: Demand, rack: str | None = None,
           in_zone: Mapping[str, Remark] | None = None) -> CapacityReport:
    """The capacity check against the register's snapshot (in ``rack`` only, when given); ``in_zone``: the
    demand's subdomains the DNS zone already holds."""
    site = facility.site.code
    _drop_cancelled_holds(session, site)
    usage = usage_snapshot(session, site)
    taken = {**(in_zone or {}), **_names_held(session, facility, demand)}
    return check_capacity(facility, demand, dataclasses.replace(usage, taken_names=taken), rack)


def _write_hold(session: Session, report: CapacityReport) -> ClaimRecord:
    """Hold the placement a passing check found."""
    p, d = report.placement, report.request
    assert p is not None, "only a sufficient report is held"
    if p.new_network:
        session.add(AgencyNetworkRecord(site=report.site, agency=d.agency, vlan=p.vlan, subnet=str(p.subnet)))
        session.flush()
    claim = ClaimRecord(
        request_id=d.request_id, site=report.site, agency=d.agency, kind=HOLD, rack=p.rack, ups=p.ups,
        uplink=p.uplink, switch=p.switch, port=p.port, address=str(p.address), watts=d.power_watts,
        mbps=d.bandwidth_mbps, held_at=utcnow(),
    )
    session.add(claim)
    session.flush()
    session.add_all(
        UnitClaimRecord(site=report.site, rack=p.rack, unit=u, request_id=d.request_id) for u in p.units
    )
    session.flush()
    return claim


def _allocation_of(session: Session, facility: Facility, claim: ClaimRecord) -> Allocation:
    u = UnitClaimRecord
    units = session.scalars(select(u.unit).where(u.request_id == claim.request_id).order_by(u.unit)).all()
    network = session.get_one(AgencyNetworkRecord, (claim.site, claim.agency))
    subnet = ipaddress.IPv4Network(network.subnet)
    return Allocation(
        request_id=claim.request_id, site=claim.site, kind=ALLOCATED if claim.kind == ALLOCATED else HOLD,
        rack=claim.rack, units=tuple(units), ups=claim.ups, uplink=claim.uplink, switch=claim.switch,
        switch_port=claim.port, vlan_id=network.vlan, vlan_name=facility.vlans.name_for(claim.agency),
        subnet=subnet, gateway=facility.addressing.gateway(subnet), prefix_len=subnet.prefixlen,
        address=ipaddress.IPv4Address(claim.address), watts=claim.watts, mbps=claim.mbps,
    )


def _own_claim(session: Session, facility: Facility, request_id: str) -> ClaimRecord | None:
    claim = session.get(ClaimRecord, request_id)
    if claim is not None and claim.site != facility.site.code:
        raise BadInput(f"{request_id} holds capacity at site {claim.site}, not {facility.site.code} (--site)")
    return claim


def find_allocation(session: Session, facility: Facility, request_id: str) -> Allocation | None:
    """What the request holds or has been allocated, if anything (reads only)."""
    check_site(session, facility.site.code)
    claim = _own_claim(session, facility, request_id)
    return None if claim is None else _allocation_of(session, facility, claim)


def check_and_hold(
    session: Session, facility: Facility, record: RequestRecord, rack: str | None = None,
    in_zone: Mapping[str, Remark] | None = None,
) -> CapacityReport:
    """Step 3's check, in a transaction holding the site's lock: every resource for the request (in
    ``rack`` only, when given; ``in_zone``: its subdomains the DNS zone already holds), and what fits held. A
    hold left by a check whose step was never recorded is checked again."""
    claim = _own_claim(session, facility, record.id)
    if claim is not None and claim.kind == HOLD:
        _delete_claim(session, claim)
        claim = None
    report = _check(session, facility, demand_of(record), rack, in_zone)
    if report.sufficient and claim is None:
        _write_hold(session, report)
    return report


def held_at(session: Session, request_id: str) -> tuple[str, str, str, str] | None:
    """Where the request's hold or allocation is: rack, switch, port and address."""
    claim = session.get(ClaimRecord, request_id)
    return None if claim is None else (claim.rack, claim.switch, claim.port, claim.address)


def drop_hold(session: Session, facility: Facility, request_id: str) -> None:
    """Free the request's hold, if it has one (an allocation stays)."""
    claim = _own_claim(session, facility, request_id)
    if claim is not None and claim.kind == HOLD:
        _delete_claim(session, claim)


def allocate(register: Register, facility: Facility, request_id: str) -> Allocation:
    """Step 6's plan: turn the request's hold into an allocation (checking and holding first if it has none).

    Asking again returns the same allocation. NoCapacity lists what was short.
    """

    def work(session: Session) -> Allocation:
        claim = _own_claim(session, facility, request_id)
        if claim is None:
            record = get_request(session, request_id)
            report = _check(session, facility, demand_of(record))
            if not report.sufficient:
                short = report.shortages
                raise NoCapacity(f"{record.id}: not enough capacity at {facility.site.code}", short)
            claim = _write_hold(session, report)
        if claim.kind == HOLD:
            claim.kind, claim.allocated_at = ALLOCATED, utcnow()
            session.flush()
        return _allocation_of(session, facility, claim)

    return in_locked_transaction(register, facility.site.code, work)


def release(register: Register, facility: Facility, request_id: str) -> bool:
    """Free what the request holds or has been allocated (cancellation, decommission); False if nothing."""

    def work(session: Session) -> bool:
        claim = _own_claim(session, facility, request_id)
        if claim is None:
            return False
        _delete_claim(session, claim)
        return True

    return in_locked_transaction(register, facility.site.code, work)


def _serial(record: RequestRecord) -> str | None:
    """The server's serial: as delivered (step 4), else as the letter gives it."""
    applied = completions(record).get(Step.APPLY)
    return applied.details.get("serial") if applied else record.document["server"].get("serial")


def _places_first(session: Session, rival: RequestRecord, record: RequestRecord) -> bool:
    """Whether ``rival`` has the server before ``record``: allocated or installed it, or holds capacity and
    was submitted first."""
    if not state_of(rival).is_open and state_of(rival) != RequestState.COMPLETED:
        return False
    claim = session.get(ClaimRecord, rival.id)
    asset = AssetRecord
    installed = session.scalar(
        select(asset.id).where(asset.request_id == rival.id, asset.decommissioned_at.is_(None))
    )
    if installed is not None or (claim is not None and claim.kind == ALLOCATED):
        return True
    return claim is not None and (rival.year, rival.seq) < (record.year, record.seq)


def refuse_duplicate(session: Session, record: RequestRecord) -> None:
    """Step 6 places one physical server once: refuse it (exit 3) for a request with the letter number, serial
    and hostname of another request that has the server first (allocated or installed it, or holds capacity
    for it and was submitted earlier), unless this request's own allocation came first."""
    mine = session.get(ClaimRecord, record.id)
    if mine is not None and mine.kind == ALLOCATED:
        return
    same = select(RequestRecord).where(
        RequestRecord.letter_number == record.letter_number, RequestRecord.hostname == record.hostname,
        RequestRecord.id != record.id,
    ).order_by(RequestRecord.year, RequestRecord.seq)
    serial = _serial(record)
    for rival in session.scalars(same):
        if _serial(rival) == serial and _places_first(session, rival, record):
            raise Refused(
                f"{record.id}: {rival.id} is the same server (letter {record.letter_number}, serial "
                f"{serial}, host {record.hostname}) and has it first ({state_of(rival)}); a server is "
                "placed once",
                [f"if {record.id} is a duplicate: colo request cancel {record.id} --by NAME --reason ..."],
            )
