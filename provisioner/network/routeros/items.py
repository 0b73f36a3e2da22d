"""RouterOS configuration as items, and the commands that take it from what it holds to what is wanted.

An item is one entry of a menu, named by its key property (``/interface bridge port`` by ``interface``,
``/interface bridge vlan`` by ``vlan-ids``, ...). ``/export terse`` gives every item as one line holding only
its properties that differ from the default. A rendered template line states what is wanted of one item:

    <menu> add <key>=<v> p=v ...          the item exists with these properties (added when absent)
    <menu> set [find <key>=<v>] p=v ...   the existing item has these properties
    <menu> remove [find <key>=<v>]        the item does not exist
    p+=member / p-=member                 in a list property (``tagged``): the member is in it / is not

`plan` turns wanted statements and the current items into the commands that send only what differs (an
``add`` with every property, or a ``set`` of the differing ones, or a ``remove``); `restore` gives the
commands that bring touched items back to a snapshot.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from provisioner.errors import InfrastructureError
from provisioner.network.routeros.words import quote, split_words, unquote

KEYS = {
    "/interface bridge": "name",
    "/interface bridge port": "interface",
    "/interface bridge vlan": "vlan-ids",
    "/interface ethernet": "default-name",
    "/interface vlan": "name",
    "/ip address": "interface",
}
"""The property that names an item in each menu this package changes."""
ALWAYS_PRESENT = frozenset({"/interface ethernet"})
"""Menus of hardware: an item absent from the export exists with default properties."""
LISTS = frozenset({"tagged", "untagged"})
DEFAULTS = {"pvid": "1", "disabled": "no"}
"""Default values that differ from empty (an export omits a property at its default)."""
VERBS = ("add", "set", "remove")

Props = Mapping[str, str]
Items = dict[tuple[str, str], dict[str, str]]
"""(menu, key value) -> properties, as the configuration holds them."""


@dataclass(frozen=True)
class Statement:
    """One line of a template or an export: menu, verb, the item's key value and property changes."""

    menu: str
    verb: str
    key: str
    props: tuple[tuple[str, str, str], ...]
    """(property, operator ``=``, ``+=`` or ``-=``, value)."""


def parse_statement(line: str) -> Statement:
    """A template or export line as a Statement; ValueError when it is not one."""
    words = split_words(line.strip())
    at = next((i for i, w in enumerate(words) if w in VERBS), None)
    if at is None or not words[0].startswith("/"):
        raise ValueError(f"not a RouterOS statement: {line!r}")
    menu, verb, rest = " ".join(words[:at]), words[at], words[at + 1:]
    if menu not in KEYS:
        raise ValueError(f"menu {menu!r} is not one this package changes")
    key_name = KEYS[menu]
    key: str | None = None
    props: list[tuple[str, str, str]] = []
    for word in rest:
        if word.startswith("["):
            inner = split_words(word.strip("[] "))
            if len(inner) != 2 or inner[0] != "find" or not inner[1].startswith(key_name + "="):
                raise ValueError(f"{line!r}: an item is found by {key_name}= only")
            key = unquote(inner[1].split("=", 1)[1])
            continue
        name, op, value = _property(word)
        if name == key_name and op == "=":
            key = unquote(value)
        else:
            props.append((name, op, unquote(value)))
    if key is None:
        raise ValueError(f"{line!r}: no {key_name}=")
    return Statement(menu, verb, key, tuple(props))


def _property(word: str) -> tuple[str, str, str]:
    name, sep, value = word.partition("=")
    if not sep:
        raise ValueError(f"not a property: {word!r}")
    if name[-1:] in "+-" and name[:-1]:
        return name[:-1], name[-1] + "=", value
    return name, "=", value


def parse_export(text: str) -> Items:
    """The items of the menus this package changes, from ``/export terse`` (other lines are ignored)."""
    items: Items = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line.startswith("/"):
            continue
        try:
            statement = parse_statement(line)
        except ValueError:
            continue
        items[(statement.menu, statement.key)] = {name: value for name, _op, value in statement.props}
    return items


def _current(items: Items, menu: str, key: str) -> dict[str, str] | None:
    found = items.get((menu, key))
    if found is None and menu in ALWAYS_PRESENT:
        return {}
    return None if found is None else dict(found)


def _value(props: Props, name: str) -> str:
    return props.get(name, DEFAULTS.get(name, ""))


def _members(value: str) -> list[str]:
    return [m for m in value.split(",") if m]


