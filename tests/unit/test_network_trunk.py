"""A trunk's allowed VLANs on IOS: one list in the running configuration (continued by `add` lines when long),
read as a set; adding or removing one VLAN sends one line, holds once the list says so, is left alone on a
trunk that carries every VLAN, and is restored by setting the list back whole."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from provisioner.network import RemoveTrunkVlanIntent, TrunkVlanIntent, platform_for
from provisioner.network.diff import (
    carries_every_vlan,
    group_lines,
    needed_lines,
    parse_config,
    restore_lines,
    snapshot,
    trunk_vlans,
    vlan_ranges,
    vlan_set,
)
from provisioner.network.platforms import CiscoIos

GOLDEN = Path(__file__).parent / "golden" / "network" / "cisco_ios_trunk.txt"
PORT = "GigabitEthernet1/1/1"
SCOPE = f"interface {PORT}"


def running(allowed: str | None) -> str:
    lines = ["!", f"interface {PORT}", *([f" switchport trunk allowed vlan {allowed}"] if allowed else []),
             " switchport mode trunk", "!", "end"]
    return "\n".join(lines) + "\n"


def lines_for(intent: TrunkVlanIntent | RemoveTrunkVlanIntent) -> list[str]:
    return CiscoIos.render_intent(intent)


def test_trunk_rendering_matches_golden_file() -> None:
    text = "\n".join([*lines_for(TrunkVlanIntent(port=PORT, vlan_id=140)),
                      *lines_for(RemoveTrunkVlanIntent(port=PORT, vlan_id=140))]) + "\n"
    if os.environ.get("COLO_UPDATE_GOLDEN"):
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text()


def test_lists_read_and_spelt_as_ios_does() -> None:
    assert vlan_set("1,100-102,999") == {1, 100, 101, 102, 999}
    assert vlan_set("none") == frozenset()
    assert vlan_ranges(frozenset({999, 1, 101, 100, 102, 104})) == "1,100-102,104,999"
    assert vlan_ranges(frozenset()) == "none"


def test_a_long_list_continued_by_add_lines_is_one_set() -> None:
    text = running("1,100-102").replace(" switchport mode", " switchport trunk allowed vlan add 140,999\n"
                                                            " switchport mode")
    state = parse_config(CiscoIos, text)
    assert state[SCOPE] == ("switchport trunk allowed vlan 1,100-102,140,999", "switchport mode trunk")
    assert trunk_vlans(CiscoIos, state[SCOPE]) == {1, 100, 101, 102, 140, 999}


@pytest.mark.parametrize(("allowed", "intent", "sent"), [
    ("1,100-120,999", TrunkVlanIntent(port=PORT, vlan_id=140), ["switchport trunk allowed vlan add 140"]),
    ("1,100-120,999", TrunkVlanIntent(port=PORT, vlan_id=110), []),
    ("1,100-120,999", RemoveTrunkVlanIntent(port=PORT, vlan_id=110),
     ["switchport trunk allowed vlan remove 110"]),
    ("1,100-120,999", RemoveTrunkVlanIntent(port=PORT, vlan_id=140), []),
    ("none", TrunkVlanIntent(port=PORT, vlan_id=140), ["switchport trunk allowed vlan add 140"]),
    (None, TrunkVlanIntent(port=PORT, vlan_id=140), []),
    (None, RemoveTrunkVlanIntent(port=PORT, vlan_id=140), []),
])
def test_one_vlan_added_or_removed_sends_one_line_only_when_needed(
        allowed: str | None, intent: TrunkVlanIntent | RemoveTrunkVlanIntent, sent: list[str]) -> None:
    state = parse_config(CiscoIos, running(allowed))
    out = needed_lines(CiscoIos, group_lines(CiscoIos, lines_for(intent)), state)
    assert out == ([SCOPE, *(f" {line}" for line in sent)] if sent else [])
    assert carries_every_vlan(CiscoIos, state[SCOPE]) == (allowed is None)


def test_the_read_back_after_an_add_holds_and_the_restore_sets_the_list_back() -> None:
    before = parse_config(CiscoIos, running("100-120,999"))
    groups = group_lines(CiscoIos, lines_for(TrunkVlanIntent(port=PORT, vlan_id=140)))
    kept = snapshot(groups, before)
    after = parse_config(CiscoIos, running("100-120,140,999"))
    assert needed_lines(CiscoIos, groups, after) == []
    assert restore_lines(CiscoIos, kept, after) == [SCOPE, " switchport trunk allowed vlan 100-120,999"]
    assert restore_lines(CiscoIos, kept, before) == []


def test_a_restore_of_a_trunk_that_had_no_list_removes_the_list() -> None:
    kept = {SCOPE: parse_config(CiscoIos, running(None))[SCOPE]}
    after = parse_config(CiscoIos, running("140"))
    assert restore_lines(CiscoIos, kept, after) == [SCOPE, " no switchport trunk allowed vlan"]


def test_platforms_without_a_trunk_list_never_read_one() -> None:
    routeros = platform_for("mikrotik_routeros")
    assert routeros.trunk_allowed is None
    assert not carries_every_vlan(routeros, ("switchport mode trunk",))
