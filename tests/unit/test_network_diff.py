"""The diff: only what differs is sent, removals hold when nothing but the intent remains, restore inverts."""

from __future__ import annotations

from provisioner.network.diff import group_lines, needed_lines, parse_config, restore_lines, snapshot
from provisioner.network.platforms import CiscoIos, Platform

RUNNING = """Building configuration...
!
vlan 999
 name STAGING
!
interface GigabitEthernet1/0/5
 description old:owner:REQ-2026-0009
 switchport access vlan 999
 switchport mode access
!
interface Vlan999
 ip address 10.231.250.1 255.255.255.0
!
end
"""
ACCESS = ["interface GigabitEthernet1/0/5", " description a:b:REQ-2026-0001", " switchport mode access",
          " switchport access vlan 120", " no shutdown"]


def test_only_differing_lines_are_sent() -> None:
    state = parse_config(CiscoIos, RUNNING)
    groups = group_lines(CiscoIos, ["vlan 120", " name OPD-X", *ACCESS])
    assert needed_lines(CiscoIos, groups, state) == [
        "vlan 120", " name OPD-X",
        "interface GigabitEthernet1/0/5", " description a:b:REQ-2026-0001", " switchport access vlan 120"]


def test_nothing_to_send_when_configuration_holds_the_intent() -> None:
    applied = RUNNING.replace("old:owner:REQ-2026-0009", "a:b:REQ-2026-0001")
    applied = applied.replace("vlan 999\n switchport mode", "vlan 120\n switchport mode")
    assert needed_lines(CiscoIos, group_lines(CiscoIos, ACCESS), parse_config(CiscoIos, applied)) == []


def test_restore_inverts_the_change() -> None:
    before = parse_config(CiscoIos, RUNNING)
    groups = group_lines(CiscoIos, ["vlan 120", " name OPD-X", *ACCESS])
    kept = snapshot(groups, before)
    after = dict(before)
    after["vlan 120"] = ("name OPD-X",)
    after["interface GigabitEthernet1/0/5"] = ("description a:b:REQ-2026-0001", "switchport access vlan 120",
                                               "switchport mode access")
    assert restore_lines(CiscoIos, kept, after) == [
        "interface GigabitEthernet1/0/5",
        " no description a:b:REQ-2026-0001", " no switchport access vlan 120",
        " description old:owner:REQ-2026-0009", " switchport access vlan 999",
        "no vlan 120"]


class _SetLines(Platform):
    """A line platform whose removal is `delete X` of a `set X` line (the diff's own case, no template)."""

    name = "set_lines"
    device_type = "none"
    show_config = "none"
    hierarchical = False
    negation = ("delete ", "set ")


def test_set_style_removal_holds_when_only_the_intended_member_remains() -> None:
    lines = ["delete interfaces ge-0/0/5 unit 0 family ethernet-switching vlan members",
             "set interfaces ge-0/0/5 unit 0 family ethernet-switching vlan members 120"]
    groups = group_lines(_SetLines, lines)
    same = parse_config(_SetLines, lines[1])
    other = parse_config(_SetLines, lines[1].replace("120", "999"))
    assert needed_lines(_SetLines, groups, same) == []
    assert needed_lines(_SetLines, groups, other) == lines
