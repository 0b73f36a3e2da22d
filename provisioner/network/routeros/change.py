"""The RouterOS change: snapshot, only the differing properties, pushed in safe mode, read back, released.

The session takes safe mode (Ctrl-X) before the first line and releases it (Ctrl-X again) only after the
read-back matches the intent. When anything fails the session is closed while safe mode is still held, and
the switch undoes the change by itself, as RouterOS does when the session that holds safe mode ends; a new
session then reads the switch, and only if it still differs from the snapshot are restoring commands sent.

Netmiko pitfalls handled here: Netmiko logs in as ``user+ct511w4098h`` (no colours, dumb terminal, wide);
every line ends with ``\\r\\n``; RouterOS v7 wraps the echo of a long command, so lines are sent without
waiting for their echo and each answer is read up to the prompt, which carries the menu path and
``<SAFE>`` (``[admin@sw] /interface/bridge/port<SAFE>``); every answer is checked for RouterOS's errors.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence

from provisioner.errors import InfrastructureError
from provisioner.network.change import ChangePlan, ChangeResult, SwitchChangeError, ordered
from provisioner.network.lock import switch_lock
from provisioner.network.models import SwitchIntent, SwitchTarget
from provisioner.network.platforms import Platform, platform_for
from provisioner.network.routeros.items import Statement, parse_export, parse_statement, plan, restore
from provisioner.network.session import (
    READ_TIMEOUT,
    LineRefusedError,
    SessionLostError,
    SessionPool,
    SwitchSession,
)

log = logging.getLogger("colo.network")

PROMPT = r"\[[^\]\r\n]+\] (?:/[^\r\n<>]*)?(?:>|<SAFE>)\s*$"
"""The console prompt: ``[user@identity]``, the menu path if not at the root, ``>`` or ``<SAFE>``."""
SAFE_MODE_KEY = "\x18"
SAFE_TAKEN = r"\[Safe Mode taken\]"
SAFE_RELEASED = r"\[Safe Mode released\]"


def statements(platform: type[Platform], intents: Sequence[SwitchIntent]) -> list[Statement]:
    """The rendered intents, in the change's order, as statements about items."""
    return [parse_statement(line) for intent in ordered(intents) for line in platform.render_intent(intent)]


def _exchange(session: SwitchSession, text: str, answer: str) -> str:
    """Write `text`, then read until `answer` (a pattern) ends the output; a closed channel (the session's
    channel notices it) or no answer within READ_TIMEOUT: SessionLostError (the echo is not waited for: v7
    wraps it)."""
    connection = session.connection

    def run() -> str:
        connection.write_channel(text)
        out, deadline = "", time.monotonic() + READ_TIMEOUT
        while not re.search(answer, out):
            chunk = str(connection.read_channel())
            if not chunk:
                if time.monotonic() > deadline:
                    raise SessionLostError(f"no answer within {READ_TIMEOUT:.0f} s")
                time.sleep(0.002)
            out += chunk
        return out

    return session._guard(run)


def _send(session: SwitchSession, line: str) -> str:
    """One command and its answer up to the prompt; an error answer raises LineRefusedError."""
    session.lines_sent += 1
    out = _exchange(session, line + session.connection.RETURN, PROMPT)
    if re.search(session.platform.error_pattern, out):
        raise LineRefusedError(session.switch.name, line, out.rsplit("\n", 1)[0])
    return out


def _key(session: SwitchSession, key: str, answer: str) -> None:
    """Press a control key and wait for RouterOS's answer to it."""
    _exchange(session, key, answer + r"[\s\S]*?" + PROMPT)


def read_items(session: SwitchSession) -> str:
    return _exchange(session, session.platform.show_config + session.connection.RETURN, PROMPT)


def _plan(session: SwitchSession, wanted: list[Statement]) -> ChangePlan:
    lines, kept = plan(session.switch.name, wanted, parse_export(read_items(session)))
    return ChangePlan(session.switch.name, session.platform.name, tuple(lines), kept)


def plan_change(switch: SwitchTarget, intents: Sequence[SwitchIntent], pool: SessionPool) -> ChangePlan:
    """What `apply_change` would send (nothing is sent)."""
    return _plan(pool.get(switch), statements(platform_for(switch.platform), intents))


def apply_change(switch: SwitchTarget, intents: Sequence[SwitchIntent], pool: SessionPool) -> ChangeResult:
    """Under the switch's lock: the differing properties sent in safe mode, read back, then released; on any
    failure the session is dropped in safe mode (the switch undoes the change) and the switch checked."""
    with switch_lock(pool.register, switch.name, pool.holder):
        return apply_locked(switch, intents, pool)


def apply_locked(switch: SwitchTarget, intents: Sequence[SwitchIntent], pool: SessionPool) -> ChangeResult:
    """`apply_change` with the switch's lock already held (a change over several switches holds them all)."""
    wanted = statements(platform_for(switch.platform), intents)
    session = pool.get(switch)
    change = _plan(session, wanted)
    if change.empty:
        return ChangeResult(switch.name, (), False, change)
    log.info("%s: sending %d lines in safe mode", switch.name, len(change.lines))
    try:
        _key(session, SAFE_MODE_KEY, SAFE_TAKEN)
        for line in change.lines:
            _send(session, line)
        left = _plan(session, wanted).lines
        if left:
            raise InfrastructureError(f"{switch.name}: read-back differs from the intent; still to send: "
                                      + "; ".join(left))
        _key(session, SAFE_MODE_KEY, SAFE_RELEASED)
    except Exception as exc:
        raise SwitchChangeError.after(exc, restore_change(pool, switch, change)) from exc
    return ChangeResult(switch.name, change.lines, True, change)


def restore_change(pool: SessionPool, switch: SwitchTarget, change: ChangePlan) -> bool:
    """Drop the session (safe mode undoes a change not yet released), then check from a new one; restoring
    commands only for what the switch did not undo (all of a released change, when a later switch of the
    same change failed). True when every touched item reads back as in the snapshot."""
    pool.discard(switch)
    try:
        session = pool.get(switch)
        lines = restore(change.kept, parse_export(read_items(session)))
        if not lines:
            log.warning("%s: the switch undid the change itself (safe mode)", switch.name)
            return True
        log.warning("%s: safe mode left %d items changed; restoring the snapshot", switch.name, len(lines))
        for line in lines:
            _send(session, line)
        return not restore(change.kept, parse_export(read_items(session)))
    except (InfrastructureError, SessionLostError):
        log.exception("%s: restore failed", switch.name)
        pool.discard(switch)
        return False
