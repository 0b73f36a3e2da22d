"""The access check: what a user outside the server's VLAN can reach.

Run from the operator's vantage: ICMP echo, every declared TCP port, each application over http/https
(status, response time, TLS certificate facts and trust), and each application's DNS name against the site's
DNS servers.
Every failing item is retried (bounded), so a server that just moved VLAN gets time to appear.
"""

from __future__ import annotations

import http.client
import ipaddress
import re
import secrets
import socket
import ssl
import struct
import subprocess
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Literal

from provisioner.errors import AccessCheckFailed, BadInput

if TYPE_CHECKING:
    from provisioner.facility import Facility
    from provisioner.request import ColoRequest

Evidence = dict[str, object]
Scheme = Literal["http", "https", "tcp"]

_MAX_BODY = 64 * 1024
_USER_AGENT = "colo-provisioner-access-check"


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


@dataclass(frozen=True)
class AccessTarget:
    """What to check: the server's address, its ports and applications, the site's domain and DNS servers."""

    address: str
    ports: tuple[PortSpec, ...] = ()
    applications: tuple[AppSpec, ...] = ()
    domain: str | None = None
    dns_servers: tuple[str, ...] = ()
    dns_port: int = 53

    def __post_init__(self) -> None:
        for addr in (self.address, *self.dns_servers):
            try:
                ipaddress.ip_address(addr)
            except ValueError:
                raise BadInput(f"access check target: {addr!r} is not an IP address") from None


def access_target_for(request: ColoRequest, address: str, facility: Facility) -> AccessTarget:
    """The access check target of a request whose server now has `address` at the facility."""
    return AccessTarget(
        address=address,
        ports=tuple(PortSpec(p.port, p.protocol, p.purpose) for p in request.network.ports),
        applications=tuple(
            AppSpec(a.name, a.port, a.scheme, a.path or "/", a.subdomain) for a in request.applications
        ),
        domain=facility.site.domain,
        dns_servers=tuple(str(server) for server in facility.dns.servers),
    )


HTTP_OK_STATUSES = frozenset(range(200, 400)) | {401, 403}
"""An application "can be accessed" (step 7) when it answers with its page (2xx), sends the visitor on (3xx)
or asks them to log in (401, 403). 404 (nothing deployed at the path), other 4xx and 5xx fail. The same rule
is the default of playbooks/access_check.yml (tests/unit/test_collection.py holds them together)."""


@dataclass(frozen=True)
class CheckPolicy:
    """Timeouts, retries and which findings fail the check (the others are recorded as warnings)."""

    attempts: int = 3
    retry_delay_s: float = 4.0
    timeout_s: float = 3.0
    ping_count: int = 3
    require_ping: bool = True
    require_trusted_tls: bool = False
    require_dns: bool = False
    ok_statuses: frozenset[int] = HTTP_OK_STATUSES
    ca_file: str | None = None


@dataclass(frozen=True)
class CheckItem:
    """One finding. `required` False: a failure is a warning and does not fail the check."""

    kind: str
    target: str
    ok: bool
    detail: str
    evidence: Evidence = field(default_factory=dict)
    required: bool = True

    @property
    def status(self) -> str:
        """ok, failed, warning or not checkable."""
        if self.ok:
            return "ok"
        if self.evidence.get("checkable") is False:
            return "not checkable"
        return "failed" if self.required else "warning"

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "target": self.target,
            "ok": self.ok,
            "required": self.required,
            "status": self.status,
            "detail": self.detail,
            "evidence": self.evidence,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> CheckItem:
        evidence = data.get("evidence", {})
        return cls(
            kind=str(data["kind"]),
            target=str(data["target"]),
            ok=bool(data["ok"]),
            detail=str(data["detail"]),
            evidence=dict(evidence) if isinstance(evidence, dict) else {},
            required=bool(data.get("required", True)),
        )


