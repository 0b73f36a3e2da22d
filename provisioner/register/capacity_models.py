"""The capacity tables: what each request holds or has been allocated, with the uniqueness behind it.

One claim per request (a hold after step 3, allocated at step 6). A rack unit, a switch port and an address
can belong to one claim only, and a VLAN id, a subnet and an agency appear once per site: the database
itself refuses a double booking, whatever the process. Watts and Mbps are sums; the capacity code serialises
their check with the per-site lock row (`capacity_locks`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, ForeignKeyConstraint, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from provisioner.register.db import Base, UtcDateTime, utcnow


class CapacityLock(Base):
    """One row per site; every capacity change first updates it, so changes at a site run one at a time."""

    __tablename__ = "capacity_locks"

    site: Mapped[str] = mapped_column(String(64), primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, default=0)


class AgencyNetworkRecord(Base):
    """An agency's VLAN and subnet at a site, shared by its servers until the last one leaves."""

    __tablename__ = "agency_networks"
    __table_args__ = (
        UniqueConstraint("site", "vlan", name="uq_agency_networks_vlan"),
        UniqueConstraint("site", "subnet", name="uq_agency_networks_subnet"),
    )

    site: Mapped[str] = mapped_column(String(64), primary_key=True)
    agency: Mapped[str] = mapped_column(String(20), primary_key=True)
    vlan: Mapped[int] = mapped_column(Integer)
    subnet: Mapped[str] = mapped_column(String(18))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ClaimRecord(Base):
    """What one request holds (kind `hold`) or has been allocated (kind `allocated`)."""

    __tablename__ = "capacity_claims"
    __table_args__ = (
        UniqueConstraint("site", "switch", "port", name="uq_capacity_claims_port"),
        UniqueConstraint("site", "address", name="uq_capacity_claims_address"),
        ForeignKeyConstraint(["site", "agency"], ["agency_networks.site", "agency_networks.agency"]),
        CheckConstraint("kind IN ('hold', 'allocated')", name="ck_capacity_claims_kind"),
    )

    request_id: Mapped[str] = mapped_column(ForeignKey("requests.id"), primary_key=True)
    site: Mapped[str] = mapped_column(String(64), index=True)
    agency: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(10))
    rack: Mapped[str] = mapped_column(String(64))
    ups: Mapped[str] = mapped_column(String(64))
    uplink: Mapped[str] = mapped_column(String(64))
    switch: Mapped[str] = mapped_column(String(64))
    port: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(15))
    watts: Mapped[int] = mapped_column(Integer)
    mbps: Mapped[int] = mapped_column(Integer)
    held_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    allocated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class UnitClaimRecord(Base):
    """One occupied rack unit; the primary key makes a unit belong to one claim at most."""

    __tablename__ = "claimed_units"

    site: Mapped[str] = mapped_column(String(64), primary_key=True)
    rack: Mapped[str] = mapped_column(String(64), primary_key=True)
    unit: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("capacity_claims.request_id"), index=True)


class SiteBindingRecord(Base):
    """The one site this register belongs to, recorded on first use: its holds and allocations are that
    site's, so a facility file under another code is refused rather than shown an empty register."""

    __tablename__ = "register_site"
    __table_args__ = (CheckConstraint("id = 1", name="ck_register_site_one"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    code: Mapped[str] = mapped_column(String(64))
    bound_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
