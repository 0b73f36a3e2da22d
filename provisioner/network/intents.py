"""What step 6 and decommissioning want of the switch, as intents from a placement; their dry run (the diff)
and their application."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from provisioner.facility import Facility, Switch
from provisioner.network.change import ChangePlan, apply_change, plan_change
from provisioner.network.models import (
    AccessPortIntent,
    RemoveSviIntent,
    RemoveVlanIntent,
    StagingPortIntent,
    SviIntent,
    SwitchIntent,
    VlanIntent,
)
from provisioner.network.platforms import platform_for
from provisioner.network.session import SessionPool
from provisioner.register.db import Register

if TYPE_CHECKING:
    from provisioner.allocate import Allocation


class SwitchApplied(BaseModel):
    """What a change sent to one switch, and whether the switch saved it."""

    model_config = ConfigDict(frozen=True)

    switch: str
    lines_sent: tuple[str, ...]
    saved: bool


def port_description(agency: str, hostname: str, request_id: str) -> str:
    """What the port says about its server: <agency>:<hostname>:<request id>."""
    return f"{agency}:{hostname}:{request_id}"


def provision_intents(facility: Facility, plan: Allocation, description: str) -> list[SwitchIntent]:
    """The agency VLAN, its SVI on a layer-3 switch, the server's port in the VLAN with its description."""
    intents: list[SwitchIntent] = [VlanIntent(vlan_id=plan.vlan_id, name=plan.vlan_name)]
    if switch_of(facility, plan).layer3:
        intents.append(SviIntent(vlan_id=plan.vlan_id, gateway=plan.gateway, prefix_len=plan.prefix_len))
    intents.append(AccessPortIntent(port=plan.switch_port, vlan_id=plan.vlan_id, description=description))
    return intents


def staging_intents(facility: Facility, plan: Allocation) -> list[SwitchIntent]:
    """The server's port back on the staging VLAN, without a description (as the facility had it)."""
    return [StagingPortIntent(port=plan.switch_port, staging_vlan=facility.vlans.staging)]


def decommission_intents(facility: Facility, plan: Allocation, last_of_agency: bool) -> list[SwitchIntent]:
    """The port back on staging; for the agency's last server also its SVI and VLAN removed, on platforms
    that have removal templates (elsewhere they stay, and the caller says so)."""
    intents = staging_intents(facility, plan)
    if last_of_agency:
        switch, vlan = switch_of(facility, plan), plan.vlan_id
        platform = platform_for(switch.platform)
        if switch.layer3 and platform.supports("remove_svi"):
            intents.append(RemoveSviIntent(vlan_id=vlan))
        if platform.supports("remove_vlan"):
            intents.append(RemoveVlanIntent(vlan_id=vlan))
    return intents


def switch_of(facility: Facility, plan: Allocation) -> Switch:
    """The switch the placement's port is on."""
    return facility.switch(plan.switch)


def switch_plan(register: Register, switch: Switch, intents: list[SwitchIntent]) -> ChangePlan:
    """What the switch would be sent to hold the intents (nothing is sent); empty when it already does."""
    with SessionPool(register) as pool:
        return plan_change(switch, intents, pool)


def apply_switch(
    register: Register, switch: Switch, intents: list[SwitchIntent], holder: str
) -> SwitchApplied:
    """Apply the intents (snapshot, push, save, read back, restore on failure); what was sent, as data."""
    with SessionPool(register, holder) as pool:
        result = apply_change(switch, intents, pool)
    return SwitchApplied(switch=switch.name, lines_sent=result.lines_sent, saved=result.saved)
