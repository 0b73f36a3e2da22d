"""Capacity: per-site locks, agency networks, claims (holds and allocations), claimed rack units.

Revision ID: 0002_capacity
Revises: 0001_initial
"""

import sqlalchemy as sa
from alembic import op

from provisioner.register.db import UtcDateTime

revision = "0002_capacity"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "capacity_locks",
        sa.Column("site", sa.String(64), primary_key=True),
        sa.Column("generation", sa.Integer, nullable=False),
    )
    op.create_table(
        "agency_networks",
        sa.Column("site", sa.String(64), primary_key=True),
        sa.Column("agency", sa.String(20), primary_key=True),
        sa.Column("vlan", sa.Integer, nullable=False),
        sa.Column("subnet", sa.String(18), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("site", "vlan", name="uq_agency_networks_vlan"),
        sa.UniqueConstraint("site", "subnet", name="uq_agency_networks_subnet"),
    )
    op.create_table(
        "capacity_claims",
        sa.Column("request_id", sa.String(16), sa.ForeignKey("requests.id"), primary_key=True),
        sa.Column("site", sa.String(64), nullable=False, index=True),
        sa.Column("agency", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("rack", sa.String(64), nullable=False),
        sa.Column("ups", sa.String(64), nullable=False),
        sa.Column("uplink", sa.String(64), nullable=False),
        sa.Column("switch", sa.String(64), nullable=False),
        sa.Column("port", sa.String(64), nullable=False),
        sa.Column("address", sa.String(15), nullable=False),
        sa.Column("watts", sa.Integer, nullable=False),
        sa.Column("mbps", sa.Integer, nullable=False),
        sa.Column("held_at", UtcDateTime, nullable=False),
        sa.Column("allocated_at", UtcDateTime, nullable=True),
        sa.UniqueConstraint("site", "switch", "port", name="uq_capacity_claims_port"),
        sa.UniqueConstraint("site", "address", name="uq_capacity_claims_address"),
        sa.ForeignKeyConstraint(["site", "agency"], ["agency_networks.site", "agency_networks.agency"]),
        sa.CheckConstraint("kind IN ('hold', 'allocated')", name="ck_capacity_claims_kind"),
    )
    op.create_table(
        "claimed_units",
        sa.Column("site", sa.String(64), primary_key=True),
        sa.Column("rack", sa.String(64), primary_key=True),
        sa.Column("unit", sa.Integer, primary_key=True),
        sa.Column("request_id", sa.String(16), sa.ForeignKey("capacity_claims.request_id"), nullable=False),
        sa.Index("ix_claimed_units_request_id", "request_id"),
    )


def downgrade() -> None:
    op.drop_table("claimed_units")
    op.drop_table("capacity_claims")
    op.drop_table("agency_networks")
    op.drop_table("capacity_locks")
