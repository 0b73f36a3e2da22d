"""Official document numbers: a counter per kind and year, and each request's number per kind.

Revision ID: 0005_document_numbers
Revises: 0004_site_widths
"""

import sqlalchemy as sa
from alembic import op

from provisioner.register.db import UtcDateTime

revision = "0005_document_numbers"
down_revision = "0004_site_widths"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document_counters",
        sa.Column("kind", sa.String(40), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("last", sa.Integer, nullable=False),
    )
    op.create_table(
        "document_numbers",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.String(16), sa.ForeignKey("requests.id"), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("number", sa.String(200), nullable=False),
        sa.Column("issued_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("request_id", "kind", name="uq_document_numbers_request_kind"),
        sa.UniqueConstraint("kind", "year", "seq", name="uq_document_numbers_seq"),
    )


def downgrade() -> None:
    op.drop_table("document_numbers")
    op.drop_table("document_counters")
