"""What each platform renders, against golden files; and that no unvalidated value can reach a switch."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from provisioner.errors import BadInput
from provisioner.network import (
    PLATFORMS,
    AccessPortIntent,
    ResetPortIntent,
    StagingPortIntent,
    SviIntent,
    SwitchIntent,
    VlanIntent,
    platform_for,
)

GOLDEN = Path(__file__).parent / "golden" / "network"
PORTS = {"cisco_ios": "GigabitEthernet1/0/5", "mikrotik_routeros": "ether5"}


def intents(port: str) -> list[SwitchIntent]:
    return [
        VlanIntent(vlan_id=120, name="OPD-DISDIK"),
        SviIntent(vlan_id=120, gateway="10.231.0.1", prefix_len=27),  # type: ignore[arg-type]
        AccessPortIntent(port=port, vlan_id=120, description="disdik:simpeg:REQ-2026-0001"),
        StagingPortIntent(port=port, staging_vlan=999),
        ResetPortIntent(port=port),
    ]


def rendered(platform_name: str) -> str:
    platform = platform_for(platform_name)
    out: list[str] = []
    for intent in intents(PORTS[platform_name]):
        out += [f"## {intent.kind}", *platform.render_intent(intent)]
    out += ["## save", *platform.save_lines(), "## confirm", *platform.confirm_lines()]
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("platform_name", sorted(PORTS))
def test_rendering_matches_golden_file(platform_name: str) -> None:
    golden = GOLDEN / f"{platform_name}.txt"
    text = rendered(platform_name)
    if os.environ.get("COLO_UPDATE_GOLDEN"):
        golden.write_text(text)
    assert text == golden.read_text()


def test_every_registered_platform_renders_every_operation() -> None:
    for name, platform in PLATFORMS.items():
        for intent in intents("Port5"):
            assert platform.render_intent(intent), (name, intent.kind)


ROUTEROS_HOSTILE = ["x;/system reboot", "x$(y)", "$x", "x[/system reboot]", "x]", "x{y}", "{{ x }}",
                    "x\\", "x\"y", "x y", "x=y"]
HOSTILE = ["a\nshutdown", "a\rno vlan 1", "a?", "a|include x", "a b", "a\x00", "a\x1b[2J", "a!b", "a;b",
           "a#b", "a\"b", "a'b", "", "x" * 81, "\u200ba", "-leading", *ROUTEROS_HOSTILE]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_descriptions_and_names_are_refused(value: str) -> None:
    with pytest.raises(ValidationError):
        AccessPortIntent(port="GigabitEthernet1/0/5", vlan_id=120, description=value)
    with pytest.raises(ValidationError):
        VlanIntent(vlan_id=120, name=value)


@pytest.mark.parametrize("port", ["Gi1/0/5\n shutdown", "Gi1/0/5 ?", "Gi1/0/5|x", "1/0/5", "Gi 1/0/5",
                                  "GigabitEthernet1/0/5;"])
def test_hostile_port_names_are_refused(port: str) -> None:
    with pytest.raises(ValidationError):
        ResetPortIntent(port=port)


def test_rendered_configuration_holds_exactly_the_intended_lines() -> None:
    intent = AccessPortIntent(port="GigabitEthernet1/0/5", vlan_id=120, description="a:b:REQ-2026-0001")
    assert platform_for("cisco_ios").render_intent(intent) == [
        "interface GigabitEthernet1/0/5", " description a:b:REQ-2026-0001", " switchport mode access",
        " switchport access vlan 120", " no shutdown"]


def test_values_that_bypass_validation_are_still_refused_at_render() -> None:
    forged = AccessPortIntent.model_construct(port="Gi1/0/5", vlan_id=120, description="x\nno vlan 120",
                                              kind="access")
    with pytest.raises(BadInput, match="control character"):
        platform_for("cisco_ios").render_intent(forged)


@pytest.mark.parametrize("value", ROUTEROS_HOSTILE)
def test_values_that_would_start_another_routeros_command_are_refused_at_render(value: str) -> None:
    forged = AccessPortIntent.model_construct(port="ether5", vlan_id=120, description=value, kind="access")
    with pytest.raises(BadInput, match="refusing description"):
        platform_for("mikrotik_routeros").render_intent(forged)


def test_numbers_are_not_coerced_and_ranges_hold() -> None:
    with pytest.raises(ValidationError):
        VlanIntent(vlan_id="120", name="X")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        VlanIntent(vlan_id=4095, name="X")
    with pytest.raises(ValidationError):
        SviIntent(vlan_id=120, gateway="224.0.0.1", prefix_len=27)  # type: ignore[arg-type]


def test_unknown_platform_is_bad_input() -> None:
    with pytest.raises(BadInput, match="not supported"):
        platform_for("cisco_nxos")