def _apply(props: dict[str, str], changes: Iterable[tuple[str, str, str]]) -> None:
    for name, op, value in changes:
        if op == "=":
            props[name] = value
            continue
        members = _members(_value(props, name))
        if op == "+=" and value not in members:
            members.append(value)
        elif op == "-=" and value in members:
            members.remove(value)
        props[name] = ",".join(members)


def _normal(props: Props) -> dict[str, str]:
    """Properties without those at their default, list members in a stable order."""
    out = {}
    for name, value in props.items():
        value = ",".join(sorted(_members(value))) if name in LISTS else value
        if value != DEFAULTS.get(name, ""):
            out[name] = value
    return out


def wanted_items(switch: str, statements: Sequence[Statement],
                 items: Items) -> dict[tuple[str, str], dict[str, str] | None]:
    """The touched items once every statement holds (None: absent), starting from `items`."""
    wanted: dict[tuple[str, str], dict[str, str] | None] = {}
    for st in statements:
        ident = (st.menu, st.key)
        props = wanted[ident] if ident in wanted else _current(items, st.menu, st.key)
        if st.verb == "remove":
            wanted[ident] = None
            continue
        if props is None:
            if st.verb == "set" and all(op == "-=" for _n, op, _v in st.props):
                wanted[ident] = None  # nothing to take a member out of
                continue
            if st.verb == "set":
                raise InfrastructureError(f"{switch}: {st.menu} has no item {KEYS[st.menu]}={st.key} to set")
            props = {}
        _apply(props, st.props)
        wanted[ident] = props
    return wanted


def touched(statements: Sequence[Statement]) -> list[tuple[str, str]]:
    """The items the statements touch, in the order first touched."""
    return list(dict.fromkeys((st.menu, st.key) for st in statements))


def scope(ident: tuple[str, str]) -> str:
    menu, key = ident
    return f"{menu} {KEYS[menu]}={key}"


def export_line(ident: tuple[str, str], props: Props) -> str:
    """How ``/export terse`` writes an item: properties in name order, ``set [ find ... ]`` for hardware."""
    menu, key = ident
    if menu in ALWAYS_PRESENT:
        words = " ".join(f"{name}={quote(value)}" for name, value in sorted(_normal(props).items()))
        return f"{menu} set [ find {KEYS[menu]}={quote(key)} ] {words}".rstrip()
    named = {**_normal(props), KEYS[menu]: key}
    return f"{menu} add " + " ".join(f"{name}={quote(value)}" for name, value in sorted(named.items()))


def commands(idents: Sequence[tuple[str, str]], before: Items,
             after: Mapping[tuple[str, str], Props | None]) -> list[str]:
    """Commands that take each item from `before` to `after` (None: no such item)."""
    out: list[str] = []
    for ident in idents:
        menu, key = ident
        have = _current(before, menu, key)
        want = after.get(ident)
        find = f"[find {KEYS[menu]}={quote(key)}]"
        if want is None:
            if have is not None and menu not in ALWAYS_PRESENT:
                out.append(f"{menu} remove {find}")
            continue
        target = _normal(want)
        if have is None:
            words = " ".join(f"{n}={quote(v)}" for n, v in target.items())
            out.append(f"{menu} add {KEYS[menu]}={quote(key)} {words}".rstrip())
            continue
        now = _normal(have)
        names = [n for n in (*target, *(n for n in now if n not in target)) if target.get(n) != now.get(n)]
        if names:
            words = " ".join(f"{n}={quote(target.get(n, DEFAULTS.get(n, '')))}" for n in names)
            out.append(f"{menu} set {find} {words}")
    return out


def plan(switch: str, statements: Sequence[Statement],
         items: Items) -> tuple[list[str], dict[str, tuple[str, ...] | None]]:
    """Commands sending only what differs, and the snapshot of every touched item (None: absent)."""
    idents = touched(statements)
    lines = commands(idents, items, wanted_items(switch, statements, items))
    kept: dict[str, tuple[str, ...] | None] = {}
    for ident in idents:
        have = _current(items, *ident)
        kept[scope(ident)] = None if have is None else (export_line(ident, have),)
    return lines, kept


def restore(kept: Mapping[str, tuple[str, ...] | None], items: Items) -> list[str]:
    """Commands that bring every kept item back to its snapshot, last touched first."""
    idents: list[tuple[str, str]] = []
    target: dict[tuple[str, str], Props | None] = {}
    for text, lines in reversed(list(kept.items())):
        menu, _, key = text.rpartition(" ")
        ident = (menu, key.split("=", 1)[1])
        idents.append(ident)
        target[ident] = None if lines is None else parse_export(lines[0]).get(ident, {})
    return commands(idents, items, target)
