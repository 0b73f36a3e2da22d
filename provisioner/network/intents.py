"""What step 6 and decommissioning want of the switches on a server's uplink path, as intents from a
placement (planned from the facility alone); their dry run (each switch's diff) and their application.

Provisioning, over the path access switch → trunks → layer-3 switch: the agency VLAN on every switch, the VLAN
allowed at both ends of every trunk, the SVI on the layer-3 switch, the server's port last; the layer-3 switch
is changed first and the access switch last, so the port moves only once the way up is in place.
Decommissioning walks the path the other way and removes only what no other server of the agency needs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from provisioner.facility import Facility
from provisioner.network.change import ChangePlan, SwitchChange, apply_changes, plan_changes
from provisioner.network.models import (
    AccessPortIntent,
    RemoveSviIntent,
    RemoveTrunkVlanIntent,
    RemoveVlanIntent,
    StagingPortIntent,
    SviIntent,
    SwitchIntent,
    TrunkVlanIntent,
    VlanIntent,
)
from provisioner.network.platforms import platform_for
from provisioner.network.session import SessionPool
from provisioner.register.db import Register
from provisioner.topology import TrunkEnd, UplinkPath

if TYPE_CHECKING:
    from provisioner.allocate import Allocation
    from provisioner.secrets import CredentialSource


class SwitchApplied(BaseModel):
    """What a change sent to one switch, and whether the switch saved it."""

    model_config = ConfigDict(frozen=True)

    switch: str
    lines_sent: tuple[str, ...]
    saved: bool


class FabricApplied(BaseModel):
    """What a change over a path sent to each of its switches (in the order changed), and the trunk ends
    left alone because they carry every VLAN (`switch:port`)."""

    model_config = ConfigDict(frozen=True)

    switches: tuple[SwitchApplied, ...]
    left_alone: tuple[str, ...] = ()

    @property
    def changed(self) -> tuple[str, ...]:
        """The switches that were sent anything."""
        return tuple(s.switch for s in self.switches if s.lines_sent)


@dataclass(frozen=True)
class PathRemoval:
    """Decommissioning's change over the path, and the removals left to do by hand (platforms without a
    removal template), each as ``switch: kind VLAN``."""

    changes: tuple[SwitchChange, ...]
    by_hand: tuple[str, ...]


def port_description(agency: str, hostname: str, request_id: str) -> str:
    """What the port says about its server: <agency>:<hostname>:<request id>."""
    return f"{agency}:{hostname}:{request_id}"


def _ends_on(path: UplinkPath, switch: str) -> list[TrunkEnd]:
    return [end for end in path.trunk_ends if end.switch == switch]


def provision_changes(facility: Facility, plan: Allocation, description: str) -> tuple[SwitchChange, ...]:
    """Every switch of the placement's uplink path with what it must hold, layer-3 switch first: the VLAN,
    the VLAN on its trunk ends, the SVI (layer-3 switch), the server's access port (access switch)."""
    path = facility.uplink_path(plan.switch)
    vlan = plan.vlan_id
    changes = []
    for name in path.switches:
        intents: list[SwitchIntent] = [VlanIntent(vlan_id=vlan, name=plan.vlan_name)]
        intents += [TrunkVlanIntent(port=end.port, vlan_id=vlan) for end in _ends_on(path, name)]
        if name == path.layer3:
            intents.append(SviIntent(vlan_id=vlan, gateway=plan.gateway, prefix_len=plan.prefix_len))
        if name == path.access:
            intents.append(AccessPortIntent(port=plan.switch_port, vlan_id=vlan, description=description))
        changes.append(SwitchChange(facility.switch(name), tuple(intents)))
    return tuple(reversed(changes))


def decommission_changes(facility: Facility, plan: Allocation, others: Iterable[str]) -> PathRemoval:
    """The server's port back on staging; on each switch of its path that no other server of the agency
    (on the switches `others`) reaches layer 3 through, the VLAN (and the SVI) removed; at each trunk end no
    such server's path crosses, the VLAN taken off it. Access switch first."""
    path = facility.uplink_path(plan.switch)
    kept = [facility.uplink_path(name) for name in set(others)]
    kept_switches = {name for other in kept for name in other.switches}
    kept_ends = {end for other in kept for end in other.trunk_ends}
    vlan = plan.vlan_id
    changes, by_hand = [], []
    for name in path.switches:
        wanted: list[SwitchIntent] = []
        if name == path.access:
            wanted.append(StagingPortIntent(port=plan.switch_port, staging_vlan=facility.vlans.staging))
        wanted += [RemoveTrunkVlanIntent(port=end.port, vlan_id=vlan) for end in _ends_on(path, name)
                   if end not in kept_ends]
        if name not in kept_switches:
            wanted += [RemoveSviIntent(vlan_id=vlan)] if name == path.layer3 else []
            wanted.append(RemoveVlanIntent(vlan_id=vlan))
        switch = facility.switch(name)
        platform = platform_for(switch.platform)
        intents = tuple(i for i in wanted if platform.supports(i.kind))
        by_hand += [f"{name}: {i.kind} {vlan}" for i in wanted if i not in intents]
        if intents:
            changes.append(SwitchChange(switch, intents))
    return PathRemoval(tuple(changes), tuple(by_hand))


def path_plans(register: Register, changes: Sequence[SwitchChange],
               secrets: CredentialSource) -> list[ChangePlan]:
    """What each switch would be sent (nothing is sent), logged in with the site's `secrets`; every plan
    empty when the path holds the intents."""
    with SessionPool(register, secrets=secrets) as pool:
        return plan_changes(changes, pool)


def apply_path(register: Register, changes: Sequence[SwitchChange], holder: str,
               secrets: CredentialSource) -> FabricApplied:
    """Apply the changes under every switch's lock (per switch: snapshot, push, save, read back; all
    restored on a failure), logged in with the site's `secrets`; what was sent, as data."""
    with SessionPool(register, holder, secrets=secrets) as pool:
        results = apply_changes(changes, pool)
    sent = (SwitchApplied(switch=r.switch, lines_sent=r.lines_sent, saved=r.saved) for r in results)
    return FabricApplied(
        switches=tuple(sent),
        left_alone=tuple(f"{r.switch}:{port}" for r in results for port in r.plan.left_alone),
    )
