"""What the access check checks: the server's address, its ports and applications, the site's names."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from provisioner.errors import BadInput

if TYPE_CHECKING:
    from provisioner.facility import Facility
    from provisioner.request import ColoRequest

Scheme = Literal["http", "https", "tcp"]


@dataclass(frozen=True)
class PortSpec:
    """One port the request declares reachable from outside."""

    port: int
    protocol: Literal["tcp", "udp"] = "tcp"
    purpose: str = ""


@dataclass(frozen=True)
class AppSpec:
    """One application the request asks to be reachable."""

    name: str
    port: int
    scheme: Scheme
    path: str = "/"
    subdomain: str | None = None

    def label(self, host: str) -> str:
        """How the report names the application reached at host (a name or an address)."""
        if self.scheme == "tcp":
            return f"{self.name} {host}:{self.port}/tcp"
        return f"{self.name} {self.scheme}://{host}:{self.port}{self.path}"


@dataclass(frozen=True)
class NameService:
    """The site's DNS servers (IPv4 addresses, asked in order) and the port they answer on."""

    servers: tuple[str, ...]
    port: int = 53

    def __post_init__(self) -> None:
        if not self.servers:
            raise BadInput("access check: the name service has no DNS server")
        for server in self.servers:
            _ip(server, "DNS server", ipaddress.IPv4Address)
        if not 0 < self.port < 65536:
            raise BadInput(f"access check: DNS port {self.port} is not a port number")


@dataclass(frozen=True)
class AccessTarget:
    """The server's address, its ports and applications; the site's domain, the name service its
    application names are resolved through and the CA bundle their certificates must verify against (without
    one, trust is recorded and the policy decides)."""

    address: str
    ports: tuple[PortSpec, ...] = ()
    applications: tuple[AppSpec, ...] = ()
    domain: str | None = None
    name_service: NameService | None = None
    ca_bundle: Path | None = None

    def __post_init__(self) -> None:
        _ip(self.address, "target", ipaddress.ip_address)

    def name_of(self, app: AppSpec) -> str | None:
        """The application's name in the site's domain, if it has a subdomain."""
        return f"{app.subdomain}.{self.domain}" if app.subdomain and self.domain else None


def _ip(text: str, what: str, parse: Callable[[str], object]) -> None:
    try:
        parse(text)
    except ValueError:
        raise BadInput(f"access check {what}: {text!r} is not an IP address") from None


def access_target_for(request: ColoRequest, address: str, facility: Facility) -> AccessTarget:
    """The access check target of a request whose server now has `address` at the facility: its names in the
    site's DNS zone (else its domain), resolved through the site's DNS servers, HTTPS verified against the
    site's `dns.ca_bundle`."""
    bundle = facility.dns.ca_bundle
    return AccessTarget(
        address=address,
        ports=tuple(PortSpec(p.port, p.protocol, p.purpose) for p in request.network.ports),
        applications=tuple(
            AppSpec(a.name, a.port, a.scheme, a.path or "/", a.subdomain) for a in request.applications
        ),
        domain=facility.dns.zone or facility.site.domain,
        name_service=NameService(tuple(str(server) for server in facility.dns.servers)),
        ca_bundle=Path(bundle) if bundle else None,
    )