@dataclass(frozen=True)
class AccessCheckReport:
    """The whole check: JSON-serialisable through `to_dict` for the register and the documents."""

    target: str
    started: datetime
    finished: datetime
    items: list[CheckItem]
    passed: bool

    def failures(self) -> list[CheckItem]:
        return [item for item in self.items if not item.ok and item.required]

    def warnings(self) -> list[CheckItem]:
        return [item for item in self.items if not item.ok and not item.required]

    def to_dict(self) -> dict[str, object]:
        return {
            "target": self.target,
            "started": self.started.isoformat(),
            "finished": self.finished.isoformat(),
            "passed": self.passed,
            "items": [item.to_dict() for item in self.items],
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> AccessCheckReport:
        items = data.get("items", [])
        return cls(
            target=str(data["target"]),
            started=datetime.fromisoformat(str(data["started"])),
            finished=datetime.fromisoformat(str(data["finished"])),
            items=[CheckItem.from_dict(i) for i in items if isinstance(i, dict)]
            if isinstance(items, list)
            else [],
            passed=bool(data["passed"]),
        )

    def raise_if_failed(self) -> None:
        """Raise AccessCheckFailed (exit code 3) listing every failed item."""
        if not self.passed:
            raise AccessCheckFailed(
                f"access check of {self.target} failed",
                [f"{i.kind} {i.target}: {i.detail}" for i in self.failures()],
            )


# --- ICMP -------------------------------------------------------------------------------------------------

_PING_COUNTS = re.compile(r"(\d+) packets transmitted, (\d+) (?:packets )?received")
_PING_RTT = re.compile(r"= ([\d.]+)/([\d.]+)/([\d.]+)/([\d.]+) ms")


def parse_ping(output: str) -> Evidence:
    """Packets sent/received and round-trip times from iputils `ping` output."""
    evidence: Evidence = {"transmitted": 0, "received": 0}
    counts = _PING_COUNTS.search(output)
    if counts:
        evidence["transmitted"], evidence["received"] = int(counts[1]), int(counts[2])
    rtt = _PING_RTT.search(output)
    if rtt:
        evidence.update(rtt_min_ms=float(rtt[1]), rtt_avg_ms=float(rtt[2]), rtt_max_ms=float(rtt[3]))
    return evidence


def check_ping(address: str, count: int, timeout_s: float, required: bool = True) -> CheckItem:
    """ICMP echo with the system `ping`; ok when at least one reply came back."""
    wait = max(1, round(timeout_s))
    cmd = ["ping", "-n", "-c", str(count), "-i", "0.2", "-W", str(wait), "--", address]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=count + wait + 5, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return CheckItem("icmp", address, False, f"ping could not run: {exc}", {"error": str(exc)}, required)
    evidence = parse_ping(proc.stdout)
    received = evidence["received"]
    if received:
        detail = f"{received}/{evidence['transmitted']} replies"
        return CheckItem("icmp", address, True, detail, evidence, required)
    evidence["error"] = (proc.stderr.strip() or proc.stdout.strip().splitlines()[-1:] or [""])[0][:200]
    return CheckItem("icmp", address, False, "no echo reply", evidence, required)


# --- TCP --------------------------------------------------------------------------------------------------


def check_tcp(address: str, port: int, timeout_s: float, label: str | None = None) -> CheckItem:
    """TCP connect with a timeout."""
    target = label or f"{address}:{port}/tcp"
    start = time.monotonic()
    try:
        with socket.create_connection((address, port), timeout=timeout_s):
            elapsed = _ms(start)
    except OSError as exc:
        return CheckItem("tcp", target, False, f"connect failed: {_os_error(exc)}", {"error": _os_error(exc)})
    return CheckItem("tcp", target, True, f"open ({elapsed} ms)", {"connect_ms": elapsed})


# --- HTTP(S) and TLS ----------------------------------------------------------------------------------------


def certificate_facts(der: bytes, now: datetime | None = None) -> Evidence:
    """Subject, issuer, validity, days left, self-signed, SANs and fingerprint of a DER certificate."""
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes

    cert = x509.load_der_x509_certificate(der)
    not_after = cert.not_valid_after_utc
    try:
        cert.verify_directly_issued_by(cert)
        self_signed = True
    except (ValueError, TypeError, InvalidSignature):
        self_signed = False
    try:
        alt = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        sans = [f"DNS:{name}" for name in alt.get_values_for_type(x509.DNSName)]
        sans += [f"IP:{ip}" for ip in alt.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        sans = []
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "not_before": cert.not_valid_before_utc.isoformat(),
        "not_after": not_after.isoformat(),
        "days_left": (not_after - (now or datetime.now(UTC))).days,
        "self_signed": self_signed,
        "san": sans,
        "sha256": cert.fingerprint(hashes.SHA256()).hex(":"),
    }


def _tls_trust(address: str, port: int, server_name: str, timeout_s: float, ca_file: str | None) -> Evidence:
    """Whether the certificate verifies against the system CA store (plus ca_file) for server_name."""
    ctx = ssl.create_default_context()
    if ca_file:
        ctx.load_verify_locations(cafile=ca_file)
    try:
        with (
            socket.create_connection((address, port), timeout=timeout_s) as sock,
            ctx.wrap_socket(sock, server_hostname=server_name),
        ):
            return {"trusted": True, "verified_name": server_name}
    except ssl.SSLCertVerificationError as exc:
        return {"trusted": False, "verified_name": server_name, "trust_error": exc.verify_message or str(exc)}
    except OSError as exc:
        return {"trusted": False, "verified_name": server_name, "trust_error": _os_error(exc)}


def _unverified_context() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def check_http(address: str, app: AppSpec, policy: CheckPolicy, host_name: str | None = None) -> CheckItem:
    """GET the application's path; for https also record the certificate facts and whether it is trusted."""
    https = app.scheme == "https"
    host = host_name or address
    target = f"{app.name} {app.scheme}://{host}:{app.port}{app.path}"
    evidence: Evidence = {"address": address, "port": app.port, "path": app.path, "host": host}
    start = time.monotonic()
    try:
        sock: socket.socket = socket.create_connection((address, app.port), timeout=policy.timeout_s)
        try:
            if https:
                sock = _unverified_context().wrap_socket(sock, server_hostname=host)
                evidence["tls_version"] = sock.version()
                der = sock.getpeercert(binary_form=True)
                if der:
                    evidence["certificate"] = certificate_facts(der)
            conn = http.client.HTTPConnection(host, app.port, timeout=policy.timeout_s)
            conn.sock = sock
            headers = {"Host": host, "User-Agent": _USER_AGENT, "Connection": "close"}
            conn.request("GET", app.path, headers=headers)
            response = conn.getresponse()
            response.read(_MAX_BODY)
            evidence.update(status=response.status, reason=response.reason, response_ms=_ms(start))
            if location := response.getheader("Location"):
                evidence["location"] = location[:300]
        finally:
            sock.close()
    except (OSError, http.client.HTTPException) as exc:
        evidence["error"] = _os_error(exc) if isinstance(exc, OSError) else repr(exc)
        return CheckItem(app.scheme, target, False, f"no HTTP answer: {evidence['error']}", evidence)
    status = int(str(evidence["status"]))
    problems = [] if status in policy.ok_statuses else [f"status {status}"]
    detail = f"HTTP {status} in {evidence['response_ms']} ms"
    if https:
        evidence.update(_tls_trust(address, app.port, host, policy.timeout_s, policy.ca_file))
        if evidence["trusted"]:
            detail += ", certificate trusted"
        elif policy.require_trusted_tls:
            problems.append(f"certificate not trusted: {evidence['trust_error']}")
        else:
            detail += f", certificate not trusted ({evidence['trust_error']}), accepted by policy"
    if problems:
        return CheckItem(app.scheme, target, False, "; ".join(problems), evidence)
    return CheckItem(app.scheme, target, True, detail, evidence)


# --- DNS ----------------------------------------------------------------------------------------------------

_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def encode_query(name: str, query_id: int, qtype: int = 1) -> bytes:
    """A minimal recursive DNS query (class IN) for `name`."""
    labels = name.rstrip(".").split(".")
    if len(name) > 253 or not all(_LABEL.match(label) for label in labels):
        raise BadInput(f"not a DNS name: {name!r}")
    question = b"".join(bytes([len(label)]) + label.encode("ascii") for label in labels) + b"\x00"
    return struct.pack("!HHHHHH", query_id, 0x0100, 1, 0, 0, 0) + question + struct.pack("!HH", qtype, 1)


def _skip_name(packet: bytes, offset: int) -> int:
    while True:
        length = packet[offset]
        if length & 0xC0 == 0xC0:
            return offset + 2
        if length == 0:
            return offset + 1
        offset += 1 + length


def decode_answer(packet: bytes, query_id: int) -> tuple[int, list[str]]:
    """The response code and the IPv4 addresses (A records) of a DNS response; ValueError if malformed."""
    try:
        qid, flags, qdcount, ancount, _, _ = struct.unpack_from("!HHHHHH", packet)
        if qid != query_id or not flags & 0x8000:
            raise ValueError("not the answer to this query")
        offset = 12
        for _ in range(qdcount):
            offset = _skip_name(packet, offset) + 4
        addresses = []
        for _ in range(ancount):
            offset = _skip_name(packet, offset)
            rtype, _, _, rdlength = struct.unpack_from("!HHIH", packet, offset)
            offset += 10
            if offset + rdlength > len(packet):
                raise ValueError("truncated answer")
            if rtype == 1 and rdlength == 4:
                addresses.append(socket.inet_ntoa(packet[offset : offset + 4]))
            offset += rdlength
    except (struct.error, IndexError) as exc:
        raise ValueError(f"malformed DNS response: {exc}") from exc
    return flags & 0x000F, addresses


_RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}


