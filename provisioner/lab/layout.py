"""The lab's fixed names and addresses, and where its state lives."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

BRIDGE = "colo-lab"
NETNS_PREFIX = "colo-lab-"
ROUTER_NS = "colo-lab-router"
NOC_NS = "colo-lab-noc"
LAB_SUPERNET = "10.231.0.0/16"
MGMT_IFACE = "clab-mgmt"
MGMT_ROOT_ADDRESS = "10.231.254.1/30"
MGMT_ROUTER_ADDRESS = "10.231.254.2/30"
NOC_ROUTER_ADDRESS = "10.231.253.1/30"
NOC_ADDRESS = "10.231.253.2/30"
PROMETHEUS_URL = "http://10.231.253.2:9090"
STAGING_VLAN = 999
STAGING_GATEWAY = "10.231.250.1"
STAGING_SVI = f"{STAGING_GATEWAY}/24"
SWITCH_NAME = "sw-lab-01"
SWITCH_HOST = "127.0.0.1"
SWITCH_SSH_PORT = 2201
TSA_PORT = 3180
"""The lab's RFC 3161 time-stamping authority on 127.0.0.1 (the lab site's ``organisation.signing.tsa``)."""
SWITCH_CREDENTIALS = "sw-lab"
SWITCH_PLATFORM = "cisco_ios"
SWITCH_PORTS = tuple(f"GigabitEthernet1/0/{n}" for n in range(1, 25))
UPLINK_PORTS = tuple(f"GigabitEthernet1/1/{n}" for n in range(1, 5))
TRUNK_PORT = UPLINK_PORTS[0]
"""Each lab switch's end of the trunk between them."""
DEFAULT_HOSTS = 3
MAX_HOSTS = 8


@dataclass(frozen=True)
class SwitchSlot:
    """A lab switch: its simulator (SSH port, login, state folder) and the Open vSwitch bridge it drives."""

    name: str
    ssh_port: int
    credentials: str
    bridge: str
    layer3: bool
    trunk_patch: str
    """Its end of the trunk: an OVS patch port on its bridge, whose peer is the other switch's."""
    state: str
    """Its folder under the lab's state folder (also the name of its pid and log files)."""

    host: str = SWITCH_HOST
    platform: str = SWITCH_PLATFORM
    server_ports: tuple[str, ...] = SWITCH_PORTS
    trunk_port: str = TRUNK_PORT
    """Its end of the trunk, as the switch names it."""

    @property
    def simulator(self) -> str:
        """The module that runs its simulator (``python3 -m``), by platform."""
        return SIMULATORS[self.platform]


SIMULATORS = {"cisco_ios": "provisioner.lab.switch_sim",
              "mikrotik_routeros": "provisioner.lab.switch_sim.routeros"}


LAB_SWITCHES = (
    SwitchSlot(SWITCH_NAME, SWITCH_SSH_PORT, SWITCH_CREDENTIALS, BRIDGE, True, "clab-trunk1", "switch"),
    SwitchSlot("sw-lab-02", 2202, "sw-lab-02", "colo-lab-02", False, "clab-trunk2", "switch-02",
               platform="mikrotik_routeros", server_ports=tuple(f"ether{n}" for n in range(1, 25)),
               trunk_port="sfp-sfpplus1"),
)


def switch_slot(name: str) -> SwitchSlot:
    """The lab switch `name`, or ValueError."""
    for slot in LAB_SWITCHES:
        if slot.name == name:
            return slot
    raise ValueError(f"no lab switch named {name!r} ({', '.join(s.name for s in LAB_SWITCHES)})")


def trunk_peer(slot: SwitchSlot) -> SwitchSlot:
    """The switch at the other end of `slot`'s trunk."""
    return next(s for s in LAB_SWITCHES if s != slot)


def state_dir() -> Path:
    """The lab's state folder: $COLO_LAB_DIR, else /var/lib/colo-lab."""
    return Path(os.environ.get("COLO_LAB_DIR") or "/var/lib/colo-lab")


@dataclass(frozen=True)
class HostSlot:
    """The fixed identity of lab server number `index` (1-based)."""

    index: int

    @property
    def name(self) -> str:
        return f"lab-srv{self.index}"

    @property
    def netns(self) -> str:
        return f"{NETNS_PREFIX}srv{self.index}"

    @property
    def ovs_port(self) -> str:
        """The root-side end of the host's cable, an OVS port."""
        return f"clab-srv{self.index}"

    @property
    def staging_address(self) -> str:
        return f"10.231.250.{10 + self.index}"

    @property
    def default_switch_port(self) -> str:
        return SWITCH_PORTS[self.index - 1]


def host_slots(count: int) -> list[HostSlot]:
    """Slots 1..count."""
    return [HostSlot(n) for n in range(1, count + 1)]


def slot_named(name: str) -> HostSlot:
    """The slot of host `name` (lab-srvN), or ValueError."""
    prefix = "lab-srv"
    if name.startswith(prefix) and name[len(prefix):].isdigit():
        index = int(name[len(prefix):])
        if 1 <= index <= MAX_HOSTS:
            return HostSlot(index)
    raise ValueError(f"no lab host named {name!r} (lab-srv1..lab-srv{MAX_HOSTS})")


def svi_iface(vlan: int) -> str:
    """The OVS internal port that is the router's interface in `vlan`."""
    return f"clab-vl{vlan}"
