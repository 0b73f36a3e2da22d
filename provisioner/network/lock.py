"""One configuration session per switch at a time: a lock row in the register, per switch."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from provisioner.errors import InfrastructureError
from provisioner.register.db import Register, utcnow
from provisioner.register.network_models import SwitchLockRecord


def _try_take(register: Register, switch: str, holder: str, ttl: float) -> SwitchLockRecord | None:
    """Take the lock, clearing an expired one first; the current holder's row if it is taken."""
    now = utcnow()
    with register.session() as session:
        session.execute(delete(SwitchLockRecord).where(
            SwitchLockRecord.switch == switch, SwitchLockRecord.expires_at < now))
    try:
        with register.session() as session:
            session.add(SwitchLockRecord(switch=switch, holder=holder, acquired_at=now,
                                         expires_at=now + timedelta(seconds=ttl)))
        return None
    except IntegrityError:
        with register.session() as session:
            held = session.get(SwitchLockRecord, switch)
            if held is None:
                return _try_take(register, switch, holder, ttl)
            session.expunge(held)
            return held


@contextmanager
def switch_lock(register: Register, switch: str, holder: str, *, wait: float = 600.0,
                ttl: float = 900.0) -> Iterator[None]:
    """Hold `switch` for `holder`, waiting up to `wait` s for another holder (expiring after `ttl` s).
    The wait is long: several runs may queue on one switch, each holding it for a whole change."""
    deadline = time.monotonic() + wait
    while (held := _try_take(register, switch, holder, ttl)) is not None:
        if time.monotonic() >= deadline:
            raise InfrastructureError(
                f"switch {switch} is being configured by {held.holder} since "
                f"{held.acquired_at:%H:%M:%S} UTC; gave up after {wait:.0f} s"
            )
        time.sleep(0.1)
    try:
        yield
    finally:
        with register.session() as session:
            session.execute(delete(SwitchLockRecord).where(
                SwitchLockRecord.switch == switch, SwitchLockRecord.holder == holder))
