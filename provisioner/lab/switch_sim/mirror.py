"""Forwarding the switch's port and SVI state to a `Fabric`, and the fabrics the command can drive."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from fake_switches.switch_configuration import Port, SwitchConfiguration

from provisioner.lab.fabric import Fabric

log = logging.getLogger("colo.switch_sim")


@dataclass(frozen=True)
class PortView:
    """What a physical port's configuration means for the data plane."""

    trunk: bool
    access_vlan: int
    native_vlan: int | None
    allowed_vlans: tuple[int, ...]
    """What a trunk carries: its allowed VLANs that the switch has."""
    shutdown: bool


class ViewMirror:
    """Forwards to a `Fabric` the difference between what a switch's state means for the data plane (its
    VLANs, each port's view, each routed SVI) and what the fabric was last told. Shared by the simulators."""

    def __init__(self, fabric: Fabric) -> None:
        self.fabric = fabric
        self.ports: dict[str, PortView] = {}
        self.svis: dict[int, str] = {}
        self.vlans: list[int] | None = None

    def forward(self, vlans: list[int], ports: dict[str, PortView], svis: dict[int, str]) -> None:
        if vlans != self.vlans:
            self._call("set_vlans", vlans)
            self.vlans = vlans
        for name, view in ports.items():
            self._sync_port(name, view)
        for vlan, address in sorted(self.svis.items()):
            if svis.get(vlan) != address:
                self._call("remove_svi", vlan)
                del self.svis[vlan]
        for vlan, address in sorted(svis.items()):
            if vlan not in self.svis:
                self._call("add_svi", vlan, address)
                self.svis[vlan] = address

    def _sync_port(self, name: str, view: PortView) -> None:
        old = self.ports.get(name)
        if old is None or (old.trunk, old.access_vlan, old.native_vlan, old.allowed_vlans) != (
            view.trunk, view.access_vlan, view.native_vlan, view.allowed_vlans
        ):
            if view.trunk:
                self._call("set_trunk", name, view.native_vlan, list(view.allowed_vlans))
            else:
                self._call("set_access_vlan", name, view.access_vlan)
        if old is None or old.shutdown != view.shutdown:
            self._call("set_shutdown", name, view.shutdown)
        self.ports[name] = view

    def _call(self, method: str, *args: object) -> None:
        try:
            getattr(self.fabric, method)(*args)
        except Exception:
            log.exception("fabric %s%r failed", method, args)


class FabricMirror(ViewMirror):
    """The IOS simulator's state as views. As on a real switch, a trunk carries only the allowed VLANs that
    the switch has, and an SVI routes only while its VLAN exists: a VLAN missing on a switch cuts off what
    lies behind it."""

    def __init__(self, config: SwitchConfiguration, fabric: Fabric) -> None:
        super().__init__(fabric)
        self.config = config

    def sync(self) -> None:
        vlans = sorted(v.number for v in self.config.vlans)
        ports = {port.name: self._view(port, vlans) for port in self.config.get_physical_ports()}
        svis = {
            p.vlan_id: f"{p.ips[0].ip}/{p.ips[0].prefixlen}"
            for p in self.config.get_vlan_ports() if p.ips and not p.shutdown and p.vlan_id in vlans
        }
        self.forward(vlans, ports, svis)

    @staticmethod
    def _view(port: Port, vlans: list[int]) -> PortView:
        allowed = vlans if port.trunk_vlans is None else [v for v in vlans if v in port.trunk_vlans]
        return PortView(
            trunk=port.mode == "trunk",
            access_vlan=port.access_vlan or 1,
            native_vlan=port.trunk_native_vlan,
            allowed_vlans=tuple(allowed),
            shutdown=bool(port.shutdown),
        )


class RecordingFabric:
    """``--fabric none``: keeps and logs every call, touches nothing."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[object, ...]]] = []

    def _record(self, method: str, *args: object) -> None:
        self.calls.append((method, args))
        log.info("fabric %s%r", method, args)

    def set_access_vlan(self, port: str, vlan: int) -> None:
        self._record("set_access_vlan", port, vlan)

    def set_trunk(self, port: str, native_vlan: int | None, allowed_vlans: list[int] | None) -> None:
        self._record("set_trunk", port, native_vlan, allowed_vlans)

    def set_shutdown(self, port: str, down: bool) -> None:
        self._record("set_shutdown", port, down)

    def set_vlans(self, vlans: list[int]) -> None:
        self._record("set_vlans", vlans)

    def add_svi(self, vlan: int, address_with_prefix: str) -> None:
        self._record("add_svi", vlan, address_with_prefix)

    def remove_svi(self, vlan: int) -> None:
        self._record("remove_svi", vlan)


def load_fabric(kind: str, switch: str) -> Fabric:
    """``none``: a recording fabric; ``ovs``: lab switch `switch`'s OVS fabric (imported only then)."""
    if kind == "none":
        return RecordingFabric()
    from provisioner.lab.layout import switch_slot
    from provisioner.lab.ovs import OvsFabric

    try:
        return OvsFabric(switch=switch_slot(switch))
    except ValueError as exc:
        raise SystemExit(f"--fabric ovs: {exc}") from None
