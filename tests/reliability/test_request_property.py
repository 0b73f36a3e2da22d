"""Generated requests through `colo request submit`: every valid one is recorded as written, every mutated
one (a wrong type, a value out of range, a control, invisible or line-breaking character, an unknown key, a
missing key) is refused with exit code 2, a message naming the field, no traceback, and the register as it
was.
"""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability_support import Figures, dump_register, run_colo

LABEL = r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?"
EMAIL = r"[a-z0-9_]{1,8}(\.[a-z0-9_]{1,8})?@[a-z0-9]{1,12}\.go\.id"
"""An address the mailer can send to: a dot-atom local part, no leading, trailing or doubled dot."""
WORDS = r"[A-Za-z0-9][A-Za-z0-9 ./,()-]{0,40}[A-Za-z0-9]"


def _text(pattern: str) -> st.SearchStrategy[str]:
    return st.from_regex(pattern, fullmatch=True)


@st.composite
def service_ports(draw: st.DrawFn) -> list[dict[str, Any]]:
    keys = draw(st.lists(st.tuples(st.integers(1, 65535), st.sampled_from(["tcp", "udp"])), min_size=1,
                         max_size=6, unique=True))
    return [{"port": p, "protocol": proto, "purpose": draw(_text(WORDS))} for p, proto in keys]


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    """A request that keeps every rule of the contract."""
    ports = draw(service_ports())
    tcp = sorted({p["port"] for p in ports if p["protocol"] == "tcp"})
    apps: list[dict[str, Any]] = []
    for port in draw(st.lists(st.sampled_from(tcp), max_size=3)) if tcp else []:
        scheme = draw(st.sampled_from(["http", "https", "tcp"]))
        app: dict[str, Any] = {"name": draw(_text(WORDS)), "port": port, "scheme": scheme}
        if scheme != "tcp" and draw(st.booleans()):
            app["path"] = draw(_text(r"/[a-z0-9/_-]{0,30}"))
        if draw(st.booleans()):
            app["subdomain"] = draw(_text(LABEL))
        apps.append(app)
    request: dict[str, Any] = {
        "letter": {"number": draw(_text(r"[0-9]{1,4}/[0-9A-Za-z/.-]{1,40}")), "date": draw(st.dates()),
                   "subject": draw(_text(WORDS))},
        "agency": {"code": draw(_text(r"[a-z0-9-]{2,20}")), "name": draw(_text(WORDS)),
                   "contact": {"name": draw(_text(WORDS)),
                               "email": draw(_text(EMAIL))}},
        "server": {"hostname": draw(_text(LABEL)), "rack_units": draw(st.integers(1, 8)),
                   "power_watts": draw(st.integers(1, 3000)), "cpu_cores": draw(st.integers(1, 1024)),
                   "memory_gb": draw(st.integers(1, 65536)), "disk_gb": draw(st.integers(1, 10_000_000)),
                   "os": {"family": draw(st.sampled_from(["Debian", "Ubuntu", "Rocky", "AlmaLinux"])),
                          "version": draw(_text(r"[0-9]{1,2}(\.[0-9]{1,2})?"))}},
        "network": {"bandwidth_mbps": draw(st.integers(1, 10000)), "ports": ports},
    }
    if apps:
        request["applications"] = apps
    if draw(st.booleans()):
        request["agency"]["contact"]["phone"] = draw(_text(r"\+62 [0-9]{3} [0-9]{4} [0-9]{4}"))
    if draw(st.booleans()):
        request["server"]["serial"] = draw(_text(r"[A-Z0-9]{5,12}"))
    return request


INT_FIELDS = {  # path -> (lowest, highest) allowed
    "server.rack_units": (1, 8), "server.power_watts": (1, 3000), "server.cpu_cores": (1, 1024),
    "server.memory_gb": (1, 65536), "server.disk_gb": (1, 10_000_000), "network.bandwidth_mbps": (1, 10000),
}
TEXT_FIELDS = ["letter.number", "letter.subject", "agency.name", "agency.contact.name", "server.hostname",
               "agency.code", "agency.contact.email"]
REFUSED_CHARACTERS = ["\n", "\r", "\t", "\x00", "\x1b", "\x7f", "\x85", "\x9b", "\u2028", "\u2029", "\u202e",
                      "\u200b", "\u200d", "\ufeff", "\u2066"]
