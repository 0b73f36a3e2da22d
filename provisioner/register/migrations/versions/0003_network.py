"""Network: per-switch configuration locks and pinned switch host keys.

Revision ID: 0003_network
Revises: 0002_capacity
"""

import sqlalchemy as sa
from alembic import op

from provisioner.register.db import UtcDateTime

revision = "0003_network"
down_revision = "0002_capacity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "switch_locks",
        sa.Column("switch", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(128), nullable=False),
        sa.Column("machine", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("acquired_at", UtcDateTime, nullable=False),
        sa.Column("expires_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "switch_host_keys",
        sa.Column("switch", sa.String(64), primary_key=True),
        sa.Column("host", sa.String(253), nullable=False),
        sa.Column("port", sa.Integer, nullable=False),
        sa.Column("key_type", sa.String(64), nullable=False),
        sa.Column("key_base64", sa.Text, nullable=False),
        sa.Column("fingerprint", sa.String(128), nullable=False),
        sa.Column("first_seen", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("switch_host_keys")
    op.drop_table("switch_locks")
