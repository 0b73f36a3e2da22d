"""The lab's data plane on Open vSwitch: the switch's port and SVI settings made real.

`OvsFabric` implements `provisioner.lab.fabric.Fabric`. Each switch port's setting is recorded in the lab's
fabric state and applied to the OVS port of the host cabled to it; an SVI is an OVS internal port tagged with
its VLAN, moved into the router namespace and holding the SVI's address.
"""

from __future__ import annotations

import time
from pathlib import Path

from provisioner.errors import BadInput, InfrastructureError
from provisioner.lab.layout import BRIDGE, ROUTER_NS, SWITCH_PORTS, slot_named, state_dir, svi_iface
from provisioner.lab.sh import run, succeeds
from provisioner.lab.state import FabricState, PortState, changing_state, read_state

OVS_CTL = "/usr/share/openvswitch/scripts/ovs-ctl"


def ovs_running() -> bool:
    """Whether ovsdb-server and ovs-vswitchd answer."""
    return succeeds(["ovs-vsctl", "--timeout=2", "show"]) and succeeds(
        ["ovs-appctl", "--timeout=2", "version"]
    )


def ensure_ovs() -> bool:
    """Start Open vSwitch (no systemd needed) unless it runs; True if this call started it."""
    if ovs_running():
        return False
    run([OVS_CTL, "start", "--system-id=random"])
    return True


def stop_ovs() -> None:
    """Stop the Open vSwitch daemons."""
    run([OVS_CTL, "stop"], check=False)


def ensure_bridge() -> None:
    """Create the lab bridge on the userspace datapath (the kernel datapath does not exist here)."""
    run(["ovs-vsctl", "--may-exist", "add-br", BRIDGE, "--", "set", "bridge", BRIDGE, "datapath_type=netdev"])
    check_interface(BRIDGE)


def check_interface(name: str) -> None:
    """Raise if OVS reports an error on interface `name` (add-port succeeds even when the port is dead)."""
    error = run(["ovs-vsctl", "get", "interface", name, "error"]).stdout.strip()
    if error not in ("[]", '""'):
        raise InfrastructureError(f"Open vSwitch interface {name}: {error}")


def bridge_ports() -> set[str]:
    """Ports on the lab bridge (empty if the bridge does not exist)."""
    proc = run(["ovs-vsctl", "--timeout=2", "list-ports", BRIDGE], check=False)
    return set(proc.stdout.split()) if proc.returncode == 0 else set()


def _port_columns(ps: PortState) -> list[str]:
    if ps.mode == "access":
        return ["vlan_mode=access", f"tag={ps.vlan}", "trunks=[]"]
    trunks = "[]" if ps.allowed_vlans is None else "[" + ",".join(map(str, ps.allowed_vlans)) + "]"
    if ps.native_vlan is None:
        return ["vlan_mode=trunk", "tag=[]", f"trunks={trunks}"]
    return ["vlan_mode=native-untagged", f"tag={ps.native_vlan}", f"trunks={trunks}"]


def apply_port(ovs_port: str, ps: PortState) -> None:
    """Give OVS port `ovs_port` the VLAN setting and link state of switch port state `ps`."""
    run(["ovs-vsctl", "set", "port", ovs_port, *_port_columns(ps)])
    run(["ip", "link", "set", ovs_port, "down" if ps.shutdown else "up"])


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


def _move_cable(state: FabricState, host: str, port: str) -> None:
    if port not in SWITCH_PORTS:
        raise BadInput(f"{port}: not a server port of the lab switch ({SWITCH_PORTS[0]}..{SWITCH_PORTS[-1]})")
    holder = state.host_on(port)
    if holder not in (None, host):
        raise BadInput(f"{port} already has {holder} cabled to it; move that cable first")
    state.cabling[host] = port


class OvsFabric:
    """The Fabric of the lab: records every switch change and mirrors it onto OVS and the router."""

    def __init__(self, lab_dir: Path | None = None) -> None:
        self.lab_dir = lab_dir or state_dir()

    def _apply_cabled(self, state: FabricState, port: str) -> None:
        host = state.host_on(port)
        if host is not None:
            apply_port(slot_named(host).ovs_port, state.port(port))

    def _change_port(self, port: str, **changes: object) -> None:
        with changing_state(self.lab_dir) as state:
            state.ports[port] = state.port(port).model_copy(update=changes)
            self._apply_cabled(state, port)

    def set_access_vlan(self, port: str, vlan: int) -> None:
        self._change_port(port, mode="access", vlan=vlan)

    def set_trunk(self, port: str, native_vlan: int | None, allowed_vlans: list[int] | None) -> None:
        self._change_port(port, mode="trunk", native_vlan=native_vlan, allowed_vlans=allowed_vlans)

    def set_shutdown(self, port: str, down: bool) -> None:
        self._change_port(port, shutdown=down)

    def add_svi(self, vlan: int, address_with_prefix: str) -> None:
        with changing_state(self.lab_dir) as state:
            state.svis[vlan] = address_with_prefix
            apply_svi(vlan, address_with_prefix)

    def remove_svi(self, vlan: int) -> None:
        with changing_state(self.lab_dir) as state:
            state.svis.pop(vlan, None)
            drop_svi(vlan)

    def cable(self, host: str, port: str) -> None:
        """Move `host`'s cable to switch port `port`; the host then gets that port's setting."""
        with changing_state(self.lab_dir) as state:
            _move_cable(state, host, port)
            self._apply_cabled(state, port)

    def record_cable(self, host: str, port: str) -> None:
        """Record `host` as cabled to `port` without touching OVS (its port does not exist yet)."""
        with changing_state(self.lab_dir) as state:
            _move_cable(state, host, port)

    def uncable(self, host: str) -> None:
        """Forget `host`'s cable (the host is gone)."""
        with changing_state(self.lab_dir) as state:
            state.cabling.pop(host, None)

    def reapply(self) -> None:
        """Apply every recorded SVI and cabled port setting (after the lab's parts were (re)created)."""
        with changing_state(self.lab_dir) as state:
            for vlan, address in state.svis.items():
                apply_svi(vlan, address)
            for port in state.cabling.values():
                self._apply_cabled(state, port)

    def snapshot(self) -> FabricState:
        """The recorded state."""
        return read_state(self.lab_dir)