"""Control characters (Cc), line and paragraph separators (Zl, Zp), invisible formatting (Cf)."""
REQUIRED = ["letter", "agency", "server", "network", "letter.number", "letter.date", "agency.code",
            "agency.contact.email", "server.hostname", "server.os", "server.rack_units", "network.ports"]


def _node(data: dict[str, Any], path: str) -> tuple[dict[str, Any], str]:
    *parents, last = path.split(".")
    node = data
    for part in parents:
        node = node[part]
    return node, last


@st.composite
def mutated(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """A valid request with one rule broken, and the field path the refusal must name."""
    data = copy.deepcopy(draw(requests()))
    kind = draw(st.sampled_from(["range", "type", "control", "unknown", "missing"]))
    if kind == "range":
        path = draw(st.sampled_from(sorted(INT_FIELDS)))
        low, high = INT_FIELDS[path]
        value: object = draw(st.one_of(st.integers(max_value=low - 1), st.integers(min_value=high + 1)))
    elif kind == "type":
        path = draw(st.sampled_from(sorted(INT_FIELDS)))
        value = draw(st.one_of(st.text(max_size=5), st.floats(allow_nan=False, allow_infinity=False),
                               st.lists(st.integers(), max_size=2), st.booleans()))
    elif kind == "control":
        path = draw(st.sampled_from(TEXT_FIELDS))
        node, key = _node(data, path)
        char = draw(st.sampled_from(REFUSED_CHARACTERS))
        value = node[key][:1] + char + node[key][1:]
    elif kind == "unknown":
        parent = draw(st.sampled_from(["", "letter", "agency", "server", "server.os", "network"]))
        key = draw(_text(r"x_[a-z]{1,8}"))
        path = f"{parent}.{key}" if parent else key
        value = draw(st.integers())
    else:
        path = draw(st.sampled_from(REQUIRED))
        node, key = _node(data, path)
        del node[key]
        return data, path
    node, key = _node(data, path)
    node[key] = value
    return data, path


@pytest.fixture(scope="module")
def register_env() -> Iterator[dict[str, str]]:
    with tempfile.TemporaryDirectory(prefix="colo-prop-") as tmp:
        yield {"COLO_DB": f"sqlite:///{tmp}/reg/register.db", "COLO_OUTPUT": f"{tmp}/documents",
               "COLO_TMP": tmp}


def _submit(data: dict[str, Any], env: dict[str, str]) -> tuple[int, str, str]:
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", dir=env["COLO_TMP"], delete=False) as out:
        # Escaped: PyYAML writes U+0085 raw inside a quoted scalar and reads it back as a line fold (a space).
        yaml.safe_dump(data, out, sort_keys=False, allow_unicode=False)
    try:
        run = run_colo(["request", "submit", "--json", out.name], env)
    finally:
        Path(out.name).unlink()
    return run.code, run.out, run.err


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                    HealthCheck.function_scoped_fixture])


@SETTINGS
@given(data=requests())
def test_valid_requests_are_recorded(data: dict[str, Any], register_env: dict[str, str],
                                     figures: Figures) -> None:
    import json

    from provisioner.register.db import open_register
    from provisioner.workflow import get_request

    figures.case()
    code, out, err = _submit(data, register_env)
    assert code == 0, err
    assert "Traceback" not in out + err
    request_id = json.loads(out)["id"]
    register = open_register(register_env["COLO_DB"])
    try:
        with register.session() as session:
            record = get_request(session, request_id)
            assert record.hostname == data["server"]["hostname"]
            assert record.agency_code == data["agency"]["code"]
    finally:
        register.close()


@SETTINGS
@given(case=mutated())
def test_mutated_requests_are_refused(case: tuple[dict[str, Any], str], register_env: dict[str, str],
                                      figures: Figures) -> None:
    data, path = case
    figures.case()
    before = dump_register(register_env["COLO_DB"]) if Path(register_env["COLO_TMP"], "reg").exists() else {}
    code, out, err = _submit(data, register_env)
    assert code == 2, f"{path}: exit {code}\n{err}"
    assert "Traceback" not in out + err
    assert f"{path}:" in err, f"message does not name {path!r}: {err}"
    if before:
        assert dump_register(register_env["COLO_DB"]) == before
