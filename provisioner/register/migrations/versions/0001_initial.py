"""The core register: requests, events (audit log), documents, assets.

Revision ID: 0001_initial
Revises:
"""

import sqlalchemy as sa
from alembic import op

from provisioner.register.db import UtcDateTime

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "requests",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("agency_code", sa.String(20), nullable=False, index=True),
        sa.Column("hostname", sa.String(63), nullable=False),
        sa.Column("letter_number", sa.String(100), nullable=False),
        sa.Column("submitted_at", UtcDateTime, nullable=False),
        sa.Column("document", sa.JSON, nullable=False),
        sa.Column("source_text", sa.Text, nullable=False),
        sa.UniqueConstraint("year", "seq", name="uq_requests_year_seq"),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.String(16), sa.ForeignKey("requests.id"), nullable=False, index=True),
        sa.Column("step", sa.Integer, nullable=True),
        sa.Column("stage", sa.String(40), nullable=True),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("details", sa.JSON, nullable=False),
    )
    op.create_index(
        "uq_events_step_done",
        "events",
        ["request_id", "step"],
        unique=True,
        sqlite_where=sa.text("stage IS NULL AND step IS NOT NULL"),
        postgresql_where=sa.text("stage IS NULL AND step IS NOT NULL"),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.String(16), sa.ForeignKey("requests.id"), nullable=False, index=True),
        sa.Column("event_id", sa.Integer, sa.ForeignKey("events.id"), nullable=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("html_path", sa.Text, nullable=False),
        sa.Column("pdf_path", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "assets",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.String(16), sa.ForeignKey("requests.id"), nullable=False, unique=True),
        sa.Column("agency_code", sa.String(20), nullable=False, index=True),
        sa.Column("hostname", sa.String(63), nullable=False),
        sa.Column("serial", sa.String(50), nullable=False, index=True),
        sa.Column("vendor", sa.String(60), nullable=True),
        sa.Column("model", sa.String(60), nullable=True),
        sa.Column("os", sa.String(60), nullable=False),
        sa.Column("location", sa.String(100), nullable=False),
        sa.Column("address", sa.String(45), nullable=True),
        sa.Column("installed_at", UtcDateTime, nullable=False),
        sa.Column("decommissioned_at", UtcDateTime, nullable=True),
        sa.Column("details", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("assets")
    op.drop_table("documents")
    op.drop_index("uq_events_step_done", table_name="events")
    op.drop_table("events")
    op.drop_table("requests")
