"""The lab's data plane on Open vSwitch: the switches' port and SVI settings made real.

Each lab switch drives its own bridge; the two bridges are joined by a patch port pair, the trunk. `OvsFabric`
implements `provisioner.lab.fabric.Fabric` for one switch. Each port's setting is recorded in the lab's
fabric state and applied to the OVS port of the host cabled to it (the trunk port's to the patch port); on
the layer-3 switch an SVI is an OVS internal port tagged with its VLAN, moved into the router namespace and
holding the SVI's address.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from provisioner.errors import BadInput, InfrastructureError
from provisioner.lab.layout import (
    BRIDGE,
    LAB_SWITCHES,
    ROUTER_NS,
    SwitchSlot,
    slot_named,
    state_dir,
    svi_iface,
    trunk_peer,
)
from provisioner.lab.sh import run, succeeds
from provisioner.lab.state import Cable, FabricState, PortState, changing_state, read_state

log = logging.getLogger("colo.lab.ovs")

OVS_CTL = "/usr/share/openvswitch/scripts/ovs-ctl"


def ovs_running() -> bool:
    """Whether ovsdb-server and ovs-vswitchd answer."""
    return succeeds(["ovs-vsctl", "--timeout=2", "show"]) and succeeds(
        ["ovs-appctl", "--timeout=2", "version"]
    )


def installed() -> bool:
    return Path(OVS_CTL).exists()


def ensure_ovs() -> bool:
    """Start Open vSwitch (no systemd needed) unless it runs; True if this call started it."""
    if ovs_running():
        return False
    run([OVS_CTL, "start", "--system-id=random"])
    return True


def stop_ovs() -> None:
    """Stop the Open vSwitch daemons."""
    run([OVS_CTL, "stop"], check=False)


def ensure_bridges() -> None:
    """Each lab switch's bridge on the userspace datapath (the kernel datapath does not exist here), and the
    trunk between them: a patch port on each bridge, the other's its peer."""
    for switch in LAB_SWITCHES:
        bridge = switch.bridge
        run(["ovs-vsctl", "--may-exist", "add-br", bridge, "--", "set", "bridge", bridge,
             "datapath_type=netdev"])
        check_interface(bridge)
    for switch in LAB_SWITCHES:
        peer = trunk_peer(switch).trunk_patch
        run(["ovs-vsctl", "--may-exist", "add-port", switch.bridge, switch.trunk_patch,
             "--", "set", "interface", switch.trunk_patch, "type=patch", f"options:peer={peer}"])


def remove_bridges() -> None:
    """Delete every lab bridge (their ports go with them)."""
    for switch in LAB_SWITCHES:
        run(["ovs-vsctl", "--if-exists", "del-br", switch.bridge])


def check_interface(name: str) -> None:
    """Raise if OVS reports an error on interface `name` (add-port succeeds even when the port is dead)."""
    error = run(["ovs-vsctl", "get", "interface", name, "error"]).stdout.strip()
    if error not in ("[]", '""'):
        raise InfrastructureError(f"Open vSwitch interface {name}: {error}")


def bridge_ports(bridge: str = BRIDGE) -> set[str]:
    """Ports on a lab bridge (empty if the bridge does not exist)."""
    proc = run(["ovs-vsctl", "--timeout=2", "list-ports", bridge], check=False)
    return set(proc.stdout.split()) if proc.returncode == 0 else set()


def _port_columns(ps: PortState) -> list[str]:
    if ps.mode == "access":
        return ["vlan_mode=access", f"tag={ps.vlan}", "trunks=[]"]
    # An empty list would carry every VLAN in OVS; VLAN 4095 never appears on the wire, so it carries none.
    carried = [4095] if ps.allowed_vlans == [] else ps.allowed_vlans
    trunks = "[]" if carried is None else "[" + ",".join(map(str, carried)) + "]"
    if ps.native_vlan is None:
        return ["vlan_mode=trunk", "tag=[]", f"trunks={trunks}"]
    return ["vlan_mode=native-untagged", f"tag={ps.native_vlan}", f"trunks={trunks}"]


def apply_port(ovs_port: str, ps: PortState) -> None:
    """Give OVS port `ovs_port` the VLAN setting and link state of switch port state `ps`."""
    run(["ovs-vsctl", "set", "port", ovs_port, *_port_columns(ps)])
    run(["ip", "link", "set", ovs_port, "down" if ps.shutdown else "up"])


def apply_trunk(switch: SwitchSlot, ps: PortState) -> None:
    """Give `switch`'s end of the trunk (a patch port: no kernel link) the setting of its trunk port."""
    run(["ovs-vsctl", "set", "port", switch.trunk_patch, *_port_columns(ps)])
    run(["ovs-ofctl", "mod-port", switch.bridge, switch.trunk_patch, "down" if ps.shutdown else "up"])


def apply_svi(vlan: int, address_with_prefix: str) -> None:
    """Make the router's interface in `vlan` exist and hold exactly `address_with_prefix`."""
    iface = svi_iface(vlan)
    if not succeeds(["ip", "-n", ROUTER_NS, "link", "show", iface]):
        run(["ovs-vsctl", "--if-exists", "del-port", BRIDGE, iface, "--", "add-port", BRIDGE, iface,
             f"tag={vlan}", "--", "set", "interface", iface, "type=internal"])
        _wait_for_link(iface)
        run(["ip", "link", "set", iface, "netns", ROUTER_NS])
        check_interface(iface)
    else:
        run(["ovs-vsctl", "set", "port", iface, f"tag={vlan}"])
    current = run(["ip", "-n", ROUTER_NS, "-br", "-4", "addr", "show", "dev", iface]).stdout.split()[2:]
    if current != [address_with_prefix]:
        run(["ip", "-n", ROUTER_NS, "addr", "flush", "dev", iface])
        run(["ip", "-n", ROUTER_NS, "addr", "add", address_with_prefix, "dev", iface])
    run(["ip", "-n", ROUTER_NS, "link", "set", iface, "up"])


