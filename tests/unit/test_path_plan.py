"""The switch change over a server's uplink path, planned from the facility alone: what each switch of the
example site is asked to hold when a server arrives or leaves, and in which order the switches change."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from provisioner.allocate import Allocation
from provisioner.facility import load_facility
from provisioner.network.change import SwitchChange
from provisioner.network.intents import decommission_changes, provision_changes
from provisioner.network.models import (
    AccessPortIntent,
    RemoveSviIntent,
    RemoveTrunkVlanIntent,
    RemoveVlanIntent,
    StagingPortIntent,
    SviIntent,
    TrunkVlanIntent,
    VlanIntent,
)

EXAMPLE = load_facility(Path(__file__).resolve().parents[2] / "inventories" / "example")
VLAN = 140
DESCRIPTION = "disdik:simpeg:REQ-2026-0001"
ACCESS = AccessPortIntent(port="GigabitEthernet1/0/5", vlan_id=VLAN, description=DESCRIPTION)


def placed(switch: str, port: str = "GigabitEthernet1/0/5") -> Allocation:
    return Allocation(
        request_id="REQ-2026-0001", site="dc-ciamis", kind="allocated", rack="R02", units=(7,), ups="UPS-A",
        uplink="ISP-A", switch=switch, switch_port=port, vlan_id=VLAN, vlan_name="OPD-disdik",
        subnet=ipaddress.IPv4Network("10.20.0.32/27"), gateway=ipaddress.IPv4Address("10.20.0.33"),
        prefix_len=27, address=ipaddress.IPv4Address("10.20.0.37"), watts=450, mbps=50)


def by_switch(changes: tuple[SwitchChange, ...]) -> list[tuple[str, tuple[object, ...]]]:
    return [(c.switch.name, c.intents) for c in changes]


VLAN_INTENT = VlanIntent(vlan_id=VLAN, name="OPD-disdik")
SVI = SviIntent(vlan_id=VLAN, gateway=ipaddress.IPv4Address("10.20.0.33"), prefix_len=27)
STAGING = StagingPortIntent(port="GigabitEthernet1/0/5", staging_vlan=999)


def test_a_server_on_an_access_switch_gets_the_vlan_across_the_trunk_core_first() -> None:
    changes = provision_changes(EXAMPLE, placed("sw-access-02"), DESCRIPTION)
    assert by_switch(changes) == [
        ("sw-core-01", (VLAN_INTENT, TrunkVlanIntent(port="GigabitEthernet1/0/1", vlan_id=VLAN), SVI)),
        ("sw-access-02", (VLAN_INTENT, TrunkVlanIntent(port="GigabitEthernet1/0/48", vlan_id=VLAN), ACCESS)),
    ]


def test_a_server_on_the_layer3_switch_changes_that_switch_only() -> None:
    changes = provision_changes(EXAMPLE, placed("sw-core-01", "GigabitEthernet1/0/13"), DESCRIPTION)
    assert by_switch(changes) == [("sw-core-01", (
        VLAN_INTENT, SVI,
        AccessPortIntent(port="GigabitEthernet1/0/13", vlan_id=VLAN, description=DESCRIPTION)))]


def test_the_agency_s_last_server_takes_everything_of_its_vlan_with_it_access_switch_first() -> None:
    removal = decommission_changes(EXAMPLE, placed("sw-access-02"), [])
    assert by_switch(removal.changes) == [
        ("sw-access-02", (STAGING, RemoveTrunkVlanIntent(port="GigabitEthernet1/0/48", vlan_id=VLAN),
                          RemoveVlanIntent(vlan_id=VLAN))),
        ("sw-core-01", (RemoveTrunkVlanIntent(port="GigabitEthernet1/0/1", vlan_id=VLAN),
                        RemoveSviIntent(vlan_id=VLAN), RemoveVlanIntent(vlan_id=VLAN))),
    ]
    assert removal.by_hand == ()


def test_another_server_of_the_agency_on_the_same_access_switch_keeps_the_whole_path() -> None:
    removal = decommission_changes(EXAMPLE, placed("sw-access-02"), ["sw-access-02"])
    assert by_switch(removal.changes) == [("sw-access-02", (STAGING,))]


def test_another_server_behind_another_access_switch_keeps_only_the_core_and_its_own_trunk() -> None:
    removal = decommission_changes(EXAMPLE, placed("sw-access-02"), ["sw-access-03", "sw-access-03"])
    assert by_switch(removal.changes) == [
        ("sw-access-02", (STAGING, RemoveTrunkVlanIntent(port="GigabitEthernet1/0/48", vlan_id=VLAN),
                          RemoveVlanIntent(vlan_id=VLAN))),
        ("sw-core-01", (RemoveTrunkVlanIntent(port="GigabitEthernet1/0/1", vlan_id=VLAN),)),
    ]


def test_another_server_on_the_core_keeps_the_svi_but_not_the_trunk() -> None:
    removal = decommission_changes(EXAMPLE, placed("sw-access-02"), ["sw-core-01"])
    assert by_switch(removal.changes)[1] == (
        "sw-core-01", (RemoveTrunkVlanIntent(port="GigabitEthernet1/0/1", vlan_id=VLAN),))


def test_leaving_the_core_while_an_access_switch_still_has_the_agency_keeps_the_fabric() -> None:
    removal = decommission_changes(EXAMPLE, placed("sw-core-01", "GigabitEthernet1/0/13"), ["sw-access-02"])
    assert by_switch(removal.changes) == [
        ("sw-core-01", (StagingPortIntent(port="GigabitEthernet1/0/13", staging_vlan=999),))]
