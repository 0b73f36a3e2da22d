"""The switch state with strict interface names, its running configuration and the saved startup one."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from fake_switches.cisco.command_processor.enabled import (
    build_running_interface,
    build_running_vlan,
    build_static_routes,
)
from fake_switches.switch_configuration import Port, SwitchConfiguration

STAGING_VLAN = 999
STAGING_SVI = ("10.231.250.1", "255.255.255.0")
SERVER_PORT_COUNT = 24
UPLINK_COUNT = 4
UPLINK_PREFIX = "GigabitEthernet1/1/"



class SimSwitchConfiguration(SwitchConfiguration):  # type: ignore[misc]
    """The switch state, with strict interface names and a place to save the startup configuration."""

    def __init__(self, name: str, ports: list[Port], enable: str, state_dir: Path, layer3: bool) -> None:
        super().__init__("127.0.0.1", name=name, privileged_passwords=[enable], ports=ports)
        self.state_dir = state_dir
        self.layer3 = layer3

    def get_port_by_partial_name(self, name: str) -> Port | None:
        """``gi1/0/3``, ``GigabitEthernet1/0/3``, ``Vlan 999``: a type prefix and the exact number."""
        match = re.fullmatch(r"([A-Za-z-]+)\s*(\d[\d/.]*)", name.strip())
        if match is None:
            return None
        kind, number = match.group(1).lower(), match.group(2)
        for port in self.ports:
            port_kind, port_number = re.fullmatch(r"([A-Za-z-]+)(.*)", port.name).groups()  # type: ignore[union-attr]
            if port_number == number and port_kind.lower().startswith(kind):
                return port
        return None


def running_config(config: SwitchConfiguration) -> str:
    """The running configuration as IOS prints it (VLANs in order, then ports, then SVIs)."""
    lines = ["!", "version 12.2", "!", f"hostname {config.name}", "!"]
    for vlan in sorted(config.vlans, key=lambda v: v.number):
        lines += [*build_running_vlan(vlan), "!"]
    for port in config.get_physical_ports() + sorted(config.get_vlan_ports(), key=lambda p: p.vlan_id):
        lines += [*build_running_interface(port), "!"]
    for route in config.static_routes:
        lines.append(build_static_routes(route))
    return "\n".join([*lines, "end", ""])


def startup_path(config: SwitchConfiguration) -> Path:
    return Path(config.state_dir) / "startup-config"


def save_startup(config: SwitchConfiguration) -> None:
    """Write the running configuration to the startup-config file atomically."""
    path = startup_path(config)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(running_config(config))
    os.replace(temporary, path)


def default_config_lines(ports: Iterable[str], layer3: bool) -> list[str]:
    """The factory state of a lab switch: every server port an access port in the staging VLAN, every uplink
    a trunk carrying the staging VLAN, and on a layer-3 switch the staging VLAN's SVI."""
    lines = [f"vlan {STAGING_VLAN}", " name STAGING"]
    for port in ports:
        lines.append(f"interface {port}")
        if port.startswith(UPLINK_PREFIX):
            lines += [f" switchport trunk allowed vlan {STAGING_VLAN}", " switchport mode trunk"]
        else:
            lines += [f" switchport access vlan {STAGING_VLAN}", " switchport mode access"]
    if layer3:
        lines += [f"interface Vlan{STAGING_VLAN}", " ip address {} {}".format(*STAGING_SVI)]
    return [*lines, "end"]
