"""The lab's data plane: what the simulated switch's port and SVI state does to real packets.

The switch simulator calls a `Fabric` whenever its configuration changes a port or an SVI; the lab's
implementation mirrors each change onto Open vSwitch and the router namespace.
"""

from __future__ import annotations

from typing import Protocol


class Fabric(Protocol):
    """Receives the switch simulator's port and SVI changes."""

    def set_access_vlan(self, port: str, vlan: int) -> None:
        """Put switch port `port` (e.g. GigabitEthernet1/0/3) in access mode on `vlan`."""

    def set_trunk(self, port: str, native_vlan: int | None, allowed_vlans: list[int] | None) -> None:
        """Put `port` in trunk mode; None for allowed means all VLANs."""

    def set_shutdown(self, port: str, down: bool) -> None:
        """Administratively shut (`down=True`) or enable the port."""

    def set_vlans(self, vlans: list[int]) -> None:
        """The VLANs the switch has (a trunk carries only those of its allowed VLANs)."""

    def add_svi(self, vlan: int, address_with_prefix: str) -> None:
        """Give the router an interface in `vlan` holding `address_with_prefix` (e.g. 10.231.0.1/27)."""

    def remove_svi(self, vlan: int) -> None:
        """Remove the router's interface in `vlan`, if any."""