def resolve_a(name: str, server: str, port: int, timeout_s: float) -> tuple[str, list[str]]:
    """Ask one DNS server over UDP for the A records of name: (rcode name, addresses)."""
    query_id = secrets.randbelow(0x10000)
    family = socket.AF_INET6 if ipaddress.ip_address(server).version == 6 else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout_s)
        sock.connect((server, port))
        sock.send(encode_query(name, query_id))
        deadline = time.monotonic() + timeout_s
        while True:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                rcode, addresses = decode_answer(sock.recv(4096), query_id)
            except ValueError:
                continue
            return _RCODES.get(rcode, str(rcode)), addresses


def check_dns(name: str, target: AccessTarget, timeout_s: float, required: bool) -> CheckItem:
    """Resolve name against the site's DNS servers; ok when some server gives an address."""
    if not target.dns_servers:
        return CheckItem("dns", name, False, "no DNS server named for the site", {"checkable": False}, False)
    tried: list[Evidence] = []
    for server in target.dns_servers:
        try:
            rcode, addresses = resolve_a(name, server, target.dns_port, timeout_s)
        except OSError as exc:
            tried.append({"server": server, "error": _os_error(exc)})
            continue
        tried.append({"server": server, "rcode": rcode, "addresses": addresses})
        if addresses:
            evidence: Evidence = {"server": server, "addresses": addresses, "tried": tried}
            evidence["matches_address"] = target.address in addresses
            return CheckItem("dns", name, True, f"resolves to {', '.join(addresses)}", evidence, required)
    return CheckItem("dns", name, False, "not resolvable", {"tried": tried}, required)


