"""Comparing rendered commands with a switch's configuration: what to send, what to keep, how to go back.

Rendered commands are grouped by scope: on a block platform (IOS) a header line with the
indented lines under it; on a line platform (RouterOS) each line on its own, scoped by its first
three words. A line holds when the configuration already shows it; a removal (``no X`` / ``delete X``)
holds when the configuration shows nothing under X but lines the change itself wants; a block removal
(``no interface Vlan120`` as a header) holds when the block is absent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from provisioner.network.platforms import Platform

_SKIP = frozenset({"!", "exit", "end"})


@dataclass(frozen=True)
class Group:
    """Rendered lines in one scope: a block header (or None on a line platform) and its lines."""

    scope: str
    header: str | None
    lines: tuple[str, ...]


ConfigState = Mapping[str, tuple[str, ...]]
"""Per scope, the lines the configuration holds in it (absent scope: the block does not exist)."""


def group_lines(platform: type[Platform], lines: Sequence[str]) -> list[Group]:
    """The rendered lines of a change, grouped by scope, in order; blocks with the same header merge."""
    if not platform.hierarchical:
        return [Group(_line_scope(platform, line), None, (line,)) for line in lines]
    groups: dict[str, list[str]] = {}
    header = ""
    for line in lines:
        if line[:1].isspace():
            groups[header].append(line.strip())
        else:
            header = line.strip()
            groups.setdefault(header, [])
    return [Group(_block_scope(platform, h), h, tuple(body)) for h, body in groups.items()]


def _block_scope(platform: type[Platform], header: str) -> str:
    """The block a header opens, or, for a removal (``no vlan 120``), the block it removes."""
    if platform.negation is not None and header.startswith(platform.negation[0]):
        return platform.negation[1] + header[len(platform.negation[0]):]
    return header


def _is_removal(group: Group) -> bool:
    return group.header is not None and group.header != group.scope


def _line_scope(platform: type[Platform], line: str) -> str:
    if platform.negation is not None:
        negative, positive = platform.negation
        if line.startswith(negative):
            line = positive + line[len(negative):]
    return " ".join(line.split()[:3])


def parse_config(platform: type[Platform], text: str) -> dict[str, tuple[str, ...]]:
    """The configuration as {scope: lines}; on a line platform every line is kept under its scope."""
    state: dict[str, list[str]] = {}
    if not platform.hierarchical:
        for raw in text.splitlines():
            line = raw.strip()
            if line and not line.startswith("#"):
                state.setdefault(_line_scope(platform, line), []).append(line)
        return {k: tuple(v) for k, v in state.items()}
    header: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line in _SKIP or line.startswith("!"):
            if not raw[:1].isspace():
                header = None
            continue
        if raw[:1].isspace():
            if header is not None:
                state[header].append(line)
        else:
            header = line
            state.setdefault(header, [])
    return {k: tuple(v) for k, v in state.items()}


def _holds(platform: type[Platform], line: str, current: tuple[str, ...] | None,
           wanted: frozenset[str]) -> bool:
    if platform.negation is not None and line.startswith(platform.negation[0]):
        target = platform.negation[1] + line[len(platform.negation[0]):]
        return all(have in wanted for have in current or () if have.startswith(target))
    if current is None:
        return False
    opposite = platform.implied_by_absence.get(line)
    if opposite is not None:
        return opposite not in current
    return line in current


def needed_lines(platform: type[Platform], groups: Sequence[Group], state: ConfigState) -> list[str]:
    """Only what differs: for each group, its header (if any) and the lines that do not hold yet."""
    out: list[str] = []
    for group in groups:
        current = state.get(group.scope)
        if _is_removal(group):
            if current is not None:
                out.append(group.header or group.scope)
            continue
        wanted = frozenset(group.lines)
        if group.header is None:
            wanted = frozenset(g.lines[0] for g in groups if g.scope == group.scope)
        missing = [line for line in group.lines if not _holds(platform, line, current, wanted)]
        if missing:
            body = [platform.indent + line for line in missing]
            out += [group.header, *body] if group.header is not None else missing
    return out


def snapshot(groups: Sequence[Group], state: ConfigState) -> dict[str, tuple[str, ...] | None]:
    """What the configuration held in every scope the change touches."""
    return {group.scope: state.get(group.scope) for group in groups}


def restore_lines(platform: type[Platform], kept: Mapping[str, tuple[str, ...] | None],
                  state: ConfigState) -> list[str]:
    """Commands that bring every kept scope back to its snapshot, last-touched scope first."""
    if platform.negation is None:
        return []
    negative, positive = platform.negation
    out: list[str] = []
    for scope, before in reversed(list(kept.items())):
        after = state.get(scope)
        if after == before:
            continue
        if platform.hierarchical:
            if before is None:
                out.append(negative + scope)
                continue
            removed = [negative + line for line in after or () if line not in before]
            added = [line for line in before if line not in (after or ())]
            out += [scope, *(platform.indent + line for line in removed + added)]
        else:
            out += [negative + line[len(positive):] for line in after or () if line not in (before or ())]
            out += [line for line in before or () if line not in (after or ())]
    return out
