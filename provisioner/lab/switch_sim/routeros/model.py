"""The switch's configuration: the items of each menu, their factory state, and where they are kept.

RouterOS keeps every change on its own storage as it is made; so does this model (``routeros.json`` in the
state directory, written after every change). Items are kept per menu in the order added, with an internal
id (``*1``, ``*2``...) that ``find`` returns; ``print`` numbers them 0, 1, ... in that order.
"""

from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

MODEL = "CRS326-24G-2S+"
VERSION = "7.16.1"
ETHERNET = (*(f"ether{n}" for n in range(1, 25)), "sfp-sfpplus1", "sfp-sfpplus2")
TRUNK_PORT = "sfp-sfpplus1"
STAGING_VLAN = 999
BRIDGE = "bridge1"


@dataclass
class Item:
    """One entry of a menu: its internal id and its properties (as text, as RouterOS shows them)."""

    id: int
    props: dict[str, str]


@dataclass
class Config:
    """Every menu's items, and the next internal id."""

    menus: dict[str, list[Item]] = field(default_factory=dict)
    next_id: int = 1

    def items(self, menu: str) -> list[Item]:
        return self.menus.setdefault(menu, [])

    def add(self, menu: str, props: dict[str, str]) -> Item:
        item = Item(self.next_id, props)
        self.next_id += 1
        self.items(menu).append(item)
        return item

    def copy(self) -> Config:
        return copy.deepcopy(self)

    def interfaces(self) -> list[str]:
        """Every interface name (ethernet, bridge, VLAN interface)."""
        return [i.props["name"] for menu in ("/interface ethernet", "/interface bridge", "/interface vlan")
                for i in self.items(menu)]

    def identity(self) -> str:
        return self.items("/system identity")[0].props["name"]


def factory(name: str, layer3: bool) -> Config:
    """A lab CRS3xx: bridge1 with VLAN filtering, every port in it; ether1-24 untagged in the staging VLAN,
    sfp-sfpplus1 the trunk (the staging VLAN tagged on it, and on the bridge itself on a layer-3 switch)."""
    config = Config()
    config.add("/system identity", {"name": name})
    for port in ETHERNET:
        config.add("/interface ethernet", {"name": port, "default-name": port})
    config.add("/interface bridge", {"name": BRIDGE, "vlan-filtering": "yes"})
    for port in ETHERNET[:24]:
        config.add("/interface bridge port", {"bridge": BRIDGE, "interface": port, "pvid": str(STAGING_VLAN)})
    config.add("/interface bridge port", {"bridge": BRIDGE, "interface": TRUNK_PORT})
    tagged = f"{BRIDGE},{TRUNK_PORT}" if layer3 else TRUNK_PORT
    config.add("/interface bridge vlan", {"bridge": BRIDGE, "tagged": tagged, "vlan-ids": str(STAGING_VLAN)})
    return config


def load(path: Path) -> Config | None:
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    menus = {menu: [Item(i["id"], i["props"]) for i in items] for menu, items in data["menus"].items()}
    return Config(menus, data["next_id"])


def save(config: Config, path: Path) -> None:
    """Write the configuration atomically."""
    menus = {m: [{"id": i.id, "props": i.props} for i in items] for m, items in config.menus.items()}
    data = {"next_id": config.next_id, "menus": menus}
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data, indent=1))
    os.replace(temporary, path)
