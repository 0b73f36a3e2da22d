"""The menus the simulator knows: their properties, defaults, value checks and how they print and export."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass

from provisioner.lab.switch_sim.routeros.model import Config


class CommandError(Exception):
    """A line RouterOS refuses; the message is RouterOS's answer."""


def _vlan(value: str, prop: str, _config: Config) -> str:
    if not value.isdigit():
        raise CommandError(f"invalid value for argument {prop}")
    if not 1 <= int(value) <= 4094:
        raise CommandError(f"value of {prop} out of range (1..4094)")
    return str(int(value))


def _vlans(value: str, prop: str, config: Config) -> str:
    parts = value.split(",")
    for part in parts:
        for bound in part.split("-", 1):
            _vlan(bound, prop, config)
    return value


def _yesno(value: str, prop: str, _config: Config) -> str:
    if value not in ("yes", "no", "true", "false"):
        raise CommandError(f"input does not match any value of {prop}")
    return "yes" if value in ("yes", "true") else "no"


def _interface(value: str, prop: str, config: Config) -> str:
    if value not in config.interfaces():
        raise CommandError(f"input does not match any value of {prop}")
    return value


def _interfaces(value: str, prop: str, config: Config) -> str:
    members = [m for m in value.split(",") if m]
    for member in members:
        _interface(member, prop, config)
    return ",".join(dict.fromkeys(members))


def _bridge(value: str, prop: str, config: Config) -> str:
    if value not in [i.props["name"] for i in config.items("/interface bridge")]:
        raise CommandError(f"input does not match any value of {prop}")
    return value


def _address(value: str, prop: str, _config: Config) -> str:
    try:
        interface = ipaddress.IPv4Interface(value)
    except ValueError:
        raise CommandError(f"invalid value for argument {prop}") from None
    return str(interface) if "/" in value else f"{interface.ip}/32"


def _text(value: str, _prop: str, _config: Config) -> str:
    return value


def _name(value: str, prop: str, _config: Config) -> str:
    if not value or len(value) > 64:
        raise CommandError(f"invalid value for argument {prop}")
    return value


Check = Callable[[str, str, Config], str]


@dataclass(frozen=True)
class Prop:
    name: str
    check: Check = _text
    default: str = ""
    required: bool = False
    settable: bool = True


@dataclass(frozen=True)
class Menu:
    """One menu: its properties (in print order), which print as columns, and whether items can be added."""

    path: str
    props: tuple[Prop, ...]
    columns: tuple[str, ...]
    addable: bool = True
    export_key: str | None = None
    """For hardware menus: items are exported as ``set [ find <key>=<v> ]``, not ``add``."""
    unique: tuple[str, str] | None = None
    """(property, the failure RouterOS answers when an added item repeats its value)."""

    def prop(self, name: str) -> Prop | None:
        return next((p for p in self.props if p.name == name), None)

    def value(self, props: dict[str, str], name: str) -> str:
        prop = self.prop(name)
        return props.get(name, prop.default if prop else "")


IN_BRIDGE = "failure: device already added as bridge port"
SAME_NAME = "failure: already have interface with such name"
COMMON = (Prop("comment"), Prop("disabled", _yesno, "no"))
MENUS = {menu.path: menu for menu in (
    Menu("/interface ethernet", (Prop("name", _name), Prop("default-name", settable=False),
                                 Prop("mtu", default="1500"), *COMMON),
         ("name", "mtu"), addable=False, export_key="default-name"),
    Menu("/interface bridge", (Prop("name", _name, required=True), Prop("vlan-filtering", _yesno, "no"),
                               *COMMON),
         ("name", "vlan-filtering"), unique=("name", SAME_NAME)),
    Menu("/interface bridge port", (Prop("interface", _interface, required=True),
                                    Prop("bridge", _bridge, required=True), Prop("pvid", _vlan, "1"),
                                    Prop("frame-types", default="admit-all"), *COMMON),
         ("interface", "bridge", "pvid"), unique=("interface", IN_BRIDGE)),
    Menu("/interface bridge vlan", (Prop("bridge", _bridge, required=True),
                                    Prop("vlan-ids", _vlans, required=True), Prop("tagged", _interfaces),
                                    Prop("untagged", _interfaces), *COMMON),
         ("bridge", "vlan-ids", "tagged", "untagged"), unique=("vlan-ids", "failure: vlan already added")),
    Menu("/interface vlan", (Prop("name", _name, required=True), Prop("interface", _interface, required=True),
                             Prop("vlan-id", _vlan, required=True), Prop("mtu", default="1500"), *COMMON),
         ("name", "mtu", "vlan-id", "interface"), unique=("name", SAME_NAME)),
    Menu("/ip address", (Prop("address", _address, required=True), Prop("network", settable=False),
                         Prop("interface", _interface, required=True), *COMMON),
         ("address", "network", "interface"), unique=("address", "failure: already have such address")),
    Menu("/system identity", (Prop("name", _name),), ("name",), addable=False),
)}
SUBMENUS = {"": ("interface", "ip", "system"), "/interface": ("bridge", "ethernet", "vlan"),
            "/interface bridge": ("port", "vlan"), "/ip": ("address",), "/system": ("identity",)}
"""The menu tree above the item menus (a menu with items may have sub-menus too, as ``/interface bridge``)."""


def derived(menu: Menu, props: dict[str, str]) -> None:
    """Fill read-only properties the device computes (the network of an address)."""
    if menu.path == "/ip address":
        props["network"] = str(ipaddress.IPv4Interface(props["address"]).network.network_address)
