"""The audit log's hash chain: each event carries the hash of the one before it and of its documents.

Events are sealed when their transaction commits: under the chain's one-row head (locked for update on
PostgreSQL; SQLite's write lock is held already) each new event gets the next position, the head's hash as
its previous hash, and the SHA-256 of its canonical JSON (sorted keys: id, request, step, stage, actor,
outcome, time in ISO form, details, position, previous hash, and its documents' kinds and SHA-256s). So the
chain's order is the order of commits, whatever the ids. :func:`verify_chain` walks it and names the first
event edited, inserted or removed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Integer, String, event, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.orm.attributes import set_committed_value

from provisioner.errors import InfrastructureError
from provisioner.register.db import Base
from provisioner.register.models import DocumentRecord, EventRecord

HEAD_ID = 1
GENESIS = ""
"""The previous hash of the first event."""
_UNSEALED = "colo_unsealed_events"


class ChainHead(Base):
    """The chain's last position and hash (one row): the lock every sealing transaction takes."""

    __tablename__ = "event_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


@dataclass(frozen=True)
class ChainedEvent:
    """What an event's hash covers, read from the register."""

    id: int
    request_id: str
    step: int | None
    stage: str | None
    actor: str
    outcome: str
    at: datetime
    details: Mapping[str, Any]
    position: int | None
    previous_hash: str | None
    hash: str | None
    documents: tuple[tuple[str, str], ...]


def event_hash(ev: ChainedEvent, position: int, previous_hash: str) -> str:
    """SHA-256 of the event's canonical JSON at ``position`` after ``previous_hash``."""
    canonical = {
        "id": ev.id,
        "request": ev.request_id,
        "step": ev.step,
        "stage": ev.stage,
        "actor": ev.actor,
        "outcome": ev.outcome,
        "time": ev.at.astimezone(UTC).isoformat(),
        "details": json.loads(json.dumps(dict(ev.details))),
        "position": position,
        "previous_hash": previous_hash,
        "documents": [{"kind": kind, "sha256": digest} for kind, digest in sorted(ev.documents)],
    }
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _documents(session: Session, event_ids: Sequence[int]) -> dict[int, list[tuple[str, str]]]:
    found: dict[int, list[tuple[str, str]]] = {}
    if not event_ids:
        return found
    rows = session.execute(
        select(DocumentRecord.event_id, DocumentRecord.kind, DocumentRecord.sha256).where(
            DocumentRecord.event_id.in_(event_ids)
        )
    )
    for event_id, kind, digest in rows:
        if event_id is not None:
            found.setdefault(event_id, []).append((kind, digest))
    return found


def chained_events(session: Session, ids: Sequence[int] | None = None) -> list[ChainedEvent]:
    """The events (all, or those of ``ids``) with their documents, in chain order (unchained ones last)."""
    query = select(EventRecord).order_by(EventRecord.position.is_(None), EventRecord.position, EventRecord.id)
    if ids is not None:
        query = query.where(EventRecord.id.in_(ids))
    records = list(session.scalars(query))
    documents = _documents(session, [r.id for r in records])
    return [
        ChainedEvent(
            id=r.id, request_id=r.request_id, step=r.step, stage=r.stage, actor=r.actor, outcome=r.outcome,
            at=r.at, details=r.details, position=r.position, previous_hash=r.previous_hash, hash=r.hash,
            documents=tuple(documents.get(r.id, ())),
        )
        for r in records
    ]


Link = tuple[int, int, str, str]
"""An event's id, position, previous hash and hash."""


def link(events: Iterable[ChainedEvent], position: int, previous_hash: str) -> list[Link]:
    """(id, position, previous hash, hash) of ``events`` appended after ``position`` and ``previous_hash``."""
    links = []
    for ev in events:
        position += 1
        digest = event_hash(ev, position, previous_hash)
        links.append((ev.id, position, previous_hash, digest))
        previous_hash = digest
    return links


