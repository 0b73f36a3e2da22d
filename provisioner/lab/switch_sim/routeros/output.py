"""What ``print``, ``print detail``, ``export`` and ``export terse`` write, in RouterOS v7's layout."""

from __future__ import annotations

import time

from provisioner.lab.switch_sim.routeros.menus import MENUS, Menu
from provisioner.lab.switch_sim.routeros.model import MODEL, VERSION, Config, Item
from provisioner.network.routeros.words import quote

EXPORT_ORDER = ("/interface bridge", "/interface ethernet", "/interface vlan", "/interface bridge port",
                "/interface bridge vlan", "/ip address", "/system identity")
WIDTH = 80


def _flags(menu: Menu, item: Item) -> str:
    return "X" if menu.value(item.props, "disabled") == "yes" else " "


def print_table(menu: Menu, items: list[Item]) -> list[str]:
    """``print``: the flags legend, the columns, then one row per item (its comment above it as ``;;;``)."""
    rows = [[str(n), _flags(menu, i), *(menu.value(i.props, c) for c in menu.columns)]
            for n, i in enumerate(items)]
    head = ["#", "", *(c.upper() for c in menu.columns)]
    widths = [max(len(r[k]) for r in [head, *rows]) for k in range(len(head))]
    out = ["Flags: X - DISABLED", "Columns: " + ", ".join(c.upper() for c in menu.columns)]
    out.append("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)).rstrip())
    for item, row in zip(items, rows, strict=True):
        if item.props.get("comment"):
            out.append(f";;; {item.props['comment']}")
        out.append("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    return out


def print_detail(menu: Menu, items: list[Item]) -> list[str]:
    """``print detail``: per item its number and flags, the comment, then every property as name=value."""
    out = ["Flags: X - disabled"]
    for number, item in enumerate(items):
        comment = f";;; {item.props['comment']}" if item.props.get("comment") else ""
        words = " ".join(f"{p.name}={quote(menu.value(item.props, p.name))}" for p in menu.props
                         if p.name not in ("comment", "disabled"))
        if comment:
            out += [f"{number:>2} {_flags(menu, item)} {comment}", f"      {words}"]
        else:
            out.append(f"{number:>2} {_flags(menu, item)}  {words}")
        out.append("")
    return out


def _words(menu: Menu, item: Item) -> list[str]:
    skip = {menu.export_key, "name"} if menu.export_key else set()
    props = {p.name: item.props[p.name] for p in menu.props
             if p.name in item.props and p.name not in skip and item.props[p.name] != p.default}
    if menu.export_key and item.props.get("name") != item.props.get(menu.export_key):
        props["name"] = item.props["name"]
    return [f"{name}={quote(value)}" for name, value in sorted(props.items())]


def _entries(menu: Menu, items: list[Item]) -> list[str]:
    lines = []
    for item in items:
        words = _words(menu, item)
        if menu.export_key:
            if words:
                key = f"{menu.export_key}={item.props[menu.export_key]}"
                lines.append(f"set [ find {key} ] " + " ".join(words))
        elif not menu.addable:
            lines.append("set " + " ".join(words))
        else:
            lines.append("add " + " ".join(words))
    return lines


def _wrap(line: str) -> list[str]:
    """An export line longer than 80 columns, broken at spaces with ``\\`` and continued indented."""
    out, current = [], line
    while len(current) > WIDTH:
        cut = current.rfind(" ", 0, WIDTH - 1)
        if cut <= 4:
            break
        out.append(current[:cut] + " \\")
        current = "    " + current[cut + 1:]
    return [*out, current]


def export(config: Config, menus: tuple[str, ...], terse: bool) -> list[str]:
    """``export``: the header, then each menu's items that differ from the defaults; terse: one line each."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    out = [f"# {stamp} by RouterOS {VERSION}", "# software id = LAB0-ROS7", "#", f"# model = {MODEL}",
           "# serial number = HG9LAB00002"]
    for path in EXPORT_ORDER:
        if not any(path == m or path.startswith(m + " ") for m in menus):
            continue
        entries = _entries(MENUS[path], config.items(path))
        if not entries:
            continue
        if terse:
            out += [f"{path} {entry}" for entry in entries]
        else:
            out.append(path)
            for entry in entries:
                out += _wrap(entry)
    return out