# --- the whole check --------------------------------------------------------------------------------------


def _not_checkable(kind: str, label: str) -> CheckItem:
    return CheckItem(kind, label, False, "not checkable", {"checkable": False}, required=False)


def planned_checks(target: AccessTarget, policy: CheckPolicy) -> list[Callable[[], CheckItem]]:
    """One callable per item of the check (a single attempt each), in report order."""
    addr, timeout = target.address, policy.timeout_s
    plan: list[Callable[[], CheckItem]] = [
        partial(check_ping, addr, policy.ping_count, timeout, policy.require_ping)
    ]
    app_ports = {app.port for app in target.applications}
    for spec in target.ports:
        if spec.protocol == "tcp":
            plan.append(partial(check_tcp, addr, spec.port, timeout))
        elif spec.port not in app_ports:
            plan.append(partial(_not_checkable, "udp", f"{addr}:{spec.port}/udp"))
    for app in target.applications:
        fqdn = f"{app.subdomain}.{target.domain}" if app.subdomain and target.domain else None
        if app.scheme == "tcp":
            plan.append(partial(check_tcp, addr, app.port, timeout, f"{app.name} {addr}:{app.port}/tcp"))
        else:
            plan.append(partial(check_http, addr, app, policy, fqdn))
        if fqdn:
            plan.append(partial(check_dns, fqdn, target, timeout, policy.require_dns))
    return plan


def _with_retries(check: Callable[[], CheckItem], policy: CheckPolicy) -> CheckItem:
    attempt = 1
    item = check()
    # Only a required item is worth waiting for: a warning does not change the verdict.
    while not item.ok and item.required and item.evidence.get("checkable") is not False \
            and attempt < policy.attempts:
        time.sleep(policy.retry_delay_s)
        attempt += 1
        item = check()
    item.evidence["attempts"] = attempt
    return item


def run_access_check(target: AccessTarget, policy: CheckPolicy | None = None) -> AccessCheckReport:
    """Run every check (in parallel, each retried while it fails) and decide pass/fail by the policy."""
    policy = policy or CheckPolicy()
    started = datetime.now(UTC)
    plan = planned_checks(target, policy)
    with ThreadPoolExecutor(max_workers=min(8, len(plan))) as pool:
        items: Sequence[CheckItem] = list(pool.map(lambda check: _with_retries(check, policy), plan))
    return AccessCheckReport(
        target=target.address,
        started=started,
        finished=datetime.now(UTC),
        items=list(items),
        passed=all(item.ok or not item.required for item in items),
    )


def _ms(start: float) -> float:
    return round((time.monotonic() - start) * 1000, 1)


def _os_error(exc: OSError) -> str:
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    return exc.strerror or str(exc) or type(exc).__name__
