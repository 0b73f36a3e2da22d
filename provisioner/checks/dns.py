"""DNS: an application's name asked of the site's DNS servers (dnspython), not of this machine's resolver."""

from __future__ import annotations

import re

import dns.exception
import dns.name
import dns.rcode
import dns.resolver

from provisioner.checks.probe import os_error_text
from provisioner.checks.report import CheckItem, Evidence, Failure
from provisioner.checks.target import NameService
from provisioner.errors import BadInput

_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def host_name(name: str) -> dns.name.Name:
    """The absolute DNS name of a host name (letters, digits, hyphens); BadInput if it is not one."""
    labels = name.rstrip(".").split(".")
    if len(name) > 253 or not all(_LABEL.match(label) for label in labels):
        raise BadInput(f"not a DNS name: {name!r}")
    return dns.name.from_text(name)


def _ask(name: dns.name.Name, server: str, port: int, timeout_s: float) -> Evidence:
    """One server's answer for the A records of name: its rcode and addresses, or the error."""
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [server]
    resolver.port = port
    resolver.timeout = resolver.lifetime = timeout_s
    asked: Evidence = {"server": server, "port": port}
    try:
        answer = resolver.resolve(name, "A", search=False)
    except dns.resolver.NXDOMAIN:
        return {**asked, "rcode": "NXDOMAIN", "addresses": []}
    except dns.resolver.NoAnswer:
        return {**asked, "rcode": "NOERROR", "addresses": []}
    except dns.resolver.NoNameservers as exc:
        *_, error, response = exc.kwargs["errors"][-1]
        if response is not None:
            return {**asked, "rcode": dns.rcode.to_text(response.rcode()), "addresses": []}
        return {**asked, "error": os_error_text(error) if isinstance(error, OSError) else str(error)}
    except dns.exception.Timeout:
        return {**asked, "error": "timed out"}
    return {**asked, "rcode": "NOERROR", "addresses": [rr.address for rr in answer]}


def resolve_a(name: str, service: NameService, timeout_s: float) -> tuple[list[str], list[Evidence]]:
    """The addresses of name from the first of the site's servers that has them, and what each server
    asked said."""
    qname = host_name(name)
    tried: list[Evidence] = []
    for server in service.servers:
        answer = _ask(qname, server, service.port, timeout_s)
        tried.append(answer)
        addresses = answer.get("addresses")
        if isinstance(addresses, list) and addresses:
            return [str(a) for a in addresses], tried
    return [], tried


def check_dns(name: str, address: str, service: NameService | None, timeout_s: float,
              required: bool) -> CheckItem:
    """Resolve name through the site's DNS servers; ok when it gives the server's address."""
    if service is None:
        return CheckItem(kind="dns", target=name, ok=False, detail="no DNS server named for the site",
                         evidence={"checkable": False}, required=False)
    addresses, tried = resolve_a(name, service, timeout_s)
    evidence: Evidence = {"addresses": list(addresses), "tried": list(tried)}
    if not addresses:
        evidence["failure"] = Failure.NAME_NOT_RESOLVED.value
        return CheckItem(kind="dns", target=name, ok=False, detail=Failure.NAME_NOT_RESOLVED.value,
                         evidence=evidence, required=required)
    evidence.update(server=tried[-1]["server"], matches_address=address in addresses)
    if address not in addresses:
        evidence["failure"] = Failure.NAME_POINTS_ELSEWHERE.value
        detail = f"{Failure.NAME_POINTS_ELSEWHERE.value}: {', '.join(addresses)}, not {address}"
        return CheckItem(kind="dns", target=name, ok=False, detail=detail, evidence=evidence,
                         required=required)
    return CheckItem(kind="dns", target=name, ok=True, detail=f"resolves to {', '.join(addresses)}",
                     evidence=evidence, required=required)
