"""Removing an agency's SVI and VLAN: what each platform renders (golden files), and how the diff treats a
block removal (sent only while the block exists, restored from the snapshot)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from provisioner.network import PLATFORMS, RemoveSviIntent, RemoveVlanIntent, platform_for
from provisioner.network.diff import group_lines, needed_lines, parse_config, restore_lines, snapshot

GOLDEN = Path(__file__).parent / "golden" / "network"
WITH_REMOVAL = ["cisco_ios", "mikrotik_routeros"]
CONFIG = """!
vlan 120
 name OPD-DISDIK
!
interface GigabitEthernet1/0/5
 switchport access vlan 999
!
interface Vlan120
 ip address 10.231.0.1 255.255.255.224
!
end
"""


def _removal_lines(platform_name: str) -> list[str]:
    platform = platform_for(platform_name)
    return [*platform.render_intent(RemoveSviIntent(vlan_id=120)),
            *platform.render_intent(RemoveVlanIntent(vlan_id=120))]


@pytest.mark.parametrize("platform_name", WITH_REMOVAL)
def test_removal_rendering_matches_golden_file(platform_name: str) -> None:
    golden = GOLDEN / f"{platform_name}_remove.txt"
    text = "\n".join(_removal_lines(platform_name)) + "\n"
    if os.environ.get("COLO_UPDATE_GOLDEN"):
        golden.write_text(text)
    assert text == golden.read_text()


def test_platforms_without_removal_templates_say_so() -> None:
    assert sorted(n for n, p in PLATFORMS.items() if p.supports("remove_vlan")) == WITH_REMOVAL


def test_removal_is_sent_while_the_blocks_exist_and_restore_brings_them_back() -> None:
    ios = platform_for("cisco_ios")
    groups = group_lines(ios, _removal_lines("cisco_ios"))
    state = parse_config(ios, CONFIG)
    assert needed_lines(ios, groups, state) == ["no interface Vlan120", "no vlan 120"]
    kept = snapshot(groups, state)
    after = {k: v for k, v in state.items() if k not in ("vlan 120", "interface Vlan120")}
    assert needed_lines(ios, groups, after) == []
    assert restore_lines(ios, kept, after) == [
        "vlan 120", " name OPD-DISDIK", "interface Vlan120", " ip address 10.231.0.1 255.255.255.224"]
