"""Every rule of the request contract (CONTRACT section 1): each case fails if its rule is dropped."""

from __future__ import annotations

import copy
import email
import email.policy
import typing
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from provisioner.errors import BadInput
from provisioner.mail import Person, ReportMail, build_report_message
from provisioner.request import ColoRequest, load_request, parse_request

ROOT = Path(__file__).resolve().parent.parent.parent
DATA = ROOT / "tests" / "data" / "requests"
_DELETE = object()


def example() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "examples" / "request-simpeg.yaml").read_text())
    assert isinstance(data, dict)
    return data


def changed(path: str, value: object) -> dict[str, Any]:
    """The example with one field (dotted path, list indices as numbers) set, added or deleted."""
    data = example()
    *parents, last = path.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    key: Any = int(last) if last.isdigit() else last
    if value is _DELETE:
        del node[key]
    else:
        node[key] = copy.deepcopy(value)
    return data


def problems(data: object) -> list[str]:
    with pytest.raises(BadInput) as caught:
        parse_request(data)
    return caught.value.problems


def test_example_is_valid() -> None:
    spec, text = load_request(ROOT / "examples" / "request-simpeg.yaml")
    assert spec.server.hostname == "simpeg"
    assert spec.letter.date.isoformat() == "2026-11-20"
    assert "SIMPEG" in text


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("server.vendor", _DELETE), ("server.model", _DELETE), ("server.serial", _DELETE),
        ("agency.contact.phone", _DELETE), ("applications", _DELETE), ("applications.0.subdomain", _DELETE),
        ("applications.0.path", _DELETE), ("letter.number", "x" * 100), ("agency.code", "ab"),
        ("agency.code", "a" * 20), ("server.hostname", "a" * 63), ("server.hostname", "a"),
        ("server.hostname", "web-01"), ("server.rack_units", 8), ("server.power_watts", 3000),
        ("network.bandwidth_mbps", 10000), ("network.bandwidth_mbps", 1), ("letter.date", "2026-11-20"),
        ("network.ports.0.protocol", "udp"), ("server.os.family", "AlmaLinux"),
    ],
)
def test_allowed_values_pass(path: str, value: object) -> None:
    assert isinstance(parse_request(changed(path, value)), ColoRequest)


@pytest.mark.parametrize(
    ("path", "value", "where"),
    [
        # unknown keys, at every level
        ("extra", 1, "extra"),
        ("letter.reference", "x", "letter.reference"),
        ("agency.contact.fax", "x", "agency.contact.fax"),
        ("server.colour", "blue", "server.colour"),
        ("server.os.kernel", "6.1", "server.os.kernel"),
        ("network.vlan", 100, "network.vlan"),
        ("network.ports.0.state", "open", "network.ports[0].state"),
        ("applications.0.tls", True, "applications[0].tls"),
        # required fields
        ("letter", _DELETE, "letter"),
        ("letter.number", _DELETE, "letter.number"),
        ("server.memory_gb", _DELETE, "server.memory_gb"),
        ("agency.contact.email", _DELETE, "agency.contact.email"),
        # letter
        ("letter.number", "", "letter.number"),
        ("letter.number", "x" * 101, "letter.number"),
        ("letter.date", "20/11/2026", "letter.date"),
        ("letter.date", "2026-13-01", "letter.date"),
        ("letter.date", 20261120, "letter.date"),
        ("letter.date", "2026-11-20T10:00:00", "letter.date"),
        # agency
        ("agency.code", "d", "agency.code"),
        ("agency.code", "a" * 21, "agency.code"),
        ("agency.code", "Disdik", "agency.code"),
        ("agency.code", "dis_dik", "agency.code"),
        ("agency.contact.email", "budi-at-disdik", "agency.contact.email"),
        ("agency.contact.phone", "call me", "agency.contact.phone"),
        # server
        ("server.hostname", "-simpeg", "server.hostname"),
        ("server.hostname", "simpeg-", "server.hostname"),
        ("server.hostname", "simpeg.disdik", "server.hostname"),
        ("server.hostname", "SIMPEG", "server.hostname"),
        ("server.hostname", "", "server.hostname"),
        ("server.hostname", "a" * 64, "server.hostname"),
        ("server.rack_units", 0, "server.rack_units"),
        ("server.rack_units", 9, "server.rack_units"),
        ("server.rack_units", True, "server.rack_units"),
        ("server.power_watts", 0, "server.power_watts"),
        ("server.power_watts", 3001, "server.power_watts"),
        ("server.cpu_cores", "16", "server.cpu_cores"),
        ("server.cpu_cores", 16.5, "server.cpu_cores"),
        ("server.cpu_cores", 0, "server.cpu_cores"),
        ("server.memory_gb", 0, "server.memory_gb"),
        ("server.disk_gb", -1, "server.disk_gb"),
        ("server.serial", "7XK 2Q93", "server.serial"),
        ("server.os.version", 12, "server.os.version"),
        ("server.os.family", "", "server.os.family"),
        # network
        ("network.bandwidth_mbps", 0, "network.bandwidth_mbps"),
        ("network.bandwidth_mbps", 10001, "network.bandwidth_mbps"),
        ("network.ports", [], "network.ports"),
        ("network.ports.0.protocol", "icmp", "network.ports[0].protocol"),
        ("network.ports.0.port", 0, "network.ports[0].port"),
        ("network.ports.0.port", 65536, "network.ports[0].port"),
        ("network.ports.1", {"port": 22, "protocol": "tcp", "purpose": "again"}, "network.ports"),
        # applications
        ("applications.0.port", 8443, "applications"),
        ("applications.0.scheme", "ftp", "applications[0].scheme"),
        ("applications.0.subdomain", "simpeg.disdik", "applications[0].subdomain"),
        ("applications.0.subdomain", "-simpeg", "applications[0].subdomain"),
        ("applications.0.path", "login", "applications[0].path"),
        ("applications.0.path", "/a b", "applications[0].path"),
        # text fields hold no control characters
        ("letter.subject", "Permohonan\nsegera", "letter.subject"),
        ("agency.name", "Dinas\tPendidikan", "agency.name"),
        ("agency.contact.name", "Budi\x1b[31m", "agency.contact.name"),
        ("network.ports.0.purpose", "ssh\r\nshutdown", "network.ports[0].purpose"),
        ("applications.0.name", "SIMPEG\x00", "applications[0].name"),
        ("letter.number", "027/114\u0085", "letter.number"),
    ],
)
def test_each_rule_refuses_with_the_field_path(path: str, value: object, where: str) -> None:
    lines = problems(changed(path, value))
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{where}: "), lines


