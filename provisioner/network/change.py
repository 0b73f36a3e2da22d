"""The safe change: snapshot, diff, push only what differs, save, read back, restore on any failure; over
several switches, under all their locks, every switch already changed restored when a later one fails."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from provisioner.errors import InfrastructureError
from provisioner.network.diff import (
    ConfigState,
    Group,
    carries_every_vlan,
    group_lines,
    needed_lines,
    parse_config,
    restore_lines,
    snapshot,
)
from provisioner.network.lock import switch_locks
from provisioner.network.models import RemoveTrunkVlanIntent, SwitchIntent, SwitchTarget, TrunkVlanIntent
from provisioner.network.platforms import Platform, platform_for
from provisioner.network.session import SessionLostError, SessionPool, SwitchSession

log = logging.getLogger("colo.network")

_ORDER = {"vlan": 0, "svi": 1, "trunk_vlan": 1, "access": 2, "staging": 2, "reset": 2, "remove_svi": 3,
          "remove_trunk_vlan": 3, "remove_vlan": 4}


@dataclass(frozen=True)
class SwitchChange:
    """One switch and the intents it is to hold, as part of a change over one or more switches."""

    switch: SwitchTarget
    intents: tuple[SwitchIntent, ...]


@dataclass(frozen=True)
class ChangePlan:
    """What a change would send to one switch, and what the switch holds now in the scopes it touches."""

    switch: str
    platform: str
    lines: tuple[str, ...]
    kept: dict[str, tuple[str, ...] | None] = field(repr=False)
    left_alone: tuple[str, ...] = ()
    """The trunk ports whose VLAN intents hold because the port carries every VLAN (nothing is sent)."""

    @property
    def empty(self) -> bool:
        return not self.lines

    def diff(self) -> str:
        """The change as a diff: each touched block as it is now, then the lines that would be sent."""
        alone = [f"  {port}: trunk carries every VLAN, left alone" for port in self.left_alone]
        if not self.lines:
            return "\n".join([f"{self.switch}: no change", *alone])
        out = [f"--- {self.switch} (now)", f"+++ {self.switch} (intended)", *alone]
        for scope, lines in self.kept.items():
            out.append(f"  {scope}" if lines is not None else f"  {scope} (absent)")
            out += [f"      {line}" for line in lines or ()]
        out += [f"+ {line}" for line in self.lines]
        return "\n".join(out)


@dataclass(frozen=True)
class ChangeResult:
    """The outcome of a change that succeeded (a failure raises SwitchChangeError)."""

    switch: str
    lines_sent: tuple[str, ...]
    saved: bool
    plan: ChangePlan


class SwitchChangeError(InfrastructureError):
    """A change failed; the message says why and whether the switch was restored to its snapshot."""

    def __init__(self, message: str, *, restored: bool, cause: Exception) -> None:
        super().__init__(message)
        self.restored = restored
        self.cause = cause

    @classmethod
    def after(cls, exc: Exception, restored: bool) -> SwitchChangeError:
        """The error for a change that raised `exc`, saying whether the switch was restored."""
        state = "restored to what it was before" if restored else "NOT restored: check it by hand"
        return cls(f"{exc.args[0] if exc.args else exc}; the switch was {state}", restored=restored,
                   cause=exc)


def ordered(intents: Sequence[SwitchIntent]) -> list[SwitchIntent]:
    """VLANs first, then SVIs and trunks, ports, and removals last (SVIs and trunks before VLANs)."""
    return sorted(intents, key=lambda i: _ORDER[i.kind])


def _groups(platform: type[Platform], intents: Sequence[SwitchIntent]) -> list[Group]:
    return group_lines(platform, [line for i in ordered(intents) for line in platform.render_intent(i)])


def _left_alone(platform: type[Platform], intents: Sequence[SwitchIntent],
                state: ConfigState) -> tuple[str, ...]:
    """The trunk ports among the intents that carry every VLAN."""
    trunks = [i for i in intents if isinstance(i, TrunkVlanIntent | RemoveTrunkVlanIntent)]
    scopes = {i.port: group_lines(platform, platform.render_intent(i))[0].scope for i in trunks}
    return tuple(port for port, scope in scopes.items() if carries_every_vlan(platform, state.get(scope)))


def _plan(session: SwitchSession, intents: Sequence[SwitchIntent]) -> tuple[ChangePlan, list[Group]]:
    platform = session.platform
    groups = _groups(platform, intents)
    state = parse_config(platform, session.read_config())
    plan = ChangePlan(session.switch.name, platform.name, tuple(needed_lines(platform, groups, state)),
                      snapshot(groups, state), _left_alone(platform, intents, state))
    return plan, groups


def plan_change(switch: SwitchTarget, intents: Sequence[SwitchIntent], pool: SessionPool) -> ChangePlan:
    """Read the switch and return what `apply_change` would send (nothing is sent)."""
    platform = platform_for(switch.platform)
    if platform.safe_mode:
        from provisioner.network.routeros import change as routeros

        return routeros.plan_change(switch, intents, pool)
    return _plan(pool.get(switch), intents)[0]


def plan_changes(changes: Sequence[SwitchChange], pool: SessionPool) -> list[ChangePlan]:
    """What `apply_changes` would send to each switch, in order (nothing is sent)."""
    pool.open_all([change.switch for change in changes])
    return [plan_change(change.switch, change.intents, pool) for change in changes]


def apply_change(switch: SwitchTarget, intents: Sequence[SwitchIntent], pool: SessionPool) -> ChangeResult:
    """Make the switch hold the intents: under the switch's lock, push only the difference, save, read
    back and compare; on any failure restore the snapshot and raise SwitchChangeError. The dry run is
    `plan_change`. On a platform with a safe mode the change runs in it instead
    (`provisioner.network.routeros.change`)."""
    return apply_changes([SwitchChange(switch, tuple(intents))], pool)[0]


def apply_changes(changes: Sequence[SwitchChange], pool: SessionPool) -> list[ChangeResult]:
    """Each switch in turn made to hold its intents (as `apply_change`), all under their locks taken in the
    one global order; when one fails, it and every switch changed before it are restored to their snapshots
    (last changed first) and SwitchChangeError says which were."""
    done: list[ChangeResult] = []
    with switch_locks(pool.register, [change.switch.name for change in changes], pool.holder):
        pool.open_all([change.switch for change in changes])
        for change in changes:
            try:
                done.append(_apply_locked(pool, change))
            except Exception as exc:
                if not any(result.lines_sent for result in done):
                    raise
                raise _undo(pool, changes, done, change, exc) from exc
    return done


def _apply_locked(pool: SessionPool, change: SwitchChange) -> ChangeResult:
    """One switch's change, its lock already held (in safe mode where the platform has one)."""
    switch = change.switch
    if platform_for(switch.platform).safe_mode:
        from provisioner.network.routeros import change as routeros

        return routeros.apply_locked(switch, change.intents, pool)
    plan, groups = _plan(pool.get(switch), change.intents)
    if plan.empty:
        return ChangeResult(switch.name, (), False, plan)
    log.info("%s: sending %d configuration lines", switch.name, len(plan.lines))
    try:
        _push(pool.get(switch), plan, groups)
    except Exception as exc:
        raise SwitchChangeError.after(exc, _restore(pool, switch, plan)) from exc
    return ChangeResult(switch.name, plan.lines, True, plan)


