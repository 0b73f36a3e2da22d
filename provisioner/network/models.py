"""What a switch change is asked to achieve: validated intents, and the switch they are for.

Every value that reaches a switch passes through these models first. Names, descriptions and port names
are restricted to characters that cannot start a new command, a comment, a pipe or a help request on any
supported platform (no whitespace, control characters, quotes, ``?``, ``|``, ``!``, ``#`` or ``;``).
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal, Protocol

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

VlanId = Annotated[int, Field(strict=True, ge=1, le=4094)]
VlanName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")]
"""1..32 characters: letters, digits, ``_ . -``."""
Description = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:/@-]{0,79}$")]
"""1..80 characters: letters, digits, ``_ . : / @ -`` (e.g. ``disdik:simpeg:REQ-2026-0001``)."""
PortName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z-]{0,30}[0-9]+(?:[/:.][0-9]+){0,3}$")]
"""An interface name such as ``GigabitEthernet1/0/5``, ``Ethernet5``, ``ge-0/0/5``, ``ether5``, ``A5``."""


def _unicast_host(value: ipaddress.IPv4Address) -> ipaddress.IPv4Address:
    if value.is_multicast or value.is_unspecified or value.is_loopback:
        raise ValueError("must be a unicast host address")
    return value


class _Intent(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class VlanIntent(_Intent):
    """The VLAN exists with this name."""

    kind: Literal["vlan"] = "vlan"
    vlan_id: VlanId
    name: VlanName


class SviIntent(_Intent):
    """The layer-3 switch has an interface in the VLAN holding the gateway address."""

    kind: Literal["svi"] = "svi"
    vlan_id: VlanId
    gateway: Annotated[ipaddress.IPv4Address, AfterValidator(_unicast_host)]
    prefix_len: Annotated[int, Field(strict=True, ge=8, le=30)]

    @property
    def netmask(self) -> str:
        return str(ipaddress.IPv4Network(f"0.0.0.0/{self.prefix_len}").netmask)


class AccessPortIntent(_Intent):
    """The port is an enabled access port in the VLAN, carrying the description."""

    kind: Literal["access"] = "access"
    port: PortName
    vlan_id: VlanId
    description: Description


class StagingPortIntent(_Intent):
    """The port is an enabled access port in the staging VLAN, without a description."""

    kind: Literal["staging"] = "staging"
    port: PortName
    staging_vlan: VlanId


class ResetPortIntent(_Intent):
    """The port is shut, without a description or VLAN of its own."""

    kind: Literal["reset"] = "reset"
    port: PortName


class RemoveSviIntent(_Intent):
    """The layer-3 switch has no interface in the VLAN (its agency has no server left)."""

    kind: Literal["remove_svi"] = "remove_svi"
    vlan_id: VlanId


class RemoveVlanIntent(_Intent):
    """The VLAN does not exist (no port or interface uses it any more)."""

    kind: Literal["remove_vlan"] = "remove_vlan"
    vlan_id: VlanId


class TrunkVlanIntent(_Intent):
    """The trunk port carries the VLAN tagged (the VLAN is in the port's allowed list)."""

    kind: Literal["trunk_vlan"] = "trunk_vlan"
    port: PortName
    vlan_id: VlanId


class RemoveTrunkVlanIntent(_Intent):
    """The trunk port no longer carries the VLAN (nothing beyond it uses the VLAN any more)."""

    kind: Literal["remove_trunk_vlan"] = "remove_trunk_vlan"
    port: PortName
    vlan_id: VlanId


SwitchIntent = (
    VlanIntent | SviIntent | AccessPortIntent | StagingPortIntent | ResetPortIntent | RemoveSviIntent
    | RemoveVlanIntent | TrunkVlanIntent | RemoveTrunkVlanIntent
)


class SwitchTarget(Protocol):
    """The facility's switch entry as this package needs it (``provisioner.facility.Switch`` fits)."""

    @property
    def name(self) -> str: ...

    @property
    def platform(self) -> str: ...

    @property
    def host(self) -> str: ...

    @property
    def port(self) -> int: ...

    @property
    def credentials(self) -> str: ...