def test_application_port_must_be_a_declared_tcp_port() -> None:
    data = changed("network.ports.1.protocol", "udp")
    [line] = problems(data)
    assert line.startswith("applications: ") and "SIMPEG (443)" in line


def test_path_only_for_http_applications() -> None:
    data = changed("applications.0.scheme", "tcp")
    [line] = problems(data)
    assert line == "applications[0].path: a path applies to http and https applications only"
    del data["applications"][0]["path"]
    assert parse_request(data).applications[0].scheme == "tcp"


def test_every_problem_is_reported_on_its_own_line() -> None:
    with pytest.raises(BadInput) as caught:
        load_request(DATA / "many-problems.yaml")
    lines = caught.value.problems
    paths = [line.split(":", 1)[0] for line in lines]
    assert sorted(paths) == sorted([
        "agency.code", "agency.contact.email", "server.hostname", "server.rack_units", "server.colour",
        "network.ports[0].protocol",
    ])
    assert caught.value.exit_code == 2


def test_messages_say_what_is_expected() -> None:
    [line] = problems(changed("server.hostname", "-simpeg"))
    assert "one DNS label" in line
    [line] = problems(changed("extra", 1))
    assert line == "extra: unknown key (not part of the request format)"


def test_not_a_mapping_is_refused() -> None:
    with pytest.raises(BadInput, match="a request is a mapping"):
        parse_request(["letter"])


def test_stored_form_round_trips() -> None:
    spec = parse_request(example())
    assert ColoRequest.model_validate(spec.model_dump(mode="json")) == spec


def _leaves(annotation: object) -> list[object]:
    """The types a field's annotation is made of: ``list[A] | None`` gives A and NoneType."""
    if typing.get_origin(annotation) in (None, typing.Literal):
        return [annotation]
    return [leaf for arg in typing.get_args(annotation) for leaf in _leaves(arg)]


def _text_paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    """The dotted path of every str field of the model, nested models and lists of them included."""
    paths = []
    for name, info in model.model_fields.items():
        for leaf in _leaves(info.annotation):
            if isinstance(leaf, type) and issubclass(leaf, BaseModel):
                index = ".0" if typing.get_origin(info.annotation) is list else ""
                paths += _text_paths(leaf, f"{prefix}{name}{index}.")
            elif leaf is str or typing.get_origin(leaf) is typing.Literal:
                paths.append(f"{prefix}{name}")
    return sorted(paths)


