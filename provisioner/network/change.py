"""The safe change: snapshot, diff, push only what differs, save, read back, restore on any failure."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from provisioner.errors import InfrastructureError
from provisioner.network.diff import Group, group_lines, needed_lines, parse_config, restore_lines, snapshot
from provisioner.network.lock import switch_lock
from provisioner.network.models import SwitchIntent, SwitchTarget
from provisioner.network.platforms import Platform, platform_for
from provisioner.network.session import SessionLostError, SessionPool, SwitchSession

log = logging.getLogger("colo.network")

_ORDER = {"vlan": 0, "svi": 1, "trunk_vlan": 1, "access": 2, "staging": 2, "reset": 2, "remove_svi": 3,
          "remove_trunk_vlan": 3, "remove_vlan": 4}


@dataclass(frozen=True)
class ChangePlan:
    """What a change would send to one switch, and what the switch holds now in the scopes it touches."""

    switch: str
    platform: str
    lines: tuple[str, ...]
    kept: dict[str, tuple[str, ...] | None] = field(repr=False)

    @property
    def empty(self) -> bool:
        return not self.lines

    def diff(self) -> str:
        """The change as a diff: each touched block as it is now, then the lines that would be sent."""
        if not self.lines:
            return f"{self.switch}: no change"
        out = [f"--- {self.switch} (now)", f"+++ {self.switch} (intended)"]
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


def ordered(intents: Sequence[SwitchIntent]) -> list[SwitchIntent]:
    """VLANs first, then SVIs and trunks, ports, and removals last (SVIs and trunks before VLANs)."""
    return sorted(intents, key=lambda i: _ORDER[i.kind])


def _groups(platform: type[Platform], intents: Sequence[SwitchIntent]) -> list[Group]:
    return group_lines(platform, [line for i in ordered(intents) for line in platform.render_intent(i)])


def _plan(session: SwitchSession, groups: list[Group]) -> ChangePlan:
    platform = session.platform
    state = parse_config(platform, session.read_config())
    return ChangePlan(session.switch.name, platform.name, tuple(needed_lines(platform, groups, state)),
                      snapshot(groups, state))


def plan_change(switch: SwitchTarget, intents: Sequence[SwitchIntent], pool: SessionPool) -> ChangePlan:
    """Read the switch and return what `apply_change` would send (nothing is sent)."""
    platform = platform_for(switch.platform)
    if platform.safe_mode:
        from provisioner.network.routeros import change as routeros

        return routeros.plan_change(switch, intents, pool)
    return _plan(pool.get(switch), _groups(platform, intents))


def apply_change(switch: SwitchTarget, intents: Sequence[SwitchIntent], pool: SessionPool) -> ChangeResult:
    """Make the switch hold the intents: under the switch's lock, push only the difference, save, read
    back and compare; on any failure restore the snapshot and raise SwitchChangeError. The dry run is
    `plan_change`. On a platform with a safe mode the change runs in it instead
    (`provisioner.network.routeros.change`)."""
    platform = platform_for(switch.platform)
    if platform.safe_mode:
        from provisioner.network.routeros import change as routeros

        return routeros.apply_change(switch, intents, pool)
    groups = _groups(platform, intents)
    with switch_lock(pool.register, switch.name, pool.holder):
        plan = _plan(pool.get(switch), groups)
        if plan.empty:
            return ChangeResult(switch.name, (), False, plan)
        log.info("%s: sending %d configuration lines", switch.name, len(plan.lines))
        try:
            _push(pool.get(switch), plan, groups)
        except Exception as exc:
            restored = _restore(pool, switch, plan)
            state = "restored to what it was before" if restored else "NOT restored: check it by hand"
            raise SwitchChangeError(f"{exc.args[0] if exc.args else exc}; the switch was {state}",
                                     restored=restored, cause=exc) from exc
        return ChangeResult(switch.name, plan.lines, True, plan)


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
