"""RouterOS: what the change sends for each intent against a switch's export (golden file), that an export
already holding the intent needs nothing, restore back to the snapshot, and quoting that keeps text text."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from provisioner.network import (
    AccessPortIntent,
    RemoveSviIntent,
    RemoveVlanIntent,
    ResetPortIntent,
    StagingPortIntent,
    SviIntent,
    SwitchIntent,
    VlanIntent,
)
from provisioner.network.models import RemoveTrunkVlanIntent, TrunkVlanIntent
from provisioner.network.platforms import MikrotikRouteros
from provisioner.network.routeros import change
from provisioner.network.routeros.items import parse_export, plan, restore
from provisioner.network.routeros.words import quote, split_words, unquote

GOLDEN = Path(__file__).parent / "golden" / "network"
FACTORY = """# 2026-12-02 18:59:43 by RouterOS 7.16.1
# model = CRS326-24G-2S+
/interface bridge add name=bridge1 vlan-filtering=yes
/interface ethernet set [ find default-name=ether6 ] disabled=yes
/interface bridge port add bridge=bridge1 interface=ether5 pvid=999
/interface bridge port add bridge=bridge1 interface=ether6 pvid=999
/interface bridge port add bridge=bridge1 interface=sfp-sfpplus1
/interface bridge vlan add bridge=bridge1 tagged=bridge1,sfp-sfpplus1 vlan-ids=999
/system identity set name=sw-lab-02
"""
PROVISIONED = """/interface bridge add name=bridge1 vlan-filtering=yes
/interface vlan add interface=bridge1 name=vlan120 vlan-id=120
/interface bridge port add bridge=bridge1 comment=disdik:simpeg:REQ-2026-0001 interface=ether6 pvid=120
/interface bridge port add bridge=bridge1 interface=sfp-sfpplus1
/interface bridge vlan add bridge=bridge1 comment=OPD-DISDIK tagged=sfp-sfpplus1,bridge1 vlan-ids=120
/ip address add address=10.231.0.1/27 interface=vlan120 network=10.231.0.0
"""
PROVISION: list[SwitchIntent] = [
    VlanIntent(vlan_id=120, name="OPD-DISDIK"),
    SviIntent(vlan_id=120, gateway="10.231.0.1", prefix_len=27),  # type: ignore[arg-type]
    TrunkVlanIntent(port="sfp-sfpplus1", vlan_id=120),
    AccessPortIntent(port="ether6", vlan_id=120, description="disdik:simpeg:REQ-2026-0001"),
]
CASES: dict[str, list[SwitchIntent]] = {
    "provision": PROVISION,
    "staging": [StagingPortIntent(port="ether6", staging_vlan=999)],
    "reset": [ResetPortIntent(port="ether5")],
    "trunk_vlan": [TrunkVlanIntent(port="sfp-sfpplus1", vlan_id=999)],
    "remove_trunk_vlan": [RemoveTrunkVlanIntent(port="sfp-sfpplus1", vlan_id=999)],
    "decommission": [StagingPortIntent(port="ether6", staging_vlan=999), RemoveSviIntent(vlan_id=120),
                     RemoveTrunkVlanIntent(port="sfp-sfpplus1", vlan_id=120), RemoveVlanIntent(vlan_id=120)],
}


def planned(intents: list[SwitchIntent], export: str) -> tuple[list[str], dict[str, tuple[str, ...] | None]]:
    """What the change would send to a switch whose ``/export terse`` is `export`, and its snapshot."""
    return plan("sw", change.statements(MikrotikRouteros, intents), parse_export(export))


def test_commands_against_an_export_match_golden_file() -> None:
    out: list[str] = []
    for name, intents in CASES.items():
        export = PROVISIONED if name == "decommission" else FACTORY
        lines, kept = planned(intents, export)
        out += [f"## {name}", *lines, "# snapshot", *(f"{s}: {v}" for s, v in kept.items())]
    text = "\n".join(out) + "\n"
    golden = GOLDEN / "mikrotik_routeros_commands.txt"
    if os.environ.get("COLO_UPDATE_GOLDEN"):
        golden.write_text(text)
    assert text == golden.read_text()


def test_an_export_that_holds_the_intent_needs_nothing() -> None:
    assert planned(PROVISION, PROVISIONED)[0] == []
    assert planned([ResetPortIntent(port="ether6")], FACTORY)[0] == [
        "/interface bridge port set [find interface=ether6] pvid=1"]  # ether6 is disabled already


def test_restore_brings_back_every_touched_item() -> None:
    _, kept = planned(PROVISION, FACTORY)
    assert restore(kept, parse_export(PROVISIONED)) == [  # last touched first
        "/interface ethernet set [find default-name=ether6] disabled=yes",
        "/interface bridge port set [find interface=ether6] pvid=999 comment=\"\"",
        "/ip address remove [find interface=vlan120]",
        "/interface vlan remove [find name=vlan120]",
        "/interface bridge vlan remove [find vlan-ids=120]",
    ]
    assert restore(kept, parse_export(FACTORY)) == []


def test_a_set_on_an_item_the_switch_lacks_is_an_error() -> None:
    from provisioner.errors import InfrastructureError

    with pytest.raises(InfrastructureError, match="has no item interface=ether9"):
        planned([ResetPortIntent(port="ether9")], FACTORY)


QUOTED = {
    "disdik:simpeg:REQ-2026-0001": "disdik:simpeg:REQ-2026-0001",
    "": '""',
    "a b": '"a b"',
    "x;/system reboot": '"x;/system reboot"',
    "$name": '"\\$name"',
    "[/system reboot]": '"[/system reboot]"',
    'say "hi"': '"say \\"hi\\""',
    "back\\slash": '"back\\\\slash"',
    "two\nlines\r": '"two\\nlines\\r"',
    "help?": '"help\\?"',
    "bell\x07esc\x1b": '"bell\\07esc\\1B"',
}


@pytest.mark.parametrize(("text", "word"), QUOTED.items())
def test_quote_keeps_text_one_word(text: str, word: str) -> None:
    assert quote(text) == word
    assert split_words(f"comment={word} pvid=1") == [f"comment={word}", "pvid=1"]
    assert unquote(word) == text


@pytest.mark.parametrize("answer", [
    "failure: device already added as bridge port",
    "input does not match any value of interface",
    "syntax error (line 1 column 43)",
    "no such item",
    "bad command name prot (line 1 column 19)",
    "expected end of command (line 1 column 30)",
    "value of pvid out of range (1..4094)",
    "invalid value for argument address",
])
def test_every_routeros_refusal_fails_the_line(answer: str) -> None:
    import re

    echo = "/interface bridge port set [find interface=ether5] pvid=120 comment=failure:no-such-item"
    assert re.search(MikrotikRouteros.error_pattern, f"{echo}\r\n{answer}\r\n[admin@sw] > ")
    assert not re.search(MikrotikRouteros.error_pattern, f"{echo}\r\n\r\n[admin@sw] > ")
