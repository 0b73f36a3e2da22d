"""The request letter as data (CONTRACT section 1): one pydantic model holding every rule of the contract.

A request that breaks any rule is refused whole: :func:`load_request` raises BadInput with one line per
problem, each naming the field path (``server.hostname: ...``).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from provisioner.errors import BadInput
from provisioner.plaintext import check_plain_text, mail_address
from provisioner.safe_yaml import field_path, load_yaml_text, read_text_file

_LABEL = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"


def _trimmed(value: str) -> str:
    if value != value.strip():
        raise ValueError("must not start or end with spaces")
    return value


def _email(value: str) -> str:
    """Step 1 takes only what the step 7 mailer can send to (provisioner.plaintext.mail_address)."""
    mail_address(value)
    return value


_AGENCY_CODE = r"^[a-z0-9-]{2,20}$"
_PHONE = r"^\+?[0-9][0-9 ()-]{4,24}$"
_SERIAL = r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,49}$"
_OS_FAMILY = r"^[A-Za-z][A-Za-z0-9 ._-]{0,39}$"
_OS_VERSION = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$"
_URL_PATH = r"^/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$"
_PATTERN_HELP = {
    _LABEL: "must be one DNS label: a-z, 0-9 and '-', 1 to 63 characters, no '-' at either end, no dots",
    _AGENCY_CODE: "must be 2 to 20 characters of a-z, 0-9 and '-'",
    _PHONE: "must be a telephone number (digits, spaces, '+', '-', parentheses)",
    _SERIAL: "must be a serial number: letters, digits and . _ / - (up to 50)",
    _OS_FAMILY: "must be an OS family name such as Debian, Ubuntu, RedHat, Rocky, AlmaLinux",
    _OS_VERSION: "must be a version such as \"12\" (quote it in YAML)",
    _URL_PATH: "must be a URL path starting with '/'",
}

def _iso_date(value: object) -> date:
    """A YAML date (2026-11-20) or the same as a string; not a timestamp, number or other format."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"{value} is not a date of the calendar ({exc})") from None
    raise ValueError("must be an ISO date, YYYY-MM-DD")


Text = Annotated[str, AfterValidator(_trimmed)]
Email = Annotated[str, Field(max_length=254), AfterValidator(_email)]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
Label = Annotated[str, Field(pattern=_LABEL)]
Port = Annotated[int, Field(ge=1, le=65535)]


class _Model(BaseModel):
    """Strict: unknown keys are errors and values are not coerced between types (``"16"`` is not 16).

    Every text field, whatever its type says beyond that, holds plain text (provisioner.plaintext).
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _plain_text(cls, value: object) -> object:
        return check_plain_text(value) if isinstance(value, str) else value


class Letter(_Model):
    number: Annotated[Text, Field(min_length=1, max_length=100)]
    date: IsoDate
    subject: Annotated[Text, Field(min_length=1, max_length=200)]


class Contact(_Model):
    name: Annotated[Text, Field(min_length=1, max_length=100)]
    email: Email
    phone: Annotated[str, Field(pattern=_PHONE)] | None = None


class Agency(_Model):
    code: Annotated[str, Field(pattern=_AGENCY_CODE)]
    name: Annotated[Text, Field(min_length=1, max_length=150)]
    contact: Contact


class OperatingSystem(_Model):
    family: Annotated[str, Field(pattern=_OS_FAMILY)]
    version: Annotated[str, Field(pattern=_OS_VERSION)]


class Server(_Model):
    hostname: Label
    vendor: Annotated[Text, Field(max_length=60)] | None = None
    model: Annotated[Text, Field(max_length=60)] | None = None
    serial: Annotated[str, Field(pattern=_SERIAL)] | None = None
    rack_units: Annotated[int, Field(ge=1, le=8)]
    power_watts: Annotated[int, Field(ge=1, le=3000)]
    cpu_cores: Annotated[int, Field(ge=1, le=1024)]
    memory_gb: Annotated[int, Field(ge=1, le=65536)]
    disk_gb: Annotated[int, Field(ge=1, le=10_000_000)]
    os: OperatingSystem


class ServicePort(_Model):
    port: Port
    protocol: Literal["tcp", "udp"]
    purpose: Annotated[Text, Field(min_length=1, max_length=60)]


class Network(_Model):
    bandwidth_mbps: Annotated[int, Field(ge=1, le=10000)]
    ports: Annotated[list[ServicePort], Field(min_length=1, max_length=64)]

    @field_validator("ports")
    @classmethod
    def _unique(cls, ports: list[ServicePort]) -> list[ServicePort]:
        keys = [(p.port, p.protocol) for p in ports]
        repeated = sorted({f"{port}/{proto}" for port, proto in keys if keys.count((port, proto)) > 1})
        if repeated:
            raise ValueError(f"listed more than once: {', '.join(repeated)}")
        return ports


class Application(_Model):
    name: Annotated[Text, Field(min_length=1, max_length=60)]
    port: Port
    scheme: Literal["http", "https", "tcp"]
    path: Annotated[str, Field(pattern=_URL_PATH, max_length=200)] | None = None
    subdomain: Label | None = None

    @field_validator("path")
    @classmethod
    def _path_for_http(cls, path: str | None, info: ValidationInfo) -> str | None:
        scheme = info.data.get("scheme")
        if path is not None and scheme == "tcp":
            raise ValueError("a path applies to http and https applications only")
        return path

    @property
    def url_path(self) -> str:
        return self.path or "/"


class ColoRequest(_Model):
    """One co-location request: the letter, the agency, the server, its network needs, its applications."""

    letter: Letter
    agency: Agency
    server: Server
    network: Network
    applications: Annotated[list[Application], Field(max_length=32)] = []

    @field_validator("applications")
    @classmethod
    def _ports_declared(cls, apps: list[Application], info: ValidationInfo) -> list[Application]:
        network = info.data.get("network")
        if network is None:
            return apps
        tcp_ports = {p.port for p in network.ports if p.protocol == "tcp"}
        strays = [f"{a.name} ({a.port})" for a in apps if a.port not in tcp_ports]
        if strays:
            declared = ", ".join(str(p) for p in sorted(tcp_ports)) or "none"
            raise ValueError(
                f"port of {', '.join(strays)} is not one of the tcp ports in network.ports ({declared})"
            )
        return apps


def error_lines(exc: ValidationError) -> list[str]:
    """One line per problem, each starting with the field path: ``network.ports[1].protocol: ...``."""
    lines = []
    for error in exc.errors(include_url=False):
        path = field_path(error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key (not part of the request format)"
        elif error["type"] == "string_pattern_mismatch":
            message = _PATTERN_HELP.get(str(error.get("ctx", {}).get("pattern")), message)
        lines.append(f"{path or '(request)'}: {message}")
    return lines


def parse_request(data: object, source: str = "request") -> ColoRequest:
    """Validate plain data as a request; BadInput carries one line per problem."""
    if not isinstance(data, dict):
        raise BadInput(f"{source}: a request is a mapping with letter, agency, server, network, applications")
    try:
        return ColoRequest.model_validate(data)
    except ValidationError as exc:
        problems = error_lines(exc)
        raise BadInput(f"{source}: the request is refused ({len(problems)} problem(s))", problems) from None


def load_request(path: Path) -> tuple[ColoRequest, str]:
    """Read and validate a request file; returns the model and the submitted text."""
    text = read_text_file(path)
    return parse_request(load_yaml_text(text, str(path)), str(path)), text
