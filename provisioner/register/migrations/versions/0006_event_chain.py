"""The audit log's hash chain: each event's position, previous hash and hash, and the chain's head;
the events already in the register are chained in the order of their ids.

Revision ID: 0006_event_chain
Revises: 0005_document_numbers
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

from provisioner.register.chain import GENESIS, HEAD_ID, chained_events, link, store_links

revision = "0006_event_chain"
down_revision = "0005_document_numbers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("position", sa.Integer, nullable=True))
        batch.add_column(sa.Column("previous_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("hash", sa.String(64), nullable=True))
        batch.create_unique_constraint("uq_events_position", ["position"])
    head = op.create_table(
        "event_chain_head",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.bulk_insert(head, [{"id": HEAD_ID, "position": 0, "hash": GENESIS}])
    session = Session(bind=op.get_bind())
    store_links(session, link(chained_events(session), 0, GENESIS))
    session.flush()


def downgrade() -> None:
    op.drop_table("event_chain_head")
    with op.batch_alter_table("events") as batch:
        batch.drop_constraint("uq_events_position", type_="unique")
        batch.drop_column("hash")
        batch.drop_column("previous_hash")
        batch.drop_column("position")