def _restore_done(pool: SessionPool, switch: SwitchTarget, plan: ChangePlan) -> bool:
    """Put back the snapshot of a change that succeeded (a later switch failed); True when it reads so."""
    if platform_for(switch.platform).safe_mode:
        from provisioner.network.routeros import change as routeros

        return routeros.restore_change(pool, switch, plan)
    return _restore(pool, switch, plan)


def _undo(pool: SessionPool, changes: Sequence[SwitchChange], done: list[ChangeResult], failed: SwitchChange,
          exc: Exception) -> SwitchChangeError:
    """Restore every switch `done` changed (last first) after `failed` raised `exc`; the error to raise."""
    targets = {change.switch.name: change.switch for change in changes}
    states = {result.switch: _restore_done(pool, targets[result.switch], result.plan)
              for result in reversed(done) if result.lines_sent}
    if isinstance(exc, SwitchChangeError):
        message, restored, cause = exc.message, exc.restored, exc.cause
    else:
        told = str(exc.args[0] if exc.args else exc)
        what = told if told.startswith(f"{failed.switch.name}: ") else f"{failed.switch.name}: {told}"
        message, restored, cause = f"{what}; nothing was sent to {failed.switch.name}", True, exc
    told = ", ".join(f"{name} {'restored' if ok else 'NOT restored: check it by hand'}"
                     for name, ok in states.items())
    return SwitchChangeError(f"{message}; the switches changed before it: {told}",
                             restored=restored and all(states.values()), cause=cause)


def _push(session: SwitchSession, plan: ChangePlan, groups: list[Group]) -> None:
    platform = session.platform
    if platform.save_in_config:
        session.configure([*plan.lines, *platform.save_lines()], stay_in_config=True)
    else:
        session.configure(plan.lines)
    state = parse_config(platform, session.read_config())
    left = needed_lines(platform, groups, state)
    if left:
        raise InfrastructureError(f"{plan.switch}: read-back differs from the intent; still missing: "
                                  + "; ".join(line.strip() for line in left))
    if platform.save_in_config:
        session.configure(platform.confirm_lines(), stay_in_config=False)
    else:
        session.run(platform.save_lines())


def _restore(pool: SessionPool, switch: SwitchTarget, plan: ChangePlan) -> bool:
    """Put back the snapshot (on a new session if the old one is suspect); True when it reads back so."""
    pool.discard(switch)
    try:
        session = pool.get(switch)
        platform = session.platform
        lines = restore_lines(platform, plan.kept, parse_config(platform, session.read_config()))
        if lines:
            log.warning("%s: restoring the snapshot with %d lines", switch.name, len(lines))
            session.configure(lines)
            session.run(platform.save_lines() if not platform.save_in_config else [])
        after = parse_config(platform, session.read_config())
        return all(after.get(scope) == kept for scope, kept in plan.kept.items())
    except (InfrastructureError, SessionLostError):
        log.exception("%s: restore failed", switch.name)
        pool.discard(switch)
        return False
