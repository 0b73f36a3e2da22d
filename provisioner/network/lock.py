"""One configuration session per switch at a time: a lock row in the register, per switch. A change over
several switches takes their locks in one global order (by name), so two such changes cannot deadlock."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from tenacity import RetryError, Retrying, retry_if_not_result, stop_after_delay, wait_fixed

from provisioner.errors import InfrastructureError
from provisioner.register.db import Register, utcnow
from provisioner.register.network_models import SwitchLockRecord

RETRY_PAUSE_S = 0.1
"""How long a run waiting for a switch pauses between two tries at its lock."""


def _process_alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _abandoned(held: SwitchLockRecord) -> bool:
    """A lock whose holder ran on this machine and is gone (killed mid-change): nobody will release it."""
    return held.machine == socket.gethostname() and held.pid > 0 and not _process_alive(held.pid)


def _try_take(register: Register, switch: str, holder: str, ttl: float) -> SwitchLockRecord | None:
    """Take the lock, clearing an expired or abandoned one first; the current holder's row if it is taken."""
    now = utcnow()
    with register.session() as session:
        session.execute(delete(SwitchLockRecord).where(
            SwitchLockRecord.switch == switch, SwitchLockRecord.expires_at < now))
        held = session.get(SwitchLockRecord, switch)
        if held is not None and _abandoned(held):
            session.delete(held)
    try:
        with register.session() as session:
            session.add(SwitchLockRecord(switch=switch, holder=holder, machine=socket.gethostname(),
                                         pid=os.getpid(), acquired_at=now,
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
    attempts = Retrying(retry=retry_if_not_result(lambda held: held is None), stop=stop_after_delay(wait),
                        wait=wait_fixed(RETRY_PAUSE_S))
    try:
        attempts(_try_take, register, switch, holder, ttl)
    except RetryError as gave_up:
        held: SwitchLockRecord = gave_up.last_attempt.result()
        raise InfrastructureError(
            f"switch {switch} is being configured by {held.holder} since "
            f"{held.acquired_at:%H:%M:%S} UTC; gave up after {wait:.0f} s"
        ) from None
    try:
        yield
    finally:
        with register.session() as session:
            session.execute(delete(SwitchLockRecord).where(
                SwitchLockRecord.switch == switch, SwitchLockRecord.holder == holder))


@contextmanager
def switch_locks(register: Register, switches: Iterable[str], holder: str, *, wait: float = 600.0,
                 ttl: float = 900.0) -> Iterator[tuple[str, ...]]:
    """Hold every switch in `switches` for `holder`, taken in name order (the order every run uses) and
    released in reverse; a switch that cannot be taken releases those already held. Yields the order."""
    order = tuple(sorted(set(switches)))
    with ExitStack() as held:
        for switch in order:
            held.enter_context(switch_lock(register, switch, holder, wait=wait, ttl=ttl))
        yield order