def store_links(session: Session, links: Sequence[Link]) -> None:
    """Write the links to their events (in SQL: the mapper refuses to change an event) and move the head."""
    for event_id, position, previous_hash, digest in links:
        session.execute(
            update(EventRecord)
            .where(EventRecord.id == event_id)
            .values(position=position, previous_hash=previous_hash, hash=digest)
            .execution_options(synchronize_session=False)
        )
    if links:
        _, position, _, digest = links[-1]
        session.execute(
            update(ChainHead).where(ChainHead.id == HEAD_ID).values(position=position, hash=digest)
        )


def chain_head(session: Session) -> str:
    """The hash of the chain's last event as the register's head records it (empty before any event)."""
    head = session.get(ChainHead, HEAD_ID)
    return head.hash if head is not None else GENESIS


def expect_seal(session: Session, ev: EventRecord) -> None:
    """Seal ``ev`` into the chain when ``session`` commits."""
    session.info.setdefault(_UNSEALED, []).append(ev)


@event.listens_for(Session, "before_commit")
def _seal(session: Session) -> None:
    pending: list[EventRecord] = session.info.pop(_UNSEALED, [])
    if not pending:
        return
    session.flush()
    head = session.scalars(select(ChainHead).where(ChainHead.id == HEAD_ID).with_for_update()).first()
    if head is None:
        raise InfrastructureError("the audit log's chain head is missing from the register; nothing changed")
    session.refresh(head)
    links = link(chained_events(session, sorted(ev.id for ev in pending)), head.position, head.hash)
    store_links(session, links)
    by_id = {ev.id: ev for ev in pending}
    for event_id, position, previous_hash, digest in links:
        for key, value in (("position", position), ("previous_hash", previous_hash), ("hash", digest)):
            set_committed_value(by_id[event_id], key, value)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_UNSEALED, None)


Break = Literal["edited", "inserted", "removed"]


@dataclass(frozen=True)
class ChainState:
    """The outcome of walking the chain: its length and head, or the first break found."""

    events: int
    head: str
    broken: Break | None = None
    event_id: int | None = None
    reason: str = ""


def _broken(kind: Break, event_id: int | None, reason: str, count: int, head: str) -> ChainState:
    return ChainState(count, head, kind, event_id, reason)


def verify_chain(session: Session) -> ChainState:
    """Walk the chain in order; the first event edited, inserted or removed ends the walk."""
    events = chained_events(session)
    head = session.get(ChainHead, HEAD_ID)
    previous: ChainedEvent | None = None
    previous_hash = GENESIS
    for count, ev in enumerate(events):
        expected = (previous.position or 0) + 1 if previous else 1
        after = f"after event {previous.id}" if previous else "at the start of the chain"
        if ev.position is None or ev.hash is None or ev.previous_hash is None:
            return _broken("inserted", ev.id, f"event {ev.id} was inserted: it is not in the chain", count,
                           previous_hash)
        if ev.hash != event_hash(ev, ev.position, ev.previous_hash):
            return _broken("edited", ev.id, f"event {ev.id} was edited: its hash does not match what it says",
                           count, previous_hash)
        if ev.position > expected:
            return _broken("removed", None, f"the event at position {expected} ({after}) was removed", count,
                           previous_hash)
        if ev.position < expected or ev.previous_hash != previous_hash:
            return _broken("inserted", ev.id, f"event {ev.id} was inserted {after}: it does not follow it",
                           count, previous_hash)
        previous, previous_hash = ev, ev.hash
    last = previous.position or 0 if previous else 0
    if head is None:
        return _broken("removed", None, "the chain's head is missing from the register", len(events),
                       previous_hash)
    if head.position > last:
        where = f"after event {previous.id}" if previous else "at the start of the chain"
        return _broken("removed", None, f"the event at position {last + 1} ({where}) was removed",
                       len(events), previous_hash)
    if head.position < last:
        extra = next(ev for ev in events if (ev.position or 0) > head.position)
        return _broken("inserted", extra.id, f"event {extra.id} was inserted: it is past the chain's head",
                       len(events), previous_hash)
    if head.position != last or head.hash != previous_hash:
        return _broken("edited", previous.id if previous else None,
                       "the chain's head does not match its last event", len(events), previous_hash)
    return ChainState(len(events), previous_hash)
