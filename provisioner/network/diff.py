"""Comparing rendered commands with a switch's configuration: what to send, what to keep, how to go back.

Rendered commands are grouped by scope: on a block platform (IOS) a header line with the
indented lines under it; on a line platform (RouterOS) each line on its own, scoped by its first
three words. A line holds when the configuration already shows it; a removal (``no X`` / ``delete X``)
holds when the configuration shows nothing under X but lines the change itself wants; a block removal
(``no interface Vlan120`` as a header) holds when the block is absent.

A trunk's allowed VLANs are one list on IOS (``switchport trunk allowed vlan 1,100-120,999``, continued by
``... add`` lines when long): it is read as a set and kept as one line in its canonical form, an ``add N``
holds when N is in it, a ``remove N`` when N is not, and both hold on a trunk without a list (it carries every
VLAN, and is left alone); a restore sets the list back whole.

hier_config 3.7 was measured against these rules and not adopted: from the running configuration and an
intent it sends ``no shutdown`` to a port that is already up and rolls back with ``shutdown``; it rolls back
``switchport trunk allowed vlan add N`` with ``no switchport trunk allowed vlan add N``, which on IOS clears
the list so the trunk carries every VLAN; and its predicted configuration keeps the port's old access VLAN
beside the new one, so its rollback never sets the old one back.
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
    return {k: _merged_trunk_list(platform, v) for k, v in state.items()}


def vlan_set(text: str) -> frozenset[int]:
    """``1,100-102,999`` as {1, 100, 101, 102, 999}; ``none`` (or nothing) as the empty set."""
    ids: set[int] = set()
    for part in text.replace(" ", "").split(","):
        if part in ("", "none"):
            continue
        low, _, high = part.partition("-")
        ids.update(range(int(low), int(high or low) + 1))
    return frozenset(ids)


def vlan_ranges(ids: frozenset[int]) -> str:
    """{1, 100, 101, 102, 999} as ``1,100-102,999`` (IOS's spelling); the empty set as ``none``."""
    runs: list[list[int]] = []
    for vid in sorted(ids):
        if runs and vid == runs[-1][1] + 1:
            runs[-1][1] = vid
        else:
            runs.append([vid, vid])
    return ",".join(f"{a}" if a == b else f"{a}-{b}" for a, b in runs) or "none"


def _is_trunk_list(platform: type[Platform], line: str) -> bool:
    """Whether the line is (or changes) a trunk port's allowed-VLAN list."""
    return platform.trunk_allowed is not None and line.startswith(platform.trunk_allowed + " ")


def _trunk_list_words(platform: type[Platform], line: str) -> list[str]:
    """What follows the allowed-list prefix (``add 140``, ``1,100-120``); empty for any other line."""
    return line[len(str(platform.trunk_allowed)):].split() if _is_trunk_list(platform, line) else []


def trunk_vlans(platform: type[Platform], lines: tuple[str, ...] | None) -> frozenset[int] | None:
    """The VLANs a (parsed) trunk port's block allows; None when it has no list (it carries every VLAN) or
    the platform keeps no such list."""
    listed = [_trunk_list_words(platform, line) for line in lines or () if _is_trunk_list(platform, line)]
    return vlan_set("".join(listed[0])) if listed else None


def _merged_trunk_list(platform: type[Platform], lines: list[str]) -> tuple[str, ...]:
    """The block with its allowed-VLAN lines (a list and its ``add`` continuations) as one canonical line,
    none when the list allows every VLAN."""
    listed = [i for i, line in enumerate(lines) if _is_trunk_list(platform, line)]
    if not listed:
        return tuple(lines)
    allowed: set[int] = set()
    for i in listed:
        head, *rest = _trunk_list_words(platform, lines[i]) or [""]
        if head == "add":
            allowed |= vlan_set("".join(rest))
        else:
            allowed = set(range(1, 4095)) if head == "all" else set(vlan_set(head))
    out = [line for i, line in enumerate(lines) if i not in listed]
    if len(allowed) < 4094:
        out.insert(listed[0], f"{platform.trunk_allowed} {vlan_ranges(frozenset(allowed))}")
    return tuple(out)


def _trunk_change(platform: type[Platform], line: str) -> tuple[str, int] | None:
    """(``add`` or ``remove``, VLAN) for a line that adds a VLAN to a trunk's list or removes one from it."""
    words = _trunk_list_words(platform, line)
    if len(words) == 2 and words[0] in ("add", "remove") and words[1].isdigit():
        return words[0], int(words[1])
    return None


def carries_every_vlan(platform: type[Platform], block: tuple[str, ...] | None) -> bool:
    """Whether an existing trunk port's block has no allowed list (so it carries every VLAN)."""
    return platform.trunk_allowed is not None and block is not None and trunk_vlans(platform, block) is None


def _holds(platform: type[Platform], line: str, current: tuple[str, ...] | None,
           wanted: frozenset[str]) -> bool:
    if platform.negation is not None and line.startswith(platform.negation[0]):
        target = platform.negation[1] + line[len(platform.negation[0]):]
        return all(have in wanted for have in current or () if have.startswith(target))
    if current is None:
        return False
    if (change := _trunk_change(platform, line)) is not None:
        allowed = trunk_vlans(platform, current)
        return allowed is None or (change[1] in allowed) == (change[0] == "add")
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
            removed = [negative + line for line in after or () if line not in before
                       and not _is_trunk_list(platform, line)]
            added = [line for line in before if line not in (after or ())]
            if trunk_vlans(platform, before) is None and trunk_vlans(platform, after) is not None:
                removed.append(negative + str(platform.trunk_allowed))
            out += [scope, *(platform.indent + line for line in removed + added)]
        else:
            out += [negative + line[len(positive):] for line in after or () if line not in (before or ())]
            out += [line for line in before or () if line not in (after or ())]
    return out