TEXT_PATHS = _text_paths(ColoRequest)
REFUSED_CHARACTERS = ["\u2028", "\u2029", "\u202e", "\u200b", "\ufeff", "\u2066", "\u00ad", "\x9b",
                      "\x85", "\ud800"]


def test_every_text_field_is_found() -> None:
    assert len(TEXT_PATHS) == 19
    assert {"agency.contact.email", "network.ports.0.protocol", "applications.0.scheme"} <= set(TEXT_PATHS)


@pytest.mark.parametrize("char", REFUSED_CHARACTERS, ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("path", TEXT_PATHS)
def test_no_text_field_holds_invisible_or_line_breaking_characters(path: str, char: str) -> None:
    node: Any = example()
    for part in path.split("."):
        node = node[int(part)] if part.isdigit() else node[part]
    assert isinstance(node, str)
    lines = problems(changed(path, node[:1] + char + node[1:]))
    where = path.replace(".0.", "[0].").replace("network.ports.0", "network.ports[0]")
    assert len(lines) == 1 and lines[0].startswith(f"{where}: "), lines


def test_unknown_keys_with_controls_are_named_escaped() -> None:
    [line] = problems(changed("agency.x\x1b[2J", 1))
    assert line.startswith("agency.'x\\x1b[2J': unknown key")


def _received(spec: ColoRequest) -> EmailMessage:
    """The step 7 mail for an accepted request, as the agency's mail server would read it."""
    contact = spec.agency.contact
    message = build_report_message(ReportMail(
        request_id="REQ-2026-0001", letter_number=spec.letter.number, agency_name=spec.agency.name,
        recipient=Person(contact.name, contact.email),
        head_of_division=Person("Kepala Bidang Persandian", "kabid.sandi@ciamiskab.go.id"),
        sender=Person("Rina Teknisi", "noc@ciamiskab.go.id"), hostname=spec.server.hostname,
        address="10.231.0.5", applications=tuple(a.name for a in spec.applications),
    ), [])
    raw = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
    received = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(received, EmailMessage)
    return received


@pytest.mark.parametrize(("address", "accepted"), [
    ("budi@disdik.ciamiskab.go.id", True), ("o'brien+colo@disdik.go.id", True), ("a{b}|c~=#$@x.id", True),
    ("Budi.Santoso@Disdik.GO.ID", True), ("budi@dïnas.ciamiskab.go.id", True),
    ("bédi@disdik.go.id", False), ('bu"di@disdik.go.id', False), ("a>,<evil@disdik.go.id", False),
    ("bu\x9bdi@disdik.go.id", False), ("budi\u200b@disdik.go.id", False), ("Budi <budi@disdik.go.id>", False),
    ('"budi"@disdik.go.id', False), ("budi@disdik..go.id", False), (".budi@disdik.go.id", False),
    ("budi@x.local", False), ("budi@[10.0.0.1]", False), ("budi@-disdik.go.id", False),
    ("b" * 65 + "@disdik.go.id", False), ("budi@disdik.go.id\n", False),
])
def test_step_1_takes_exactly_the_addresses_the_mailer_sends_to(address: str, accepted: bool) -> None:
    data = changed("agency.contact.email", address)
    if not accepted:
        [line] = problems(data)
        assert line.startswith("agency.contact.email: ")
        with pytest.raises(BadInput):
            Person("Budi", address).address()
        return
    [to] = _received(parse_request(data))["To"].addresses
    local, domain = address.rsplit("@", 1)
    ascii_domain = domain.lower().encode("idna").decode()
    assert (to.display_name, to.username, to.domain) == ("Budi Santoso", local, ascii_domain)


@settings(max_examples=300, deadline=None)
@given(address=st.emails() | st.from_regex(r"[^@]{1,12}@[^@]{1,12}", fullmatch=True))
def test_step_1_and_the_mailer_agree_on_any_address(address: str) -> None:
    try:
        parse_request(changed("agency.contact.email", address))
    except BadInput:
        with pytest.raises(BadInput):
            Person("Budi", address).address()
    else:
        Person("Budi", address).address()


@settings(max_examples=300, deadline=None)
@given(name=st.text(st.characters() | st.sampled_from(REFUSED_CHARACTERS), min_size=1, max_size=60),
       field=st.sampled_from(["agency.name", "agency.contact.name", "letter.number"]))
def test_any_name_step_1_accepts_makes_a_mail(name: str, field: str) -> None:
    try:
        spec = parse_request(changed(field, name))
    except BadInput:
        return
    received = _received(spec)
    body = received.get_body(("plain",))
    assert body is not None and name in str(received["Subject"]) + body.get_content()
