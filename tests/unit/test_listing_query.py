"""The listing's query names only columns the register's models define, and joins on their foreign key."""

from __future__ import annotations

import re

from provisioner.register.db import Base
from provisioner.register.listing import QUERY
from provisioner.register.models import EventRecord, RequestRecord


def test_every_column_the_listing_reads_is_a_column_of_the_models() -> None:
    named = re.findall(r"\b(\w+)\.(\w+)\b", QUERY)
    assert {table for table, _ in named} == {RequestRecord.__tablename__, EventRecord.__tablename__}
    missing = [f"{table}.{column}" for table, column in named if column not in Base.metadata.tables[table].c]
    assert not missing


def test_the_listing_joins_events_to_requests_on_their_foreign_key() -> None:
    assert "events.request_id = requests.id" in QUERY
    assert EventRecord.__table__.c.request_id.references(RequestRecord.__table__.c.id)
    assert "ORDER BY requests.id, events.id" in QUERY, "requests by id, each one's events oldest first"
