"""HTTP(S): the application's answer, its TLS certificate's facts and whether it verifies for the name."""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from datetime import UTC, datetime
from pathlib import Path

from provisioner.checks.policy import CheckPolicy
from provisioner.checks.probe import elapsed_ms, os_error_text
from provisioner.checks.report import CheckItem, Evidence, Failure
from provisioner.checks.target import AppSpec

_MAX_BODY = 64 * 1024
_USER_AGENT = "colo-provisioner-access-check"
_VERIFY_FAILURES = {10: Failure.CERTIFICATE_EXPIRED, 62: Failure.CERTIFICATE_FOR_ANOTHER_NAME}
"""OpenSSL's X509_V_ERR_CERT_HAS_EXPIRED and X509_V_ERR_HOSTNAME_MISMATCH; any other: not trusted."""


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
        "san": list(sans),
        "sha256": cert.fingerprint(hashes.SHA256()).hex(":"),
    }


def tls_trust(address: str, port: int, server_name: str, timeout_s: float,
              ca_bundle: Path | None) -> Evidence:
    """Whether the certificate verifies for server_name (sent as SNI) against the system CA store plus
    ca_bundle; if not, the failure (expired, for another name, not trusted) and OpenSSL's words."""
    ctx = ssl.create_default_context()
    if ca_bundle is not None:
        ctx.load_verify_locations(cafile=ca_bundle)
    verdict: Evidence = {"verified_name": server_name, "ca_bundle": str(ca_bundle) if ca_bundle else None}
    try:
        with (
            socket.create_connection((address, port), timeout=timeout_s) as sock,
            ctx.wrap_socket(sock, server_hostname=server_name),
        ):
            return {**verdict, "trusted": True}
    except ssl.SSLCertVerificationError as exc:
        failure = _VERIFY_FAILURES.get(exc.verify_code, Failure.CERTIFICATE_UNTRUSTED)
        error = exc.verify_message or str(exc)
        return {**verdict, "trusted": False, "failure": failure.value, "trust_error": error}
    except OSError as exc:
        return {**verdict, "trusted": False, "failure": Failure.CERTIFICATE_UNTRUSTED.value,
                "trust_error": os_error_text(exc)}


def _unverified_context() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _get(address: str, app: AppSpec, host: str, timeout_s: float, evidence: Evidence) -> None:
    """GET the application's path at address (TLS with SNI host for https), recording the answer."""
    start = time.monotonic()
    sock: socket.socket = socket.create_connection((address, app.port), timeout=timeout_s)
    try:
        if app.scheme == "https":
            sock = _unverified_context().wrap_socket(sock, server_hostname=host)
            evidence["tls_version"] = sock.version()
            der = sock.getpeercert(binary_form=True)
            if der:
                evidence["certificate"] = certificate_facts(der)
        conn = http.client.HTTPConnection(host, app.port, timeout=timeout_s)
        conn.sock = sock
        headers = {"Host": host, "User-Agent": _USER_AGENT, "Connection": "close"}
        conn.request("GET", app.path, headers=headers)
        response = conn.getresponse()
        response.read(_MAX_BODY)
        evidence.update(status=response.status, reason=response.reason, response_ms=elapsed_ms(start))
        if location := response.getheader("Location"):
            evidence["location"] = location[:300]
    finally:
        sock.close()


def check_http(address: str, app: AppSpec, policy: CheckPolicy, host_name: str | None = None,
               ca_bundle: Path | None = None) -> CheckItem:
    """GET the application's path from address, by host_name where it has one; for https also record the
    certificate facts and whether it verifies for the name. An unverified certificate fails the item when
    a CA bundle is given or the policy requires trust, and is recorded as accepted otherwise."""
    host = host_name or address
    target = app.label(host)
    evidence: Evidence = {"address": address, "port": app.port, "path": app.path, "host": host}
    try:
        _get(address, app, host, policy.timeout_s, evidence)
    except (OSError, http.client.HTTPException) as exc:
        evidence["error"] = os_error_text(exc) if isinstance(exc, OSError) else repr(exc)
        detail = f"no HTTP answer: {evidence['error']}"
        return CheckItem(kind=app.scheme, target=target, ok=False, detail=detail, evidence=evidence)
    status = evidence["status"]
    problems = [] if status in policy.ok_statuses else [f"status {status}"]
    detail = f"HTTP {status} in {evidence['response_ms']} ms"
    if app.scheme == "https":
        evidence.update(tls_trust(address, app.port, host, policy.timeout_s, ca_bundle))
        if evidence["trusted"]:
            detail += ", certificate trusted"
        elif policy.require_trusted_tls or ca_bundle is not None:
            problems.append(f"{evidence['failure']}: {evidence['trust_error']}")
        else:
            detail += f", certificate not trusted ({evidence['trust_error']}), accepted by policy"
    return CheckItem(kind=app.scheme, target=target, ok=not problems, detail="; ".join(problems) or detail,
                     evidence=evidence)