def drop_svi(vlan: int) -> None:
    """Remove the router's interface in `vlan`, if any."""
    iface = svi_iface(vlan)
    run(["ip", "-n", ROUTER_NS, "link", "del", iface], check=False)
    run(["ovs-vsctl", "--if-exists", "del-port", BRIDGE, iface])


def _wait_for_link(iface: str, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not succeeds(["ip", "link", "show", iface]):
        if time.monotonic() > deadline:
            raise InfrastructureError(f"Open vSwitch did not create interface {iface}")
        time.sleep(0.05)


def _move_cable(state: FabricState, host: str, to: Cable, slot: SwitchSlot) -> None:
    ports = slot.server_ports
    if to.port not in ports:
        raise BadInput(f"{to.port}: not a server port of {to.switch} ({ports[0]}..{ports[-1]})")
    holder = state.host_on(to.switch, to.port)
    if holder not in (None, host):
        raise BadInput(f"{to.switch} {to.port} already has {holder} cabled to it; move that cable first")
    state.cabling[host] = to


class OvsFabric:
    """The Fabric of one lab switch: records every change and mirrors it onto its bridge (and the router, on
    the layer-3 switch)."""

    def __init__(self, lab_dir: Path | None = None, switch: SwitchSlot = LAB_SWITCHES[0]) -> None:
        self.lab_dir = lab_dir or state_dir()
        self.switch = switch

    def _apply(self, state: FabricState, port: str) -> None:
        setting = state.switch(self.switch.name).port(port)
        if port == self.switch.trunk_port:
            apply_trunk(self.switch, setting)
        elif (host := state.host_on(self.switch.name, port)) is not None:
            apply_port(slot_named(host).ovs_port, setting)

    def _change_port(self, port: str, **changes: object) -> None:
        with changing_state(self.lab_dir) as state:
            ports = state.switch(self.switch.name).ports
            ports[port] = state.switch(self.switch.name).port(port).model_copy(update=changes)
            self._apply(state, port)

    def set_access_vlan(self, port: str, vlan: int) -> None:
        self._change_port(port, mode="access", vlan=vlan)

    def set_trunk(self, port: str, native_vlan: int | None, allowed_vlans: list[int] | None) -> None:
        self._change_port(port, mode="trunk", native_vlan=native_vlan, allowed_vlans=allowed_vlans)

    def set_shutdown(self, port: str, down: bool) -> None:
        self._change_port(port, shutdown=down)

    def set_vlans(self, vlans: list[int]) -> None:
        with changing_state(self.lab_dir) as state:
            state.switch(self.switch.name).vlans = sorted(vlans)

    def add_svi(self, vlan: int, address_with_prefix: str) -> None:
        if not self.switch.layer3:
            log.warning("%s is a layer-2 switch: Vlan%d is not routed", self.switch.name, vlan)
            return
        with changing_state(self.lab_dir) as state:
            state.switch(self.switch.name).svis[vlan] = address_with_prefix
            apply_svi(vlan, address_with_prefix)

    def remove_svi(self, vlan: int) -> None:
        with changing_state(self.lab_dir) as state:
            state.switch(self.switch.name).svis.pop(vlan, None)
            if self.switch.layer3:
                drop_svi(vlan)

    def cable(self, host: str, port: str) -> None:
        """Move `host`'s cable to `port` of this switch; the host then gets that port's setting."""
        with changing_state(self.lab_dir) as state:
            before = state.cabling.get(host)
            _move_cable(state, host, Cable(switch=self.switch.name, port=port), self.switch)
            if before is None or before.switch != self.switch.name:
                ovs_port = slot_named(host).ovs_port
                run(["ovs-vsctl", "--if-exists", "del-port", ovs_port, "--", "add-port", self.switch.bridge,
                     ovs_port])
            self._apply(state, port)

    def record_cable(self, host: str, port: str) -> None:
        """Record `host` as cabled to `port` without touching OVS (its port does not exist yet)."""
        with changing_state(self.lab_dir) as state:
            _move_cable(state, host, Cable(switch=self.switch.name, port=port), self.switch)

    def uncable(self, host: str) -> None:
        """Forget `host`'s cable (the host is gone)."""
        with changing_state(self.lab_dir) as state:
            state.cabling.pop(host, None)

    def reapply(self) -> None:
        """Apply this switch's recorded SVIs and port settings (after the lab's parts were (re)created)."""
        with changing_state(self.lab_dir) as state:
            mine = state.switch(self.switch.name)
            for vlan, address in mine.svis.items():
                apply_svi(vlan, address)
            self._apply(state, self.switch.trunk_port)
            for cable in state.cabling.values():
                if cable.switch == self.switch.name:
                    self._apply(state, cable.port)

    def snapshot(self) -> FabricState:
        """The recorded state (of every switch)."""
        return read_state(self.lab_dir)
