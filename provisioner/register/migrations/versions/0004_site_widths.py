"""The register's site (bound on first use); columns as wide as what validation admits.

events.actor holds step 1's "contact name (agency code)" (up to 123 characters) and assets.os
"family version" (up to 61).

Revision ID: 0004_site_widths
Revises: 0003_network
"""

import sqlalchemy as sa
from alembic import op

from provisioner.register.db import UtcDateTime

revision = "0004_site_widths"
down_revision = "0003_network"
branch_labels = None
depends_on = None

STEP_DONE_WHERE = "stage IS NULL AND step IS NOT NULL"


def _widen(table: str, column: str, old: int, new: int) -> None:
    with op.batch_alter_table(table) as batch:
        batch.alter_column(column, existing_type=sa.String(old), type_=sa.String(new),
                           existing_nullable=False)


def _step_done_index() -> None:
    op.create_index(
        "uq_events_step_done", "events", ["request_id", "step"], unique=True,
        sqlite_where=sa.text(STEP_DONE_WHERE), postgresql_where=sa.text(STEP_DONE_WHERE),
    )


def upgrade() -> None:
    op.create_table(
        "register_site",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("bound_at", UtcDateTime, nullable=False),
        sa.CheckConstraint("id = 1", name="ck_register_site_one"),
    )
    op.drop_index("uq_events_step_done", table_name="events")  # SQLite rebuilds the table: keep its WHERE
    _widen("events", "actor", 100, 200)
    _step_done_index()
    _widen("assets", "os", 60, 80)


def downgrade() -> None:
    _widen("assets", "os", 80, 60)
    op.drop_index("uq_events_step_done", table_name="events")
    _widen("events", "actor", 200, 100)
    _step_done_index()
    op.drop_table("register_site")
